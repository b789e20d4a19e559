package dev.phasegate.postgres;

/** The one place that quotes SQL identifiers we generate, so no name from a spec can change a statement. */
public final class Identifiers {
    private Identifiers() {
    }

    public static String quote(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty SQL identifier");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("SQL identifier contains a NUL character");
        }
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 63) {
            // PostgreSQL would silently truncate it and maybe hit another object.
            throw new IllegalArgumentException("SQL identifier longer than 63 bytes: " + name);
        }
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** Quotes each dot-separated part of a catalog name such as shop.orders. */
    public static String qualified(String name) {
        int dot = name.indexOf('.');
        return dot < 0 ? quote(name) : quote(name.substring(0, dot)) + "." + quote(name.substring(dot + 1));
    }
}
