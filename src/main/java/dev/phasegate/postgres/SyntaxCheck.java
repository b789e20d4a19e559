package dev.phasegate.postgres;

import dev.phasegate.postgres.sql.SqlScript;
import dev.phasegate.postgres.sql.SqlStatement;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Finds syntax errors before anything is applied, so a typo in statement 2 never leaves statement 1 behind.
 * PL/pgSQL's validator runs PostgreSQL's own parser over every SQL statement of a function body without executing
 * it, so each statement is wrapped in a throw-away temporary function inside a transaction that is rolled back.
 * It takes no lock on user tables. Only syntax is checked: a missing table still fails when the statement runs.
 */
final class SyntaxCheck {
    /**
     * Statements PL/pgSQL would read as its own commands rather than SQL (its keywords that also start SQL
     * commands, e.g. TABLE t or DECLARE c CURSOR); they are left to the real run.
     */
    private static final Set<String> PLPGSQL_WORDS = Set.of("EXECUTE", "PERFORM", "RAISE", "IF", "CASE", "LOOP",
            "WHILE", "FOR", "FOREACH", "EXIT", "CONTINUE", "RETURN", "GET", "OPEN", "FETCH", "MOVE", "CLOSE", "NULL",
            "ASSERT", "COMMIT", "ROLLBACK", "CALL", "TABLE", "DECLARE", "DO", "SET", "RESET");
    /** PL/pgSQL takes INTO (except after INSERT/MERGE) as its own target: SELECT ... INTO new_table is valid SQL. */
    private static final Pattern INTO_TARGET = Pattern.compile("(?i)(?<!\\binsert )(?<!\\bmerge )\\binto\\b");

    private SyntaxCheck() {
    }

    /** The first statement (from index skip+1) with a syntax error, as a message; empty when all parse. */
    static Optional<String> firstError(Connection c, SqlScript script, int skip) throws SQLException {
        String tag = "$pgchk_" + UUID.randomUUID().toString().replace("-", "") + "$";
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL check_function_bodies = on");
            for (SqlStatement s : script.statements()) {
                if (s.index() <= skip || !checkable(s, tag)) {
                    continue;
                }
                st.execute("SAVEPOINT pgchk");
                try {
                    st.execute("CREATE FUNCTION pg_temp.phasegate_syntax_check() RETURNS void LANGUAGE plpgsql AS "
                            + tag + " BEGIN " + s.text() + "; END " + tag);
                    st.execute("ROLLBACK TO SAVEPOINT pgchk");
                } catch (SQLException e) {
                    if ("42601".equals(e.getSQLState())) {
                        return Optional.of("statement " + s.index() + " has a syntax error: "
                                + SqlFailure.serverText(e) + " in: " + SqlStepExecutor.abbreviate(s.text()));
                    }
                    // Anything else (no TEMP privilege, ...) means we cannot check here; the real run will tell.
                    st.execute("ROLLBACK TO SAVEPOINT pgchk");
                }
            }
            return Optional.empty();
        } finally {
            try {
                c.rollback();
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private static boolean checkable(SqlStatement s, String tag) {
        String first = s.normalized().split("[\\s(;]", 2)[0].toUpperCase(Locale.ROOT);
        // An empty first word is a statement starting with "(", which PL/pgSQL cannot start a command with.
        return !first.isEmpty() && !PLPGSQL_WORDS.contains(first) && !INTO_TARGET.matcher(s.normalized()).find()
                && !s.text().contains(tag);
    }
}
