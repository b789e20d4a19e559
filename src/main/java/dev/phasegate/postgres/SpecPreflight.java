package dev.phasegate.postgres;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.postgres.sql.SqlScript;
import dev.phasegate.postgres.sql.SqlScriptException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Checks, before a phase applies anything, that every later script of the migration and every rollbackSql parses, and
 * that the backfill's set and where fragments form a valid UPDATE. A typo in the Cleanup must be found before the
 * expand runs, not days later when the contract is due. Scripts are checked for syntax only; the backfill's table,
 * key column and assigned columns are also looked up in the catalog, unless the script before it creates them.
 */
public final class SpecPreflight {

    /**
     * A script to check and where it comes from in the spec (e.g. spec.cleanup.sql); catalog, when set, is a look-up
     * in the live catalog that runs once every script parses.
     */
    public record Script(String field, String sql, CatalogCheck catalog) {
        public Script(String field, String sql) {
            this(field, sql, null);
        }
    }

    /** A check against the live catalog: the first problem, naming the spec field, or empty. */
    @FunctionalInterface
    public interface CatalogCheck {
        Optional<String> firstProblem(Connection c) throws SQLException;
    }

    private SpecPreflight() {
    }

    /**
     * The backfill's fragments as the one statement they become (syntax only; nothing runs), and its table and
     * columns in the catalog unless expandSql (the script that runs before the backfill, or null) creates them.
     */
    public static Script backfill(BackfillSpec b, String expandSql) {
        String table = b.table == null || b.table.isBlank() ? "t" : Identifiers.qualified(b.table);
        return new Script("spec.backfill (set/where)", "UPDATE " + table + " SET " + b.set
                + (b.where == null || b.where.isBlank() ? "" : " WHERE " + b.where),
                c -> BackfillTargets.firstMissing(c, b, "spec.compatibleSchema.sql", expandSql));
    }

    /** The first problem, as a message naming the field; empty when every script parses. Uses session c. */
    public static Optional<String> firstError(Connection c, List<Script> scripts) throws SQLException {
        Optional<String> syntax = firstSyntaxError(c, scripts);
        if (syntax.isPresent()) {
            return syntax;
        }
        for (Script s : scripts) {
            Optional<String> missing = s.catalog() == null ? Optional.empty() : s.catalog().firstProblem(c);
            if (missing.isPresent()) {
                return missing;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> firstSyntaxError(Connection c, List<Script> scripts) throws SQLException {
        for (Script s : scripts) {
            if (s.sql() == null || s.sql().isBlank()) {
                continue;
            }
            SqlScript script;
            try {
                script = SqlScript.parse(s.sql());
            } catch (SqlScriptException e) {
                return Optional.of(s.field() + ": " + e.getMessage());
            }
            Optional<String> error = SyntaxCheck.firstError(c, script, 0);
            if (error.isPresent()) {
                return Optional.of(s.field() + ": " + error.get());
            }
        }
        return Optional.empty();
    }
}
