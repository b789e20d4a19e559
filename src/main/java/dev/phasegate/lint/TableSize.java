package dev.phasegate.lint;

import java.util.Locale;

/** How big the table a statement works on is, as far as the lint can tell, and the words that say so. */
record TableSize(Kind kind, String description) {

    /**
     * NEW: created earlier in the same script, so nobody else uses it yet. LATER: not there yet because the expand
     * creates it; by Cleanup the application has written to it, so the lint checks it again when Cleanup starts.
     */
    enum Kind { NEW, SMALL, LARGE, UNKNOWN, LATER }

    /**
     * @param table    the name as written, for the description
     * @param resolved the same resolved ({@code schema.table}), for the catalog
     */
    static TableSize of(String table, String resolved, boolean createdEarlier, boolean expandCreates,
            CatalogFacts catalog, LintThresholds t) {
        if (createdEarlier) {
            return new TableSize(Kind.NEW, table + " is created earlier in the same script");
        }
        TableFacts f = catalog.known() ? catalog.table(resolved).orElse(null) : null;
        if (f == null && expandCreates) {
            return new TableSize(Kind.LATER, table + " is created by CompatibleSchema, so its size is not known yet;"
                    + " the lint checks it again against the real table when Cleanup starts");
        }
        if (!catalog.known()) {
            return new TableSize(Kind.UNKNOWN, "the size of " + table + " is unknown (no database consulted)");
        }
        if (f == null) {
            return new TableSize(Kind.UNKNOWN, table + " is not in the catalog yet, so its size is unknown");
        }
        String size = (f.rows() < 0 ? "never analysed" : "about " + String.format(Locale.ROOT, "%,d", (long) f.rows())
                + " rows") + ", " + bytes(f.bytes()) + " (pg_class estimate)";
        boolean small = f.bytes() <= t.smallTableBytes() && (f.rows() < 0 || f.rows() <= t.smallTableRows());
        return new TableSize(small ? Kind.SMALL : Kind.LARGE, table + " has " + size);
    }

    /** The severity of a scan or rewrite under a strong lock of a table this big; null when harmless. */
    Severity costSeverity() {
        return switch (kind) {
            case NEW -> null;
            case SMALL -> Severity.NOTE;
            case LATER -> Severity.WARNING;
            case LARGE, UNKNOWN -> Severity.ERROR;
        };
    }

    static String bytes(long b) {
        if (b < 1024 * 1024) {
            return (b / 1024) + " kB";
        }
        if (b < 1024L * 1024 * 1024) {
            return (b / (1024 * 1024)) + " MB";
        }
        return String.format(Locale.ROOT, "%.1f GB", b / (1024.0 * 1024 * 1024));
    }
}
