package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.SqlStepExecutor.SqlStep;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A lock retry (of a statement or of a backfill batch) starts when the transaction that blocked the last try ends,
 * not when the backoff timer says so; the timer still decides when the blocker cannot be named.
 */
@WithPostgres
class BlockerRetryIT {
    /** A long timer: a retry driven by it alone would come 10-20 s after the first try, far past the bounds below. */
    private static final Duration SLOW_TIMER = Duration.ofSeconds(20);
    /** A value in the blocker's query: it must not reach anything of ours. */
    private static final String CANARY = "secret-canary@example.com";

    PostgresDatabase db;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void retriesAsSoonAsTheBlockingReaderCommitsWhileTheApplicationNeverWaitsLong() throws Exception {
        db.execute("CREATE TABLE br_t (id int PRIMARY KEY); INSERT INTO br_t SELECT generate_series(1, 100)");
        Duration lockTimeout = Duration.ofMillis(300);
        Progress progress = new Progress();
        AtomicBoolean stopProbing = new AtomicBoolean();
        AtomicLong longestProbeNanos = new AtomicLong();
        AtomicLong committedAt = new AtomicLong();
        StepObservation result;
        long finishedAt;
        try (Connection reader = db.connect(); Connection app = db.connect()) {
            reader.setAutoCommit(false);
            reader.createStatement().executeQuery("SELECT count(*) FROM br_t WHERE id::text <> '" + CANARY + "'")
                    .close();
            Future<?> probing = pool.submit(() -> probe(app, "br_t", stopProbing, longestProbeNanos));
            Future<?> commit = commitLater(reader, Duration.ofSeconds(3), committedAt);

            result = new SqlStepExecutor().run(step("br", "ALTER TABLE br_t ADD COLUMN flag boolean", lockTimeout,
                    SLOW_TIMER), progress, new StepControl());
            finishedAt = System.nanoTime();

            commit.get(10, TimeUnit.SECONDS);
            stopProbing.set(true);
            probing.get(10, TimeUnit.SECONDS);
        }
        assertThat(result).isInstanceOf(StepObservation.Completed.class);
        assertThat(db.columns("br_t")).contains("flag");
        assertThat(Duration.ofNanos(finishedAt - committedAt.get()))
                .as("done soon after the blocking reader committed").isLessThan(Duration.ofMillis(2_500));
        assertThat(Duration.ofNanos(longestProbeNanos.get()))
                .as("the application's longest query, behind our waiting ALTER")
                .isLessThan(lockTimeout.plusMillis(700));
        assertThat(progress.retryLines()).isNotEmpty()
                .allSatisfy(line -> assertThat(line).contains("as soon as the transaction(s) of pid"))
                .noneMatch(line -> line.contains(CANARY));
    }

    @Test
    void afterTheWatchdogCancelledForQueuedSessionsTheRetryAlsoWaitsForTheReaderOnly() throws Exception {
        db.execute("CREATE TABLE bq_t (id int PRIMARY KEY); INSERT INTO bq_t SELECT generate_series(1, 100)");
        AtomicBoolean stopProbing = new AtomicBoolean();
        AtomicLong committedAt = new AtomicLong();
        Progress progress = new Progress();
        StepObservation result;
        long finishedAt;
        try (Connection reader = db.connect(); Connection app = db.connect()) {
            reader.setAutoCommit(false);
            reader.createStatement().executeQuery("SELECT count(*) FROM bq_t").close();
            Future<?> probing = pool.submit(() -> probe(app, "bq_t", stopProbing, new AtomicLong()));
            Future<?> commit = commitLater(reader, Duration.ofSeconds(3), committedAt);
            // One queued application query is enough for the watchdog, long before the lock timeout.
            result = new SqlStepExecutor().run(step("bq", "ALTER TABLE bq_t ADD COLUMN flag boolean",
                    policy(Duration.ofSeconds(5), SLOW_TIMER, 1)), progress, new StepControl());
            finishedAt = System.nanoTime();
            commit.get(10, TimeUnit.SECONDS);
            stopProbing.set(true);
            probing.get(10, TimeUnit.SECONDS);
        }
        assertThat(result).isInstanceOf(StepObservation.Completed.class);
        assertThat(progress.blocked).isNotEmpty()
                .allSatisfy(line -> assertThat(line).contains("as soon as the transaction(s) of pid"));
        assertThat(Duration.ofNanos(finishedAt - committedAt.get()))
                .as("done soon after the blocking reader committed").isLessThan(Duration.ofMillis(2_500));
    }

