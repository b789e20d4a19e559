package dev.phasegate.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;

/**
 * The transactions that held up our lock request, by virtual transaction id, so that a retry can start as soon as
 * they are over. A virtual transaction id (backend slot / local counter, from pg_locks) names one transaction: the
 * same pid in its next transaction, or a new session that got the pid, has another one. pg_locks shows it for every
 * session without pg_read_all_stats, where pg_stat_activity hides other users' xact_start. No query text is read.
 *
 * @param pids     the blocking backends, as pg_blocking_pids gave them (for messages)
 * @param vxids    their virtual transaction ids
 * @param complete every blocker has an id: false for a prepared transaction (pid 0), which cannot be watched
 */
public record Blockers(List<Long> pids, List<String> vxids, boolean complete) {

    private static final String RUNNING = "SELECT count(*) FROM pg_locks WHERE locktype = 'virtualxid' AND granted"
            + " AND virtualxid = virtualtransaction AND virtualxid = ANY(?)";

    /** From the watchdog's row: the blocking pids joined by commas, then their vxids; null when none is named. */
    static Blockers of(Array row) throws SQLException {
        if (row == null || !(row.getArray() instanceof String[] a) || a.length == 0 || a[0] == null
                || a[0].isEmpty()) {
            return null;
        }
        List<Long> pids = Arrays.stream(a[0].split(",")).map(Long::valueOf).toList();
        List<String> vxids = Arrays.asList(a).subList(1, a.length);
        boolean complete = !pids.contains(0L) && vxids.size() == pids.size();
        return new Blockers(pids, List.copyOf(vxids), complete);
    }

    /** Whether any of these transactions still runs (one round trip on the watcher connection). */
    boolean anyRunning(Connection watcher) throws SQLException {
        try (PreparedStatement ps = watcher.prepareStatement(RUNNING)) {
            ps.setArray(1, watcher.createArrayOf("text", vxids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }

    /** Whether a prepared transaction is among them: pg_blocking_pids names it pid 0. */
    boolean prepared() {
        return pids.contains(0L);
    }

    /** {@code pid 4242, 4243} for status messages; a prepared transaction (pid 0) is named as such. */
    String describe() {
        List<Long> sessions = pids.stream().filter(p -> p != 0L).toList();
        String named = sessions.isEmpty() ? "" : (sessions.size() == 1 ? "pid " : "pids ")
                + sessions.stream().map(String::valueOf).reduce((x, y) -> x + ", " + y).orElse("");
        if (!prepared()) {
            return named;
        }
        return (named.isEmpty() ? "" : named + " and ") + LockWatchdog.PREPARED;
    }
}
