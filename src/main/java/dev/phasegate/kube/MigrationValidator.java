package dev.phasegate.kube;

import dev.phasegate.api.LintAllow;
import dev.phasegate.api.LintSpec;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SqlPhaseSpec;
import dev.phasegate.engine.SpecValidator;
import dev.phasegate.lint.Rule;
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
            lintAllow(problems, spec.lint);
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

    /** The CRD refuses these too; checked here for objects stored before the rule existed. */
    private static void lintAllow(List<String> problems, LintSpec lint) {
        List<LintAllow> allow = lint == null || lint.allow == null ? List.of() : lint.allow;
        for (int i = 0; i < allow.size(); i++) {
            LintAllow a = allow.get(i);
            if (a == null || a.rule == null || Rule.byId(a.rule) == null) {
                problems.add("spec.lint.allow[" + i + "].rule " + (a == null ? "is missing" : "'" + a.rule + "'")
                        + " is not a lint rule id; docs/lint.md lists them");
            } else if (a.reason == null || a.reason.isBlank()) {
                problems.add("spec.lint.allow[" + i + "].reason is empty: say why " + a.rule + " may be broken here");
            }
        }
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
