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
 * expand runs, not days later when the contract is due. Syntax only: tables a later phase needs may not exist yet,
 * since an earlier phase may create them.
 */
public final class SpecPreflight {

    /** A script to check and where it comes from in the spec (e.g. spec.cleanup.sql). */
    public record Script(String field, String sql) {
    }

    private SpecPreflight() {
    }

    /** The backfill's fragments as the one statement they become (syntax only; nothing runs). */
    public static Script backfill(BackfillSpec b) {
        String table = b.table == null || b.table.isBlank() ? "t" : Identifiers.qualified(b.table);
        return new Script("spec.backfill (set/where)", "UPDATE " + table + " SET " + b.set
                + (b.where == null || b.where.isBlank() ? "" : " WHERE " + b.where));
    }

    /** The first problem, as a message naming the field; empty when every script parses. Uses session c. */
    public static Optional<String> firstError(Connection c, List<Script> scripts) throws SQLException {
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
