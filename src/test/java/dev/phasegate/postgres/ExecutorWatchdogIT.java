package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The executor with its watchdog: a statement of ours that makes the application queue is cancelled and retried. */
@WithPostgres
class ExecutorWatchdogIT {
    PostgresDatabase db;

    @Test
    void aStatementHoldingALockWhileTheAppQueuesIsCancelledWithinItsBound() throws Exception {
        exec("CREATE TABLE wq (id int PRIMARY KEY, v int); INSERT INTO wq SELECT g, 0 FROM generate_series(1, 100) g");
        LocksSpec l = new LocksSpec();
        l.lockTimeout = "200ms";
        l.maxBlockedWait = "300ms";
        l.maxBlockedQueries = 50;
        l.retries = 1;
        LockPolicy policy = LockPolicy.from(l).withRetryBase(Duration.ofMillis(200));
        // Holds ACCESS EXCLUSIVE for 10 s: a migration statement that would freeze the table without the watchdog.
        String sql = "DO $$ BEGIN LOCK TABLE wq IN ACCESS EXCLUSIVE MODE; PERFORM pg_sleep(10); END $$";
        AtomicBoolean appRunning = new AtomicBoolean(true);
        AtomicLong worstMs = new AtomicLong();
        Thread app = new Thread(() -> {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                while (appRunning.get()) {
                    long t0 = System.nanoTime();
                    s.execute("SELECT v FROM wq WHERE id = 7");
                    worstMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                    Thread.sleep(10);
                }
            } catch (SQLException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        app.start();
        List<String> details = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        StepObservation result = new SqlStepExecutor().run(new SqlStepExecutor.SqlStep("uid-wd", "shop/wd",
                PhaseName.CompatibleSchema, false, sql, new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()),
                SessionSettings.forMigration("shop", "wd", policy.lockTimeout(), policy.statementTimeout()), policy,
                null),
                (done, total, waiting, detail) -> details.add(waiting + " " + detail), new StepControl());
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        appRunning.set(false);
        app.join();

        assertThat(result).isInstanceOf(StepObservation.Failed.class);
        StepObservation.Failed f = (StepObservation.Failed) result;
        assertThat(f.reason()).isEqualTo(Reason.BlockedQueries);
        assertThat(f.retryable()).isTrue();
        assertThat(f.message()).contains("gave up after 2 tries", "queued behind our statement");
        assertThat(details).anySatisfy(d -> assertThat(d).startsWith("BlockedQueries").contains("retry 1/1"));
        assertThat(tookMs).as("two cancelled tries, far less than the statement's 10 s each").isLessThan(8_000);
        // maxBlockedWait 300 ms + one 100 ms poll + cancel; 1 s of margin for a loaded machine.
        assertThat(worstMs.get()).as("worst app query wait (ms)").isLessThan(300 + 100 + 1_000);
    }

    @Test
    void aSustainedHealthBreachCancelsALongStatementButNotAnIndexBuild() throws Exception {
        exec("CREATE TABLE hb (id int PRIMARY KEY); INSERT INTO hb SELECT generate_series(1, 1000)");
        LocksSpec l = new LocksSpec();
        l.retries = 1;
        LockPolicy policy = LockPolicy.from(l).withRetryBase(Duration.ofMillis(100));
        ConnectionSettings target = new ConnectionSettings(db.jdbcUrl(), db.user(), db.password());
        long armedAt = System.nanoTime() + 500_000_000L;
        HealthGate lagging = HealthGate.closed(Reason.ReplicationLag, "replica lag 14s > 10s (replica1)");
        java.util.function.Supplier<java.util.Optional<HealthGate>> breach = () -> System.nanoTime() > armedAt
                ? java.util.Optional.of(lagging) : java.util.Optional.empty();

        long start = System.nanoTime();
        StepObservation slow = new SqlStepExecutor().run(step("hb1", "SELECT pg_sleep(20)", target, policy),
                (done, total, waiting, detail) -> { }, new StepControl(), breach);
        assertThat(slow).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.ReplicationLag);
            assertThat(f.retryable()).isTrue();
            assertThat(f.message()).contains("two checks", "replica1");
        });
        assertThat((System.nanoTime() - start) / 1_000_000).as("cancelled, not run for 20 s").isLessThan(10_000);

        StepObservation index = new SqlStepExecutor().run(step("hb2",
                "CREATE INDEX CONCURRENTLY hb_idx ON hb (id)", target, policy),
                (done, total, waiting, detail) -> { }, new StepControl(), () -> java.util.Optional.of(lagging));
        assertThat(index).as("a running index build is never cancelled for health")
                .isInstanceOf(StepObservation.Completed.class);
    }

    private static SqlStepExecutor.SqlStep step(String name, String sql, ConnectionSettings db, LockPolicy policy) {
        return new SqlStepExecutor.SqlStep("uid-" + name, "shop/" + name, PhaseName.CompatibleSchema, false, sql, db,
                SessionSettings.forMigration("shop", name, policy.lockTimeout(), policy.statementTimeout()), policy,
                null);
    }

    private void exec(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
