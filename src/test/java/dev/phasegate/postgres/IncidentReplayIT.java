package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.SqlStepExecutor.SqlStep;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Replays the incident of the write-up (/work/shared/incident-writeup.txt) against a real PostgreSQL: an analytics
 * transaction holding an old snapshot on another table, a migration {@code ALTER TABLE orders ADD COLUMN ...;
 * CREATE INDEX CONCURRENTLY ...} and application traffic on {@code orders}.
 *
 * <ol>
 * <li>With our preflight (rule 4) the CIC never starts while the old snapshot exists: the step fails retryable
 * with LongTransaction naming the blocker, statement 1 stays applied and journaled, and the application never waits
 * on us longer than the lock timeout (plus margin). Once the blockers end, the same step completes.</li>
 * <li>Without the preflight (health null) the incident shape itself: our CIC waits for the old snapshot, a foreign
 * ALTER queues behind it and the application's SELECTs queue behind the ALTER. The watchdog (rule 6) cancels our
 * CIC with BlockedQueries, the invalid index is dropped (rule 5) and the application recovers.</li>
 * </ol>
 */
@WithPostgres
class IncidentReplayIT {

    private static final int ROWS = 200_000;
    private static final String MIGRATION = """
            ALTER TABLE orders ADD COLUMN note text;
            CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);
            """;
    private static final Duration LOCK_TIMEOUT = Duration.ofMillis(500);
    /** Margin for a 2-core machine shared with other builds. */
    private static final long MARGIN_MS = 1_000;

    PostgresDatabase db;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean appRunning = new AtomicBoolean();
    private final AtomicLong appWorstMs = new AtomicLong();
    private final AtomicLong appQueries = new AtomicLong();
    private final AtomicReference<Throwable> appError = new AtomicReference<>();

    @BeforeEach
    void createTables() throws SQLException {
        exec("DROP TABLE IF EXISTS orders, analytics_events, sessions_kv");
        exec("DROP SCHEMA IF EXISTS phasegate CASCADE");
        // autovacuum off on orders: an autovacuum run would close the gate for another reason (blockOnAutovacuum).
        exec("CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, amount int NOT NULL,"
                + " status text NOT NULL) WITH (autovacuum_enabled = off)");
        exec("INSERT INTO orders SELECT g, g % 5000, g % 1000, 'new' FROM generate_series(1, " + ROWS + ") g");
        exec("VACUUM ANALYZE orders");
        exec("CREATE TABLE analytics_events (id int PRIMARY KEY, v int)");
        exec("INSERT INTO analytics_events SELECT g, g FROM generate_series(1, 1000) g");
        exec("CREATE TABLE sessions_kv (k int PRIMARY KEY, v text)");
        exec("INSERT INTO sessions_kv SELECT g, 'x' FROM generate_series(1, 100) g");
    }

