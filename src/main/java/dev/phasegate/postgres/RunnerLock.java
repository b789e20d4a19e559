package dev.phasegate.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One runner per database (rule 3): a session-level advisory lock taken with pg_try_advisory_lock on an idle
 * autocommit connection. Never a blocking wait, and no open transaction, so it cannot hold a snapshot that a
 * CREATE INDEX CONCURRENTLY would wait for. The lock dies with the session, so a dead runner leaves nothing.
 */
public final class RunnerLock implements AutoCloseable {
    /** Fixed key: "phasegate" as an 8-byte number, the same for every runner of any version. */
    public static final long KEY = 0x7068617365676174L;

    private final Connection connection;
    private final int pid;

    private RunnerLock(Connection connection, int pid) {
        this.connection = connection;
        this.pid = pid;
    }

    /** Returns the held lock, or null when another runner holds it. The connection is owned by the lock. */
    public static RunnerLock tryAcquire(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + KEY + "), pg_backend_pid()")) {
            rs.next();
            if (rs.getBoolean(1)) {
                return new RunnerLock(c, rs.getInt(2));
            }
        } catch (SQLException | RuntimeException e) {
            // Not ours to keep: an open session would outlive the failed attempt.
            try {
                c.close();
            } catch (SQLException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        c.close();
        return null;
    }

    /** Who holds the lock now, for the RunnerBusy message. */
    public static String holder(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                SELECT a.pid, coalesce(a.application_name, '')
                FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted
                  AND l.classid = (%d >> 32)::oid AND l.objid = (%d & 4294967295)::oid AND l.objsubid = 1
                LIMIT 1""".formatted(KEY, KEY))) {
            return rs.next() ? "pid " + rs.getInt(1) + " (" + rs.getString(2) + ")" : "another runner";
        }
    }

    /** The backend that holds the lock. */
    public int pid() {
        return pid;
    }

    /**
     * Whether the lock is still ours: a session-level advisory lock lives exactly as long as its session, so a live
     * session proves it. Checked before each statement and batch, because a session killed by a DBA or a network
     * failure would let a second runner start while we carry on.
     */
    public boolean held() {
        try {
            return connection.isValid(5);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
