package dev.phasegate.kube;

import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SqlPhaseSpec;
import dev.phasegate.postgres.sql.SqlScript;
import dev.phasegate.postgres.sql.SqlStatement;
import dev.phasegate.postgres.sql.StatementKind;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What the health gate of a migration looks at: the tables its statements and backfill touch, and whether any
 * statement builds an index concurrently (then old snapshots anywhere in the database count).
 */
record HealthTargets(List<String> tables, boolean databaseWide) {

    static HealthTargets of(SchemaMigrationSpec spec) {
        Set<String> tables = new LinkedHashSet<>();
        boolean wide = false;
        for (SqlPhaseSpec phase : Stream.of(spec.compatibleSchema, spec.cleanup).filter(p -> p != null).toList()) {
            for (String sql : Stream.of(phase.sql, phase.rollbackSql).filter(s -> s != null && !s.isBlank()).toList()) {
                for (SqlStatement s : SqlScript.parse(sql).statements()) {
                    tables.addAll(s.lockTargets());
                    wide |= s.kind() == StatementKind.CREATE_INDEX_CONCURRENTLY
                            || s.kind() == StatementKind.REINDEX_CONCURRENTLY;
                }
            }
        }
        if (spec.backfill != null && spec.backfill.table != null) {
            tables.add(spec.backfill.table);
        }
        return new HealthTargets(List.copyOf(tables), wide);
    }
}
