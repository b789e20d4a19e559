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
import dev.phasegate.testing.PostgresCluster;
import dev.phasegate.testing.PostgresDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A prepared transaction (PREPARE TRANSACTION) holds its locks with no session behind it: pg_blocking_pids names it
 * pid 0 and it has no virtual transaction id to watch, so a lock retry cannot start when it ends and falls back to
 * its timer. The retries say what blocks them, and the step finishes once the transaction is committed.
 *
 * <p>A cluster of its own: PREPARE TRANSACTION needs max_prepared_transactions above its default 0, a server-start
 * setting, and a prepared transaction left behind by a failed test would hold back vacuum on a shared cluster.
 */
class PreparedTransactionBlockerIT {
    /** A value in the blocker's query: it must not reach anything of ours. */
    private static final String CANARY = "secret-canary@example.com";
    /** Commit the prepared transaction after this; the retries before it are the timer's. */
    private static final Duration BLOCKED_FOR = Duration.ofMillis(2_500);

    private static PostgresCluster cluster;
    private static PostgresDatabase db;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    static void start() {
        cluster = PostgresCluster.builder().setting("max_prepared_transactions", "10").start();
        cluster.createDatabase("prepared_blocker");
        db = PostgresDatabase.of(cluster, "prepared_blocker");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void rollBackLeftovers() throws SQLException {
        pool.shutdownNow();
        List<String> gids = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT gid FROM pg_prepared_xacts")) {
            while (rs.next()) {
                gids.add(rs.getString(1));
            }
            for (String gid : gids) {
                s.execute("ROLLBACK PREPARED '" + gid + "'");
            }
        }
    }

    @Test
    void anAlterBlockedByAPreparedTransactionRetriesByTheTimerAndFinishesAfterCommitPrepared() throws Exception {
        db.execute("CREATE TABLE pt_t (id int PRIMARY KEY); INSERT INTO pt_t SELECT generate_series(1, 100)");
        prepare("pt_blocker", "SELECT count(*) FROM pt_t WHERE id::text <> '" + CANARY + "'");
        AtomicLong committedAt = new AtomicLong();
        Future<?> commit = commitPreparedLater("pt_blocker", committedAt);
        List<String> lines = new CopyOnWriteArrayList<>();
        List<String> retries = new CopyOnWriteArrayList<>();
        LockPolicy locks = policy(Duration.ofMillis(400), Duration.ofMillis(300));
        SqlStep step = new SqlStep("uid-pt", "pt", PhaseName.CompatibleSchema, false,
                "ALTER TABLE pt_t ADD COLUMN flag boolean", connection(),
                SessionSettings.forMigration("shop", "pt", locks.lockTimeout(), locks.statementTimeout()), locks,
                new HealthSpec());

        StepObservation result = new SqlStepExecutor().run(step, (done, total, waitingOn, detail) -> {
            lines.add(detail);
            if (waitingOn == Reason.RetryBackoff) {
                retries.add(detail);
            }
        }, new StepControl());
        long finishedAt = System.nanoTime();
        commit.get(10, TimeUnit.SECONDS);

        assertThat(result).isInstanceOf(StepObservation.Completed.class);
        assertThat(db.columns("pt_t")).contains("flag");
        assertThat(finishedAt).as("not before COMMIT PREPARED").isGreaterThan(committedAt.get());
        assertThat(Duration.ofNanos(finishedAt - committedAt.get()))
                .as("the next timer retry after COMMIT PREPARED (backoff at most 4.8 s by then)")
                .isLessThan(Duration.ofSeconds(10));
        assertThat(retries).isNotEmpty()
                .allSatisfy(line -> assertThat(line).containsPattern("retry \\d+/30 in \\d+ ms"))
                .noneMatch(line -> line.contains("as soon as"))
                .anyMatch(line -> line.contains("blocked by a prepared transaction (pg_prepared_xacts")
                        && line.contains("which cannot be watched"));
        assertThat(lines).noneMatch(line -> line.contains("pid 0") || line.contains(CANARY));
    }

    @Test
    void aBackfillBatchBlockedByAPreparedTransactionsRowLockRetriesByTheTimer() throws Exception {
        db.execute("CREATE TABLE pb_t (id int PRIMARY KEY, a int, b int);"
                + " INSERT INTO pb_t SELECT g, g, NULL FROM generate_series(1, 1000) g");
        prepare("pb_blocker", "UPDATE pb_t SET a = a WHERE id = 500");
        AtomicLong committedAt = new AtomicLong();
        Future<?> commit = commitPreparedLater("pb_blocker", committedAt);
        List<String> lines = new CopyOnWriteArrayList<>();
        BackfillSpec spec = BackfillerIT.spec("pb_t", "id", "b = a", "b IS NULL", 1000, 100, 1000, "200ms");
        LockPolicy locks = policy(Duration.ofMillis(300), Duration.ofMillis(300));

        StepObservation result = new Backfiller().run(new Backfiller.BackfillRequest("uid-pb", "shop/pb",
                () -> spec, connection(), SessionSettings.forMigration("shop", "pb", locks.lockTimeout(),
                        locks.statementTimeout()), locks), (running, status) -> lines.add(running.detail()),
                new StepControl(), HealthGate::opened);
        long finishedAt = System.nanoTime();
        commit.get(10, TimeUnit.SECONDS);

        assertThat(result).isInstanceOf(StepObservation.Completed.class);
        assertThat(db.count("SELECT count(*) FROM pb_t WHERE b IS DISTINCT FROM a")).isZero();
        assertThat(finishedAt).as("not before COMMIT PREPARED").isGreaterThan(committedAt.get());
        assertThat(lines).filteredOn(line -> line != null && line.contains("; retry "))
                .isNotEmpty()
                .noneMatch(line -> line.contains("as soon as"))
                .anyMatch(line -> line.contains("blocked by a prepared transaction (pg_prepared_xacts"));
        assertThat(lines).noneMatch(line -> line != null && line.contains("pid 0"));
    }

    /** Runs {@code sql} in a transaction and prepares it; the session ends, the transaction and its locks stay. */
    private static void prepare(String gid, String sql) throws SQLException {
        try (Connection holder = db.connect(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute(sql);
            s.execute("PREPARE TRANSACTION '" + gid + "'");
        }
        assertThat(db.count("SELECT count(*) FROM pg_prepared_xacts WHERE gid = '" + gid + "'")).isEqualTo(1);
    }

    private Future<?> commitPreparedLater(String gid, AtomicLong committedAt) {
        return pool.submit(() -> {
            Thread.sleep(BLOCKED_FOR.toMillis());
            // Noted before: a try waiting for the lock may get it, and finish, while COMMIT PREPARED returns.
            committedAt.set(System.nanoTime());
            db.execute("COMMIT PREPARED '" + gid + "'");
            return null;
        });
    }

    private static LockPolicy policy(Duration lockTimeout, Duration retryBase) {
        LocksSpec spec = new LocksSpec();
        spec.lockTimeout = lockTimeout.toMillis() + "ms";
        spec.statementTimeout = "45s";
        spec.retries = 30;
        return LockPolicy.from(spec).withRetryBase(retryBase);
    }

    private static ConnectionSettings connection() {
        return new ConnectionSettings(db.jdbcUrl(), db.user(), db.password());
    }
}