    @Test
    void theTimerStillDecidesWhenTheBlockerWasNeverSeen() throws Exception {
        db.execute("CREATE TABLE bt_t (id int PRIMARY KEY)");
        // Each try gives up after 20 ms, before the watchdog's first look (100 ms): nobody is named.
        Duration lockTimeout = Duration.ofMillis(20);
        Progress progress = new Progress();
        AtomicLong committedAt = new AtomicLong();
        StepObservation result;
        long finishedAt;
        try (Connection reader = db.connect()) {
            reader.setAutoCommit(false);
            reader.createStatement().execute("LOCK TABLE bt_t IN ACCESS SHARE MODE");
            Future<?> commit = commitLater(reader, Duration.ofMillis(1_500), committedAt);
            result = new SqlStepExecutor().run(step("bt", "ALTER TABLE bt_t ADD COLUMN flag boolean", lockTimeout,
                    Duration.ofMillis(200)), progress, new StepControl());
            finishedAt = System.nanoTime();
            commit.get(10, TimeUnit.SECONDS);
        }
        assertThat(result).isInstanceOf(StepObservation.Completed.class);
        assertThat(finishedAt).isGreaterThan(committedAt.get());
        assertThat(progress.retryLines()).isNotEmpty()
                .noneMatch(line -> line.contains("as soon as"))
                .allSatisfy(line -> assertThat(line).containsPattern("retry \\d+/30 in \\d+ ms"));
    }

    @Test
    void aBackfillBatchRetriesAsSoonAsTheRowLockIsReleased() throws Exception {
        db.execute("CREATE TABLE bb_t (id int PRIMARY KEY, a int, b int);"
                + " INSERT INTO bb_t SELECT g, g, NULL FROM generate_series(1, 1000) g");
        AtomicLong committedAt = new AtomicLong();
        StepObservation result;
        long finishedAt;
        try (Connection writer = db.connect()) {
            writer.setAutoCommit(false);
            writer.createStatement().executeUpdate("UPDATE bb_t SET a = a WHERE id = 500");
            Future<?> commit = commitLater(writer, Duration.ofSeconds(3), committedAt);
            BackfillSpec spec = BackfillerIT.spec("bb_t", "id", "b = a", "b IS NULL", 1000, 100, 1000, "200ms");
            LockPolicy locks = policy(Duration.ofMillis(300), SLOW_TIMER, 5);
            result = new Backfiller().run(new Backfiller.BackfillRequest("uid-bb", "shop/bb", () -> spec,
                    connection(), SessionSettings.forMigration("shop", "bb", locks.lockTimeout(),
                            locks.statementTimeout()), locks), (running, status) -> { }, new StepControl(),
                    HealthGate::opened);
            finishedAt = System.nanoTime();
            commit.get(10, TimeUnit.SECONDS);
        }
        assertThat(result).isInstanceOf(StepObservation.Completed.class);
        assertThat(Duration.ofNanos(finishedAt - committedAt.get()))
                .as("done soon after the writer committed").isLessThan(Duration.ofMillis(2_500));
    }

    /** Commits the reader's transaction after a while and notes when. */
    private Future<?> commitLater(Connection reader, Duration after, AtomicLong committedAt) {
        return pool.submit(() -> {
            Thread.sleep(after.toMillis());
            reader.commit();
            committedAt.set(System.nanoTime());
            return null;
        });
    }

    private static Void probe(Connection app, String table, AtomicBoolean stop, AtomicLong longest)
            throws Exception {
        try (Statement s = app.createStatement()) {
            s.execute("SET statement_timeout = '20s'");
            while (!stop.get()) {
                long start = System.nanoTime();
                s.executeQuery("SELECT count(*) FROM " + table).close();
                longest.accumulateAndGet(System.nanoTime() - start, Math::max);
                Thread.sleep(5);
            }
        }
        return null;
    }

    private SqlStep step(String name, String sql, Duration lockTimeout, Duration retryBase) {
        return step(name, sql, policy(lockTimeout, retryBase, 5));
    }

    private SqlStep step(String name, String sql, LockPolicy locks) {
        return new SqlStep("uid-" + name, name, PhaseName.CompatibleSchema, false, sql, connection(),
                SessionSettings.forMigration("shop", name, locks.lockTimeout(), locks.statementTimeout()), locks,
                new HealthSpec());
    }

    private static LockPolicy policy(Duration lockTimeout, Duration retryBase, int maxBlockedQueries) {
        LocksSpec spec = new LocksSpec();
        spec.lockTimeout = lockTimeout.toMillis() + "ms";
        spec.statementTimeout = "45s";
        spec.retries = 30;
        spec.maxBlockedQueries = maxBlockedQueries;
        return LockPolicy.from(spec).withRetryBase(retryBase);
    }

    private ConnectionSettings connection() {
        return new ConnectionSettings(db.jdbcUrl(), db.user(), db.password());
    }

    /** The retry announcements the executor reported. */
    private static final class Progress implements SqlStepExecutor.Listener {
        final List<String> retries = new CopyOnWriteArrayList<>();
        final List<String> blocked = new CopyOnWriteArrayList<>();

        @Override
        public void progress(int done, int total, Reason waitingOn, String detail) {
            if (waitingOn == Reason.RetryBackoff) {
                retries.add(detail);
            } else if (waitingOn == Reason.BlockedQueries) {
                blocked.add(detail);
            }
        }

        List<String> retryLines() {
            return retries;
        }
    }
}
