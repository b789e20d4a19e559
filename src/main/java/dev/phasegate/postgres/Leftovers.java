package dev.phasegate.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Sessions that an earlier incarnation of a migration's runner left behind. Called while holding the runner lock:
 * only the lock holder may run this migration's statements, so any other session under the migration's
 * application_name is an orphan (its operator died or lost the network) and may still hold locks.
 */
final class Leftovers {
    private static final Duration POLL = Duration.ofMillis(50);

    private Leftovers() {
    }

    /**
     * Terminates them (a terminated backend rolls back what it did and releases its locks) and waits up to
     * {@code wait} for them to be gone. Returns the pids that were still there at the end (empty when clean).
     */
    static List<Integer> terminate(Connection c, String applicationName, Collection<Integer> ours, Duration wait)
            throws SQLException {
        List<Integer> found = find(c, applicationName, ours);
        if (found.isEmpty()) {
            return found;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(pid) FROM unnest(?::int[]) pid")) {
            ps.setArray(1, ints(c, found));
            ps.executeQuery().close();
        }
        long end = System.nanoTime() + wait.toNanos();
        List<Integer> left = find(c, applicationName, ours);
        while (!left.isEmpty() && System.nanoTime() < end) {
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            left = find(c, applicationName, ours);
        }
        return left;
    }

    /**
     * Clears the leftovers of this migration before its runner does anything; returns a message when some would not
     * go away (the caller backs off rather than run beside them).
     */
    static java.util.Optional<String> clear(RunnerLock lock, Connection work, Connection watcher, String applicationName)
            throws SQLException {
        List<Integer> ours = List.of(lock.pid(), LockWatchdog.backendPid(work), LockWatchdog.backendPid(watcher));
        List<Integer> left = terminate(work, applicationName, ours, Duration.ofSeconds(5));
        return left.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of("sessions " + left + " of an"
                + " earlier run of this migration (application_name " + applicationName + ") did not end within 5 s"
                + " of pg_terminate_backend; waiting for them before running anything");
    }

    static List<Integer> find(Connection c, String applicationName, Collection<Integer> ours) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_stat_activity WHERE application_name = ?"
                + " AND backend_type = 'client backend' AND pid <> ALL(?::int[]) AND pid <> pg_backend_pid()"
                + " AND datname = current_database() ORDER BY pid")) {
            ps.setString(1, applicationName);
            ps.setArray(2, ints(c, ours));
            try (ResultSet rs = ps.executeQuery()) {
                List<Integer> pids = new ArrayList<>();
                while (rs.next()) {
                    pids.add(rs.getInt(1));
                }
                return pids;
            }
        }
    }

    private static Array ints(Connection c, Collection<Integer> values) throws SQLException {
        return c.createArrayOf("int4", values.toArray());
    }
}
