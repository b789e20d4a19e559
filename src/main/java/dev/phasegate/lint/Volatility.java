package dev.phasegate.lint;

/** pg_proc.provolatile: whether a function's result may change within a statement (and so per row). */
public enum Volatility {
    IMMUTABLE, STABLE, VOLATILE;

    /** From pg_proc.provolatile ({@code i}, {@code s}, {@code v}). */
    public static Volatility ofCode(String code) {
        return switch (code) {
            case "i" -> IMMUTABLE;
            case "s" -> STABLE;
            case "v" -> VOLATILE;
            default -> throw new IllegalArgumentException("unknown provolatile " + code);
        };
    }
}
