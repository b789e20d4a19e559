package dev.phasegate.postgres;

import dev.phasegate.api.Reason;
import dev.phasegate.postgres.sql.StatementSummary;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Watches, from a second connection, the whole tree of sessions queued behind one of our statements (directly or
 * behind another waiter, as SELECTs queue behind an ALTER that queues behind our CIC) and cancels our statement when
 * the tree holds maxBlockedQueries sessions or its oldest waiter has waited maxBlockedWait (rule 6). For a CONCURRENTLY
 * statement, which runs without lock_timeout, it also bounds the wait for the table lock by lockTimeout and the time
 * spent waiting for older transactions (writers, old snapshots) by indexBuildMaxWait, and reports who it waits on.
 */
public final class LockWatchdog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LockWatchdog.class);
    static final Duration POLL = Duration.ofMillis(100);
    /** What pid 0 among the blockers is, for status messages. */
    static final String PREPARED = "a prepared transaction (pg_prepared_xacts; it ends only with COMMIT PREPARED or"
            + " ROLLBACK PREPARED)";

    /**
     * Sessions waiting behind $1 (our backend), followed through waiters of waiters. Only ungranted locks are
     * examined, so pg_blocking_pids runs for waiting sessions alone; UNION stops at cycles.
     */
    static final String TREE_QUERY = """
            WITH RECURSIVE waiting AS (
              SELECT pid, min(waitstart) AS waitstart FROM pg_locks WHERE NOT granted GROUP BY pid
            ), edges AS (
              SELECT w.pid, unnest(pg_blocking_pids(w.pid)) AS blocker FROM waiting w
            ), tree AS (
              SELECT pid FROM edges WHERE blocker = $1
              UNION
              SELECT e.pid FROM edges e JOIN tree t ON e.blocker = t.pid
            )
            SELECT count(*)::int,
                   coalesce((extract(epoch FROM max(clock_timestamp() - w.waitstart)) * 1000)::bigint, 0),
                   (SELECT p.phase FROM pg_stat_progress_create_index p WHERE p.pid = $1),
                   (SELECT p.current_locker_pid FROM pg_stat_progress_create_index p WHERE p.pid = $1),
                   (SELECT ARRAY[a.application_name, a.usename::text, a.state,
                                 coalesce(to_char(a.xact_start, 'HH24:MI:SS'), 'unknown'), left(a.query, 1000)]
                      FROM pg_stat_activity a, pg_stat_progress_create_index p
                     WHERE p.pid = $1 AND a.pid = p.current_locker_pid),
                   (SELECT ARRAY[l.locktype, coalesce((extract(epoch FROM clock_timestamp() - l.waitstart) * 1000)
                                 ::bigint, 0)::text, (pg_blocking_pids(l.pid))[1]::text]
                      FROM pg_locks l WHERE l.pid = $1 AND NOT l.granted LIMIT 1),
                   (SELECT ARRAY[array_to_string(w.bp, ',')] || coalesce(
                             (SELECT array_agg(v.virtualxid) FROM pg_locks v WHERE v.locktype = 'virtualxid'
                               AND v.granted AND v.virtualxid = v.virtualtransaction AND v.pid = ANY(w.bp)),
                             '{}'::text[])
                      FROM (SELECT pg_blocking_pids(l.pid) AS bp FROM pg_locks l
                             WHERE l.pid = $1 AND NOT l.granted LIMIT 1) w)
            FROM tree t LEFT JOIN waiting w USING (pid)""".replace("$1", "?::int");

    private static final int PARAMETERS = (int) TREE_QUERY.chars().filter(c -> c == '?').count();

    /**
     * Why the watchdog cancelled our statement. lockBusy: it waited too long for a table lock before it changed
     * anything, which the executor retries like a lock_timeout (SQLSTATE 55P03).
     */
    public record Breach(Reason reason, String message, boolean lockBusy) {
        public Breach(Reason reason, String message) {
            this(reason, message, false);
        }
    }

    /** What our own backend waits on, from pg_locks (a backend waits for one lock at a time). */
    record OwnWait(String locktype, long waitedMs, Long blocker) {
        static OwnWait of(Array row) throws SQLException {
            if (row == null || !(row.getArray() instanceof String[] a) || a.length < 3 || a[0] == null) {
                return null;
            }
            return new OwnWait(a[0], a[1] == null ? 0 : Long.parseLong(a[1]), a[2] == null ? null : Long.valueOf(a[2]));
        }

        boolean onTable() {
            return locktype.equals("relation");
        }

        /** Waiting for another transaction to end (CONCURRENTLY's waits for writers, lockers and old snapshots). */
        boolean onTransaction() {
            return locktype.equals("virtualxid") || locktype.equals("transactionid");
        }
    }

    private final Connection watcher;
    private final int target;
    private final LockPolicy policy;
    private final boolean concurrent;
    private final Consumer<String> report;
    private final Runnable cancel;
    private final AtomicReference<Breach> breach = new AtomicReference<>();
    /** Who our statement waited on at the last poll that saw it wait for a lock; null until one did. */
    private final AtomicReference<Blockers> blockers = new AtomicReference<>();
    /** Who it waited on at the poll that tripped the watchdog; null when it was not waiting then. */
    private volatile Blockers waitingAtBreach;
    /** The most sessions queued behind our statement at one poll: what adaptive backfill pacing slows down on. */
    private final AtomicInteger mostQueued = new AtomicInteger();
    /** The watcher connection runs one poll at a time: the thread's, or a read asked for by the statement's owner. */
    private final Object pollLock = new Object();
    private Blockers waitingNow;
    /**
     * One thread per watched statement, not a shared timer: a poll that hangs on one database (black-holed network,
     * until the socket timeout) must not stop the watchdogs of statements on other databases.
     */
    private final Thread thread;
    private volatile boolean closed;
    private final Supplier<Optional<Breach>> external;
    private long indexWaitSinceNanos = -1;
    private String lastReport = "";

    private LockWatchdog(Connection watcher, int target, LockPolicy policy, boolean concurrent,
            Consumer<String> report, Runnable cancel, Supplier<Optional<Breach>> external) {
        this.external = external;
        this.watcher = watcher;
        this.target = target;
        this.policy = policy;
        this.concurrent = concurrent;
        this.report = report;
        this.cancel = cancel;
        this.thread = new Thread(this::loop, "phasegate-watchdog-" + target);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        while (!closed) {
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            if (!closed) {
                poll();
            }
        }
    }

    /**
     * Starts watching backend targetPid. report receives a line whenever what we wait on changes (for status);
     * cancel is called once on a breach and must cancel our statement. concurrent: a CONCURRENTLY statement running
     * with lock_timeout lifted, whose lock waits this watchdog bounds instead.
     */
    public static LockWatchdog watch(Connection watcher, int targetPid, LockPolicy policy, boolean concurrent,
            Consumer<String> report, Runnable cancel) {
        return new LockWatchdog(watcher, targetPid, policy, concurrent, report, cancel, Optional::empty);
    }

    /**
     * As above, and also cancels when external reports a breach (a health gate closed on two checks in a row). A
     * CONCURRENTLY statement is exempt: cancelling it only leaves an invalid index (or a pending detach) to clean up
     * and do again.
     */
    public static LockWatchdog watch(Connection watcher, int targetPid, LockPolicy policy, boolean concurrent,
            Consumer<String> report, Runnable cancel, Supplier<Optional<Breach>> external) {
        return new LockWatchdog(watcher, targetPid, policy, concurrent, report, cancel, external);
    }

    /** The watchdog's own session: short bounds, so a slow catalog never stalls it for long. */
    public static SessionSettings session(SessionSettings watched) {
        return new SessionSettings(watched.applicationName(), Duration.ofMillis(200), Duration.ofSeconds(5),
                Duration.ofSeconds(5));
    }

    /** The backend to watch: the worker session's pid. */
    public static int backendPid(Connection c) throws SQLException {
        try (java.sql.Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /**
     * The sessions our statement waited on at the last poll that saw it wait for a lock, if one did. Read after
     * a lock timeout: by then we no longer wait, so only a poll made during the wait can say who blocked us.
     */
    public Optional<Blockers> blockers() {
        return Optional.ofNullable(blockers.get());
    }

    /**
     * Who our statement waited on when the watchdog cancelled it, if it was waiting for a lock then: sessions that
     * queued behind a waiting statement of ours were, through it, waiting for these transactions too.
     */
    public Optional<Blockers> blockersAtBreach() {
        return Optional.ofNullable(waitingAtBreach);
    }

    /**
     * The most sessions seen queued behind our statement (directly or behind its waiters) at one poll. Unlike a
     * count taken after the statement, this sees sessions that waited for rows it had locked: they wait on its
     * transaction, not on the table, and are released when it commits.
     */
    public int mostQueued() {
        return mostQueued.get();
    }

    /** What tripped the watchdog, if it did. */
    public Optional<Breach> breach() {
        return Optional.ofNullable(breach.get());
    }

    /**
     * How long the longest-waiting session queued behind our statement has waited, read now (zero: nobody waits).
     * Read just before a batch commits, it sees every session that waited for the batch's rows, each for as long as
     * it did: polls during the batch miss those that arrived after the last one. Only counts: it does not trip the
     * watchdog. Empty when the read failed.
     */
    public Optional<Duration> longestQueuedWait() {
        synchronized (pollLock) {
            try (PreparedStatement ps = treeQuery(); ResultSet rs = ps.executeQuery()) {
                rs.next();
                mostQueued.accumulateAndGet(rs.getInt(1), Math::max);
                return Optional.of(Duration.ofMillis(rs.getInt(1) == 0 ? 0 : rs.getLong(2)));
            } catch (SQLException e) {
                return Optional.empty();
            }
        }
    }

    /** The tree query about our backend, ready to run on the watcher connection. */
    private PreparedStatement treeQuery() throws SQLException {
        PreparedStatement ps = watcher.prepareStatement(TREE_QUERY);
        for (int i = 1; i <= PARAMETERS; i++) {
            ps.setInt(i, target);
        }
        return ps;
    }

    private void poll() {
        synchronized (pollLock) {
            pollUnderLock();
        }
    }

    private void pollUnderLock() {
        if (breach.get() != null) {
            return;
        }
        if (!concurrent) {
            Optional<Breach> outside = external.get();
            if (outside.isPresent()) {
                trip(outside.get());
                return;
            }
        }
        try (PreparedStatement ps = treeQuery(); ResultSet rs = ps.executeQuery()) {
            rs.next();
            long locker = rs.getLong(4);
            Long lockerPid = rs.wasNull() ? null : locker;
            OwnWait own = OwnWait.of(rs.getArray(6));
            Blockers seen = own == null ? null : Blockers.of(rs.getArray(7));
            waitingNow = seen;
            if (seen != null) {
                // Kept after the wait ends: the poll after a lock timeout must not erase who caused it.
                blockers.set(seen);
            }
            mostQueued.accumulateAndGet(rs.getInt(1), Math::max);
            evaluate(rs.getInt(1), rs.getLong(2), rs.getString(3), lockerPid, lockerInfo(rs.getArray(5)), own);
        } catch (SQLException | RuntimeException e) {
            if (closed) {
                return; // the statement is over; an interrupted last poll says nothing about it
            }
            // A watchdog that cannot see must not let the statement run blind: treat it as a breach.
            trip(new Breach(Reason.ProbeFailed, "lock watchdog lost its view of the database ("
                    + (e instanceof SQLException se ? SqlFailure.serverText(se) : e.toString())
                    + "); cancelled our statement to be safe"));
        }
    }

    /**
     * {@code analytics, user bi, active since 10:15:02, running SELECT orders}: who the index build waits on. The
     * locker's query text is read only to name its command and table; its literals are other people's data.
     */
    static String lockerInfo(Array row) throws SQLException {
        if (row == null || !(row.getArray() instanceof String[] a) || a.length < 5) {
            return null;
        }
        StringBuilder b = new StringBuilder(a[0] == null ? "" : a[0]);
        if (a[1] != null) {
            b.append(b.length() == 0 ? "" : ", ").append("user ").append(a[1]);
        }
        b.append(b.length() == 0 ? "" : ", ").append(a[2] == null ? "" : a[2]).append(" since ").append(a[3]);
        String statement = StatementSummary.of(a[4]);
        if (statement != null) {
            b.append(", running ").append(statement);
        }
        return b.toString();
    }

    private void evaluate(int blocked, long oldestWaitMs, String indexPhase, Long locker, String lockerInfo,
            OwnWait own) {
        if (blocked >= policy.maxBlockedQueries() || (blocked > 0
                && oldestWaitMs >= policy.maxBlockedWait().toMillis())) {
            trip(new Breach(Reason.BlockedQueries, blocked + " session(s) queued behind our statement, the oldest for "
                    + oldestWaitMs + " ms (limits: " + policy.maxBlockedQueries() + " sessions, "
                    + policy.maxBlockedWait().toMillis() + " ms); cancelled it so they can go on"));
            return;
        }
        if (concurrent && own != null && own.onTable() && own.waitedMs() >= policy.lockTimeout().toMillis()) {
            // The statement runs without lock_timeout so that its later waits for older transactions are not cut
            // off; the table lock it asks for first must still be bounded like every other lock we request.
            trip(new Breach(Reason.LockRetriesExhausted, "lock busy: waited " + own.waitedMs()
                    + " ms for a table lock" + heldBy(own.blocker())
                    + " (lock_timeout " + policy.lockTimeout().toMillis() + " ms); cancelled before it changed"
                    + " anything", true));
            return;
        }
        boolean progressWait = indexPhase != null && indexPhase.startsWith("waiting for");
        if (concurrent && (progressWait || (own != null && own.onTransaction()))) {
            long now = System.nanoTime();
            if (indexWaitSinceNanos < 0) {
                indexWaitSinceNanos = now;
            }
            Duration waited = Duration.ofNanos(now - indexWaitSinceNanos);
            Long on = locker != null && locker != 0 ? locker : own == null ? null : own.blocker();
            String who = on == null ? "" : on == 0 ? " on " + PREPARED : " on pid " + on
                    + (lockerInfo == null ? "" : " (" + lockerInfo.trim() + ")");
            String what = progressWait ? "phase '" + indexPhase + "'" : "a wait for an older transaction to end";
            if (waited.compareTo(policy.indexBuildMaxWait()) >= 0) {
                trip(new Breach(Reason.IndexBuildWaitExceeded, "the CONCURRENTLY statement waited "
                        + waited.toSeconds() + " s in " + what + who + " (indexBuildMaxWait "
                        + policy.indexBuildMaxWait().toSeconds() + " s); cancelled and cleaned up"));
                return;
            }
            say((progressWait ? "index build " + indexPhase : "waiting for an older transaction to end") + who);
        } else {
            indexWaitSinceNanos = -1;
            if (own != null && own.onTable()) {
                say("waiting for a table lock" + heldBy(own.blocker()));
            } else if (blocked > 0) {
                say(blocked + " session(s) waiting behind our statement, oldest " + oldestWaitMs + " ms");
            }
        }
    }

    /**
     * {@code  held by pid 42}; pg_blocking_pids names a prepared transaction pid 0, which is no session: it holds its
     * locks until someone runs COMMIT PREPARED or ROLLBACK PREPARED.
     */
    static String heldBy(Long pid) {
        return pid == null ? "" : pid == 0 ? " held by " + PREPARED : " held by pid " + pid;
    }

    private void say(String line) {
        if (!line.equals(lastReport)) {
            lastReport = line;
            report.accept(line);
        }
    }

    private void trip(Breach b) {
        if (breach.compareAndSet(null, b)) {
            waitingAtBreach = waitingNow;
            LOG.warnf("watchdog: %s", b.message());
            cancel.run();
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            // The watcher connection is reused for the next statement's watchdog: let a poll in flight finish.
            thread.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
