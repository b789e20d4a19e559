package dev.phasegate.kube;

import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SqlPhaseSpec;
import dev.phasegate.engine.SpecValidator;
import dev.phasegate.postgres.SyncTrigger;
import dev.phasegate.postgres.sql.SqlScript;
import dev.phasegate.postgres.sql.SqlScriptException;
import dev.phasegate.postgres.sql.SqlStatement;
import dev.phasegate.postgres.sql.StatementKind;
import java.util.ArrayList;
import java.util.List;

/** Validates a spec: the engine's structural rules plus parsing every SQL field the way the executor will. */
public final class MigrationValidator {
    private MigrationValidator() {
    }

    public static List<String> validate(SchemaMigrationSpec spec) {
        List<String> problems = new ArrayList<>(SpecValidator.validate(spec));
        if (spec != null) {
            sql(problems, "spec.compatibleSchema", spec.compatibleSchema);
            sql(problems, "spec.cleanup", spec.cleanup);
            if (SyncTrigger.wanted(spec) && spec.backfill.set != null && spec.backfill.table != null) {
                SyncTrigger.problem(spec.backfill).ifPresent(problems::add);
                if (spec.compatibleSchema == null) {
                    problems.add("spec.backfill.sync: Trigger is created at the end of spec.compatibleSchema, which is"
                            + " not set");
                }
            }
        }
        return problems;
    }

    private static void sql(List<String> problems, String field, SqlPhaseSpec phase) {
        if (phase == null) {
            return;
        }
        parse(problems, field + ".sql", phase.sql);
        parse(problems, field + ".rollbackSql", phase.rollbackSql);
    }

    private static void parse(List<String> problems, String field, String sql) {
        if (sql == null || sql.isBlank()) {
            return;
        }
        try {
            for (SqlStatement s : SqlScript.parse(sql).statements()) {
                if (s.kind() == StatementKind.SESSION_SETTING) {
                    // SET/RESET/DISCARD would undo the session bounds every statement of ours runs under.
                    problems.add(field + ": statement " + s.index() + " (" + s.text().lines().findFirst().orElse("")
                            + ") changes session settings; phasegate sets lock_timeout and statement_timeout itself"
                            + " (spec.locks)");
                }
            }
        } catch (SqlScriptException e) {
            problems.add(field + ": " + e.getMessage());
        }
    }
}