    @AfterEach
    void stopEverything() throws Exception {
        appRunning.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }
        for (AutoCloseable c : cleanup) {
            try {
                c.close();
            } catch (Exception ignored) {
                // already closed or terminated
            }
        }
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid() AND application_name IN ('analytics-report', 'idle-worker',"
                    + " 'foreign-deploy')");
        }
    }

    // ------------------------------------------------------------------ scenario 1: with the preflight

    @Test
    void preflightKeepsTheIndexBuildFromStartingWhileAnOldSnapshotExistsAndCompletesAfterIt() throws Exception {
        startApp(2);
        awaitAppQueries(50);
        Analytics analytics = openAnalyticsSnapshot();
        Connection idle = openIdleInTransaction();
        // Old enough for maxTransactionAge 2s, with margin.
        Thread.sleep(3_000);

        HealthSpec health = new HealthSpec();
        health.maxTransactionAge = "2s";
        // Large on purpose: the idle-in-transaction session is on another table and younger than the analytics
        // transaction, so the ALTER (whose gate looks at orders only, plus idle sessions database-wide) may run,
        // and the CIC's database-wide gate names the oldest transaction: the analytics one.
        health.maxIdleInTransaction = "10m";
        List<String> progress = new CopyOnWriteArrayList<>();
        long t0 = System.nanoTime();
        // indexBuildMaxWait 20s: should the preflight let the CIC start, the test fails in 20 s instead of hanging.
        StepObservation first = new SqlStepExecutor().run(step("uid-incident-1", health, policy(3, "1s", "20s")),
                (done, total, waiting, detail) -> progress.add(waiting + " " + detail), new StepControl());
        long firstMs = (System.nanoTime() - t0) / 1_000_000;

        System.out.printf("incident-replay preflight: %s (took %d ms), worst app query %d ms%n", first, firstMs,
                appWorstMs.get());
        assertThat(first).as("first run: %s; progress %s", first, progress).isInstanceOf(StepObservation.Failed.class);
        StepObservation.Failed f = (StepObservation.Failed) first;
        assertThat(f.reason()).isEqualTo(Reason.LongTransaction);
        assertThat(f.retryable()).isTrue();
        assertThat(f.statementsDone()).as("the ALTER was applied").isEqualTo(1);
        assertThat(f.message()).contains("preflight before statement 2/2", "CREATE INDEX CONCURRENTLY orders_note_idx",
                "it did not start", "pid " + analytics.pid(), "analytics-report");
        assertThat(firstMs).as("the preflight refuses at once instead of waiting").isLessThan(10_000);
        assertThat(columns("note")).as("statement 1 applied").isEqualTo(1);
        assertThat(ledger("uid-incident-1")).containsExactly("1 done");
        assertThat(count("SELECT count(*) FROM pg_index WHERE NOT indisvalid")).as("invalid indexes").isZero();
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'orders_note_idx'")).as("index").isZero();
        assertThat(count("SELECT count(*) FROM pg_stat_progress_create_index")).as("CIC running").isZero();
        assertThat(appError.get()).as("app error").isNull();
        assertThat(appWorstMs.get()).as("worst app query (ms) while the preflight refused")
                .isLessThan(LOCK_TIMEOUT.toMillis() + MARGIN_MS);

        // The blockers end (the analytics report finishes, the idle session commits): the same step completes.
        end(analytics);
        idle.rollback();
        StepObservation second = new SqlStepExecutor().run(step("uid-incident-1", health, policy(3, "1s", "20s")),
                (done, total, waiting, detail) -> progress.add(waiting + " " + detail), new StepControl());
        assertThat(second).as("second run: %s; progress %s", second, progress)
                .isInstanceOf(StepObservation.Completed.class);
        assertThat(strings("SELECT indisvalid::text || ' ' || indisready::text FROM pg_index"
                + " WHERE indexrelid = 'orders_note_idx'::regclass")).containsExactly("true true");
        assertThat(columns("note")).isEqualTo(1);
        assertThat(ledger("uid-incident-1")).containsExactly("1 done", "2 done");
        appRunning.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertThat(appError.get()).as("app error").isNull();
        assertThat(appQueries.get()).as("app queries").isGreaterThan(100);
        assertThat(appWorstMs.get()).as("worst app query (ms) over the whole scenario")
                .isLessThan(LOCK_TIMEOUT.toMillis() + MARGIN_MS);
    }

    // ------------------------------------------------------------------ scenario 2: the incident shape, no preflight

    @Test
    void withoutThePreflightTheWatchdogCancelsOurWaitingIndexBuildWhenAForeignAlterQueuesTheApp() throws Exception {
        // The foreign ALTER is not ours: it must not fail on the note column our statement 1 adds.
        Analytics analytics = openAnalyticsSnapshot();
        startApp(2);
        awaitAppQueries(50);
        long maxBlockedWaitMs = 500;
        LockPolicy policy = policy(0, maxBlockedWaitMs + "ms", "10m");

        List<String> progress = new CopyOnWriteArrayList<>();
        CompletableFuture<StepObservation> run = CompletableFuture.supplyAsync(() -> new SqlStepExecutor().run(
                step("uid-incident-2", null, policy), (done, total, waiting, detail) -> progress.add(waiting + " "
                        + detail), new StepControl()));
        // Our CIC is now waiting for the analytics snapshot, holding SHARE UPDATE EXCLUSIVE on orders.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> count(
                "SELECT count(*) FROM pg_stat_progress_create_index WHERE phase = 'waiting for old snapshots'") == 1);
        assertThat(run).isNotDone();

        // A deploy of another service runs a plain ALTER (no lock_timeout): it queues behind our CIC, and the
        // application's SELECTs queue behind the ALTER.
        appWorstMs.set(0);
        AtomicReference<Throwable> foreignError = new AtomicReference<>();
        AtomicLong foreignMs = new AtomicLong(-1);
        Connection foreign = connect("foreign-deploy");
        Thread foreignThread = new Thread(() -> {
            long t = System.nanoTime();
            try (Statement s = foreign.createStatement()) {
                s.execute("SET lock_timeout = 0");
                s.execute("ALTER TABLE orders ADD COLUMN shipped_at timestamptz");
                foreignMs.set((System.nanoTime() - t) / 1_000_000);
            } catch (SQLException e) {
                foreignError.set(e);
            }
        }, "foreign-alter");
        foreignThread.start();
        threads.add(foreignThread);

        StepObservation result = run.get(60, TimeUnit.SECONDS);
        foreignThread.join(30_000);

        System.out.printf("incident-replay watchdog: %s; foreign ALTER waited %d ms, worst app query %d ms%n", result,
                foreignMs.get(), appWorstMs.get());
        assertThat(result).as("result: %s; progress %s", result, progress).isInstanceOf(StepObservation.Failed.class);
        StepObservation.Failed f = (StepObservation.Failed) result;
        assertThat(f.reason()).isEqualTo(Reason.BlockedQueries);
        assertThat(f.retryable()).isTrue();
        assertThat(f.statementsDone()).isEqualTo(1);
        assertThat(f.message()).contains("statement 2/2", "queued behind our statement");
        assertThat(foreignError.get()).as("the foreign ALTER gets its lock once our CIC is cancelled").isNull();
        assertThat(foreignMs.get()).as("foreign ALTER wait (ms)").isBetween(0L, maxBlockedWaitMs + 100 + MARGIN_MS);
        assertThat(columns("shipped_at")).isEqualTo(1);
        assertThat(columns("note")).isEqualTo(1);
        assertThat(ledger("uid-incident-2")).containsExactly("1 done");
        assertThat(count("SELECT count(*) FROM pg_index WHERE NOT indisvalid")).as("invalid indexes").isZero();
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'orders_note_idx'")).as("index").isZero();

        // The application recovers: queries flow again, and none waited much past maxBlockedWait.
        long before = appQueries.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> appQueries.get() > before + 50);
        appRunning.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertThat(appError.get()).as("app error").isNull();
        assertThat(appWorstMs.get()).as("worst app query (ms) from the foreign ALTER on")
                .isLessThan(maxBlockedWaitMs + 100 + MARGIN_MS);
        end(analytics);
    }

    // ------------------------------------------------------------------ fixtures

    private SqlStep step(String uid, HealthSpec health, LockPolicy policy) {
        return new SqlStep(uid, "shop/incident", PhaseName.CompatibleSchema, false, MIGRATION,
                new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()),
                SessionSettings.forMigration("shop", "incident", policy.lockTimeout(), policy.statementTimeout()),
                policy, health);
    }

    private static LockPolicy policy(int retries, String maxBlockedWait, String indexBuildMaxWait) {
        LocksSpec l = new LocksSpec();
        l.lockTimeout = LOCK_TIMEOUT.toMillis() + "ms";
        l.retries = retries;
        l.maxBlockedWait = maxBlockedWait;
        l.maxBlockedQueries = 50;
        l.indexBuildMaxWait = indexBuildMaxWait;
        return LockPolicy.from(l).withRetryBase(Duration.ofMillis(200));
    }

    /** Application threads: point SELECT, and UPDATE of the same row every third query; worst latency kept. */
    private void startApp(int threadCount) {
        appRunning.set(true);
        for (int i = 0; i < threadCount; i++) {
            Thread t = new Thread(() -> {
                try (Connection c = connect("shop-app");
                        PreparedStatement sel = c.prepareStatement("SELECT amount FROM orders WHERE id = ?");
                        PreparedStatement upd = c.prepareStatement(
                                "UPDATE orders SET amount = amount + 1 WHERE id = ?")) {
                    long n = 0;
                    while (appRunning.get()) {
                        long id = ThreadLocalRandom.current().nextLong(1, ROWS + 1);
                        long t0 = System.nanoTime();
                        sel.setLong(1, id);
                        try (ResultSet rs = sel.executeQuery()) {
                            rs.next();
                        }
                        if (n++ % 3 == 0) {
                            upd.setLong(1, id);
                            upd.executeUpdate();
                        }
                        appWorstMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                        appQueries.incrementAndGet();
                        Thread.sleep(5);
                    }
                } catch (Throwable e) {
                    appError.compareAndSet(null, e);
                }
            }, "app-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
    }

    private void awaitAppQueries(long n) {
        await().atMost(Duration.ofSeconds(30)).until(() -> appQueries.get() >= n);
    }

    /** A REPEATABLE READ report that took its snapshot on another table and now runs a long query. */
    private Analytics openAnalyticsSnapshot() throws Exception {
        Connection c = connect("analytics-report");
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        int pid;
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM analytics_events")) {
                rs.next();
            }
            try (ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getInt(1);
            }
        }
        Thread t = new Thread(() -> {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_sleep(600)");
            } catch (SQLException expectedOnCancel) {
                // ended by Analytics.end()
            }
        }, "analytics");
        t.setDaemon(true);
        t.start();
        threads.add(t);
        await().atMost(Duration.ofSeconds(10)).until(() -> count("SELECT count(*) FROM pg_stat_activity WHERE pid = "
                + pid + " AND state = 'active' AND backend_xmin IS NOT NULL") == 1);
        Analytics a = new Analytics(c, pid, t);
        cleanup.add(c);
        return a;
    }

    private record Analytics(Connection connection, int pid, Thread thread) {
    }

    /** The report ends: its query is cancelled from outside, its transaction rolled back, its session closed. */
    private void end(Analytics a) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_cancel_backend(" + a.pid() + ")");
        }
        a.thread().join(10_000);
        a.connection().rollback();
        a.connection().close();
    }

    /** A session on yet another table, left idle in its transaction. */
    private Connection openIdleInTransaction() throws SQLException {
        Connection c = connect("idle-worker");
        cleanup.add(c);
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE sessions_kv SET v = 'y' WHERE k = 1");
        }
        return c;
    }

    private Connection connect(String applicationName) throws SQLException {
        Connection c = db.connect();
        try (Statement s = c.createStatement()) {
            s.execute("SET application_name = '" + applicationName + "'");
        }
        return c;
    }

    private List<String> ledger(String uid) throws SQLException {
        return strings("SELECT stmt_index || ' ' || state FROM phasegate.ledger WHERE migration_uid = '" + uid
                + "' ORDER BY stmt_index");
    }

    private long columns(String column) throws SQLException {
        return count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = '"
                + column + "'");
    }

    private void exec(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private List<String> strings(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
