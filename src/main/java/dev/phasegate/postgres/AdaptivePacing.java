package dev.phasegate.postgres;

import dev.phasegate.api.Durations;
import dev.phasegate.api.HealthSpec;
import dev.phasegate.engine.BackfillPacer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import org.jboss.logging.Logger;

/**
 * The measuring side of adaptive backfill pacing: a latency probe that reads one row of the backfilled table by its
 * key, as the application does, every {@link #INTERVAL} on a connection of its own (so it also runs, and feels the
 * load, while a batch runs), and the table's lock waiters and the streaming replicas' lag, read between batches on
 * the watcher connection. {@link BackfillPacer} decides on what they measure.
 */
final class AdaptivePacing implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AdaptivePacing.class);
    static final Duration INTERVAL = Duration.ofMillis(10);
    /**
     * Before the first batch; about 20 reads, whose p99 is their slowest. Longer only delays every backfill: a
     * baseline taken on a busy database is already its slowest read, and the allowance (10 ms at least) absorbs
     * the rest of the noise.
     */
    static final Duration BASELINE = Duration.ofMillis(200);
    private static final String SIGNALS = "SELECT (SELECT count(*)::int FROM pg_locks WHERE relation = ?::regclass"
            + " AND NOT granted), (SELECT extract(epoch FROM max(replay_lag))::float8 FROM pg_stat_replication)";

    private final Connection probe;
    private final PreparedStatement read;
    /** Bounded: while the health gate holds the backfill for hours, only the latest samples matter. */
    private final ArrayBlockingQueue<Duration> samples = new ArrayBlockingQueue<>(2_000);
    private final BackfillPacer pacer;
    private final String table;
    private final HealthSpec health;
    private final Thread thread;
    private volatile boolean closed;

    private AdaptivePacing(Connection probe, PreparedStatement read, BackfillPacer pacer, String table,
            HealthSpec health) {
        this.probe = probe;
        this.read = read;
        this.pacer = pacer;
        this.table = table;
        this.health = health == null ? new HealthSpec() : health;
        this.thread = new Thread(this::loop, "phasegate-pacing-probe");
        this.thread.setDaemon(true);
    }

    /**
     * Opens the probe on key {@code key} of the plan's table, measures its baseline for {@link #BASELINE} (before
     * any batch runs) and starts probing in the background.
     */
    static AdaptivePacing start(ConnectionSettings db, SessionSettings session, BackfillPlan plan, String key,
            Duration allowance, HealthSpec health, StepControl control) throws SQLException {
        Connection c = Sessions.open(db, LockWatchdog.session(session));
        try {
            PreparedStatement ps = c.prepareStatement("SELECT " + plan.qKey + " FROM " + plan.qTable + " WHERE "
                    + plan.qKey + " = ?::" + plan.keyType);
            ps.setString(1, key);
            BackfillPacer pacer = new BackfillPacer(new BackfillPacer.Settings(allowance, Duration.ofSeconds(10)),
                    Clock.systemUTC());
            AdaptivePacing p = new AdaptivePacing(c, ps, pacer, plan.qTable, health);
            List<Duration> baseline = new ArrayList<>();
            long end = System.nanoTime() + BASELINE.toNanos();
            while (System.nanoTime() < end && !control.stopRequested()) {
                Duration d = p.once();
                if (d != null) {
                    baseline.add(d);
                }
                control.sleep(INTERVAL);
            }
            pacer.baseline(baseline);
            p.thread.start();
            return p;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    static Duration allowance(String spec) {
        return spec == null ? null : Durations.parse(spec);
    }

    /**
     * One read's latency. A read cut off by lock_timeout or statement_timeout counts with the time it took, as the
     * application would have waited that long; any other failure (a broken connection) is no measurement: null.
     */
    private Duration once() {
        long t0 = System.nanoTime();
        try (ResultSet rs = read.executeQuery()) {
            rs.next();
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (closed || !(state.equals(SqlFailure.LOCK_NOT_AVAILABLE) || state.equals(SqlFailure.QUERY_CANCELED))) {
                LOG.debugf("pacing probe on %s failed: %s", table, SqlFailure.serverText(e));
                return null;
            }
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    private void loop() {
        while (!closed) {
            Duration d = once();
            if (d == null && isClosed()) {
                // No more samples: the pace holds (it needs fresh samples to step up) and the signals still count.
                return;
            }
            if (d != null && !samples.offer(d)) {
                samples.poll();
                samples.offer(d);
            }
            try {
                Thread.sleep(INTERVAL.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * After a batch that took {@code took} while {@code queued} sessions waited behind it or its retried tries (the
     * lock watchdog's count: those waiting for its rows are gone by now), the longest of them for {@code
     * waitedAtCommit} when it committed: the pace for the pause after it and the next batch.
     */
    BackfillPacer.Pace afterBatch(Duration took, int queued, Duration waitedAtCommit, Connection watcher) {
        List<Duration> fresh = new ArrayList<>();
        for (Duration d; (d = samples.poll()) != null; ) {
            fresh.add(d);
        }
        return pacer.afterBatch(took, fresh, signals(watcher, queued, waitedAtCommit));
    }

    BackfillPacer.Pace pace() {
        return pacer.pace();
    }

    private BackfillPacer.Signals signals(Connection watcher, int queued, Duration waitedAtCommit) {
        try (PreparedStatement ps = watcher.prepareStatement(SIGNALS)) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                int waiters = rs.getInt(1);
                double lag = rs.getDouble(2);
                Duration replicaLag = rs.wasNull() ? null : Duration.ofNanos((long) (lag * 1e9));
                return new BackfillPacer.Signals(waiters, queued, maxLockWaiters(),
                        replicaLag, health.maxReplicationLag == null ? null
                                : Durations.parse(health.maxReplicationLag), waitedAtCommit);
            }
        } catch (SQLException | IllegalArgumentException e) {
            // The probe still paces; the health gate still watches these signals itself.
            LOG.debugf("pacing signals of %s unavailable: %s", table, e.getMessage());
            return new BackfillPacer.Signals(0, queued, maxLockWaiters(), null, null, waitedAtCommit);
        }
    }

    private int maxLockWaiters() {
        return health.maxLockWaiters == null ? 0 : health.maxLockWaiters;
    }

    private boolean isClosed() {
        try {
            return probe.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            probe.close();
        } catch (SQLException ignored) {
            // the server ends the session with the connection anyway
        }
    }
}
