package dev.phasegate.lint;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which column type changes PostgreSQL makes without rewriting the table: the same type, a longer or unlimited
 * varchar, varchar to text, and a numeric with more precision and the same scale. Everything else rewrites (or at
 * least scans) the table under ACCESS EXCLUSIVE.
 */
final class TypeChanges {

    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("varchar", "character varying"), Map.entry("char", "character"),
            Map.entry("int", "integer"), Map.entry("int4", "integer"), Map.entry("int8", "bigint"),
            Map.entry("int2", "smallint"), Map.entry("decimal", "numeric"), Map.entry("bool", "boolean"),
            Map.entry("float8", "double precision"), Map.entry("float4", "real"),
            Map.entry("timestamptz", "timestamp with time zone"), Map.entry("timestamp", "timestamp without time zone"),
            Map.entry("timetz", "time with time zone"));
    private static final Pattern TYPE = Pattern.compile("([a-z][a-z0-9 ]*?)\\s*(?:\\(\\s*(\\d+)\\s*(?:,\\s*(\\d+)\\s*)?\\))?");

    private TypeChanges() {
    }

    /** True when changing a column of type {@code from} (format_type text) to {@code to} (as written) rewrites. */
    static boolean rewrites(String from, String to) {
        Matcher a = TYPE.matcher(from.trim().toLowerCase(Locale.ROOT));
        Matcher b = TYPE.matcher(to.trim().toLowerCase(Locale.ROOT).replace("\"", ""));
        if (!a.matches() || !b.matches()) {
            return true;
        }
        String baseA = canonical(a.group(1));
        String baseB = canonical(b.group(1));
        if (baseA.equals(baseB)) {
            return narrows(a, b);
        }
        return !(baseA.equals("character varying") && baseB.equals("text"));
    }

    /** Same base type: widening or dropping the limit is free; for numeric the scale must stay the same. */
    private static boolean narrows(Matcher a, Matcher b) {
        if (b.group(2) == null) {
            return false;
        }
        if (a.group(2) == null) {
            return true;
        }
        boolean longer = Integer.parseInt(b.group(2)) >= Integer.parseInt(a.group(2));
        String scaleA = a.group(3) == null ? "0" : a.group(3);
        String scaleB = b.group(3) == null ? "0" : b.group(3);
        return !(longer && scaleA.equals(scaleB));
    }

    private static String canonical(String base) {
        String b = base.trim().replaceAll("\\s+", " ");
        return ALIASES.getOrDefault(b, b);
    }
}
