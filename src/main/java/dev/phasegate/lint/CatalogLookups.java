package dev.phasegate.lint;

import dev.phasegate.api.SchemaMigrationSpec;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What the catalog reader should look up for a migration, each name as written: the tables its scripts and its
 * backfill name, and the functions its new columns' defaults call.
 */
public record CatalogLookups(Set<String> tables, Set<String> functions) {

    public CatalogLookups {
        tables = Set.copyOf(tables);
        functions = Set.copyOf(functions);
    }

    /** For the scripts alone. */
    public static CatalogLookups of(String... scripts) {
        return new CatalogLookups(Linter.tables(scripts), Linter.functions(scripts));
    }

    /** For a whole migration: both scripts and the backfill's table. */
    public static CatalogLookups of(SchemaMigrationSpec spec) {
        String expand = spec.compatibleSchema == null ? null : spec.compatibleSchema.sql;
        String cleanup = spec.cleanup == null ? null : spec.cleanup.sql;
        Set<String> tables = new LinkedHashSet<>(Linter.tables(expand, cleanup));
        if (spec.backfill != null && spec.backfill.table != null) {
            tables.add(BackfillPlanner.table(spec.backfill));
        }
        return new CatalogLookups(tables, Linter.functions(expand, cleanup));
    }
}
