package dev.phasegate.lint;

import dev.phasegate.postgres.sql.CreatedObjects;
import dev.phasegate.postgres.sql.Names;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Resolves table names the way PostgreSQL does, so that {@code orders}, {@code public.orders} and {@code PUBLIC.Orders}
 * are one table and {@code shop.orders} another: an unqualified name is created in the first schema of the
 * search_path and found in the first schema of the search_path that has it, either in the catalog or because the
 * migration creates it earlier. Names are in the form statements give them (unquoted parts folded to lower case,
 * quoted parts kept quoted unless that means the same), so {@code "Orders"} and {@code orders} stay apart.
 */
final class Resolver {

    /** Where an unqualified name goes when the search_path names no existing schema (PostgreSQL then refuses it). */
    private static final String FALLBACK_SCHEMA = "public";

    private final CatalogFacts catalog;
    private final Set<String> alsoExisting;

    /**
     * @param alsoExisting resolved names ({@code schema.table}) that exist besides what the catalog lists: what the
     *                     script creates earlier, and for Cleanup what the expand creates
     */
    Resolver(CatalogFacts catalog, Set<String> alsoExisting) {
        this.catalog = catalog;
        this.alsoExisting = Set.copyOf(alsoExisting);
    }

    /** The resolved names of the tables a script (or part of one) creates. */
    static Set<String> created(CatalogFacts catalog, CreatedObjects objects) {
        return objects.relations().stream().map(n -> createdAs(catalog, n)).collect(Collectors.toSet());
    }

    /** Where {@code CREATE TABLE written} puts the table: its own schema, or the search_path's first. */
    static String createdAs(CatalogFacts catalog, String written) {
        List<String> parts = Names.parts(written);
        if (parts.size() > 1) {
            return qualified(parts);
        }
        return firstSchema(catalog) + "." + parts.get(0);
    }

    /** The table a statement's name means: {@code schema.table}. */
    String resolve(String written) {
        List<String> parts = Names.parts(written);
        if (parts.size() > 1) {
            return qualified(parts);
        }
        for (String schema : catalog.searchPath()) {
            String candidate = schema + "." + parts.get(0);
            if (alsoExisting.contains(candidate) || catalog.table(candidate).isPresent()) {
                return candidate;
            }
        }
        return firstSchema(catalog) + "." + parts.get(0);
    }

    /** True when both names mean the same table. */
    boolean same(String written, String other) {
        return resolve(written).equals(resolve(other));
    }

    /** The last two parts: {@code db.schema.table} means {@code schema.table} in the current database. */
    private static String qualified(List<String> parts) {
        return parts.get(parts.size() - 2) + "." + parts.get(parts.size() - 1);
    }

    private static String firstSchema(CatalogFacts catalog) {
        return catalog.searchPath().isEmpty() ? FALLBACK_SCHEMA : catalog.searchPath().get(0);
    }
}
