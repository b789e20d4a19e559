package dev.phasegate.lint;

import dev.phasegate.api.PhaseName;
import dev.phasegate.postgres.sql.AlterActions;
import dev.phasegate.postgres.sql.CreatedObjects;
import dev.phasegate.postgres.sql.DropTargets;
import dev.phasegate.postgres.sql.SqlScript;
import dev.phasegate.postgres.sql.SqlScriptException;
import dev.phasegate.postgres.sql.SqlStatement;
import dev.phasegate.postgres.sql.StatementDetails;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The SQL safety lint: a pure function of the migration's scripts, the catalog facts and the thresholds. Each
 * statement is judged with what the statements before it in the same script create, and (for Cleanup) what the
 * expand script creates.
 */
public final class Linter {

    private Linter() {
    }

    /** Findings for the expand (spec.compatibleSchema.sql) and cleanup (spec.cleanup.sql) scripts; null means none. */
    public static List<Finding> lint(String expandSql, String cleanupSql, CatalogFacts catalog,
            LintThresholds thresholds) {
        List<Finding> out = new ArrayList<>();
        forEachStatement(expandSql, cleanupSql, catalog, thresholds, out, c -> {
            IndexRules.check(c);
            ConstraintRules.check(c);
            ColumnRules.check(c);
            TableRules.check(c);
            PhaseRules.check(c);
        });
        return List.copyOf(out);
    }

    /**
     * Visits every statement of both scripts with its context; a script phasegate refuses to run becomes one
     * finding in out instead. The plan walks the scripts the same way as the rules.
     */
    static void forEachStatement(String expandSql, String cleanupSql, CatalogFacts catalog, LintThresholds thresholds,
            List<Finding> out, Consumer<LintContext> visit) {
        CreatedObjects none = CreatedObjects.ofStatements(List.of());
        visitScript(PhaseName.CompatibleSchema, expandSql, none, List.of(), catalog, thresholds, out, visit);
        CreatedObjects expandCreates = parses(expandSql) ? CreatedObjects.of(expandSql) : none;
        List<SqlStatement> expand = parses(expandSql) ? SqlScript.parse(expandSql).statements() : List.of();
        visitScript(PhaseName.Cleanup, cleanupSql, expandCreates, expand, catalog, thresholds, out, visit);
    }

    /** The tables the scripts name, as statements write them: what the catalog reader should look up. */
    public static Set<String> tables(String... scripts) {
        Set<String> names = new LinkedHashSet<>();
        for (String sql : scripts) {
            if (!parses(sql)) {
                continue;
            }
            for (SqlStatement s : SqlScript.parse(sql).statements()) {
                s.tableName().ifPresent(names::add);
                names.addAll(s.lockTargets());
                StatementDetails.dmlTarget(s).ifPresent(names::add);
                DropTargets.of(s).targets().stream().filter(t -> !t.table().isEmpty())
                        .forEach(t -> names.add(t.table()));
            }
        }
        return names;
    }

    /** The functions the scripts' new columns' defaults call, as written: what the catalog reader should look up. */
    public static Set<String> functions(String... scripts) {
        Set<String> names = new LinkedHashSet<>();
        for (String sql : scripts) {
            if (parses(sql)) {
                SqlScript.parse(sql).statements().forEach(s -> AlterActions.of(s).stream()
                        .filter(a -> a.verb() == AlterActions.Verb.ADD_COLUMN)
                        .forEach(a -> names.addAll(a.defaultCalls())));
            }
        }
        return names;
    }

    private static void visitScript(PhaseName phase, String sql, CreatedObjects expandCreates,
            List<SqlStatement> expand, CatalogFacts catalog, LintThresholds thresholds, List<Finding> out,
            Consumer<LintContext> visit) {
        if (sql == null || sql.isBlank()) {
            return;
        }
        List<SqlStatement> statements;
        try {
            statements = SqlScript.parse(sql).statements();
        } catch (SqlScriptException e) {
            out.add(refused(phase, e));
            return;
        }
        for (int i = 0; i < statements.size(); i++) {
            visit.accept(new LintContext(phase, statements.get(i), statements.subList(0, i), expandCreates, expand,
                    catalog, thresholds, out));
        }
    }

    private static boolean parses(String sql) {
        if (sql == null || sql.isBlank()) {
            return false;
        }
        try {
            SqlScript.parse(sql);
            return true;
        } catch (SqlScriptException e) {
            return false;
        }
    }

    /** A script phasegate refuses to run at all: the parser's reason becomes an ERROR finding. */
    private static Finding refused(PhaseName phase, SqlScriptException e) {
        Rule rule = switch (e.problem()) {
            case TRANSACTION_CONTROL -> Rule.TRANSACTION_CONTROL;
            case SESSION_BOUNDS_OVERRIDE -> Rule.TIMEOUT_SETTING;
            default -> Rule.SCRIPT_REFUSED;
        };
        return new Finding(rule.id(), Severity.ERROR, phase, e.statementIndex(), "", e.getMessage());
    }
}
