package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two runners on one database while a CIC runs, and a runner killed in the middle of a CIC. */
@WithPostgres
class RunnerCrashIT {
    PostgresDatabase db;
    final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void aSecondRunnerIsBusyAndLeavesNothingTheFirstRunnersCicWaitsFor() throws Exception {
        exec("CREATE TABLE tr (id int PRIMARY KEY, v int); INSERT INTO tr SELECT g, g FROM generate_series(1, 1000) g");
        try (Connection old = db.connect()) {
            old.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            old.setAutoCommit(false);
            query(old, "SELECT count(*) FROM pg_class");
            Future<StepObservation> first = pool.submit(() -> new SqlStepExecutor().run(step("one",
                    "CREATE INDEX CONCURRENTLY tr_v_idx ON tr (v)"), (d, t, w, x) -> { }, new StepControl()));
            await().atMost(Duration.ofSeconds(20)).until(() -> count("SELECT count(*) FROM pg_stat_progress_create_index"
                    + " WHERE phase LIKE 'waiting for%'") == 1);

            StepObservation second = new SqlStepExecutor().run(step("two", "CREATE TABLE tr_other (id int)"),
                    (d, t, w, x) -> { }, new StepControl());
            assertThat(second).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
                assertThat(f.reason()).isEqualTo(Reason.RunnerBusy);
                assertThat(f.retryable()).isTrue();
            });
            assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'tr_other'")).isZero();

            old.commit();
            // The busy runner held no snapshot, so the CIC only waited for the old transaction: no deadlock.
            assertThat(first.get(30, TimeUnit.SECONDS)).isInstanceOf(StepObservation.Completed.class);
        }
        assertThat(count("SELECT count(*) FROM pg_index WHERE indexrelid = 'tr_v_idx'::regclass AND indisvalid"))
                .isEqualTo(1);
    }

    @Test
    void aRunnerKilledMidCicRunsItExactlyOnceAfterRestart() throws Exception {
        exec("CREATE TABLE tk (id int PRIMARY KEY, v int); INSERT INTO tk SELECT g, g FROM generate_series(1, 1000) g");
        String sql = "ALTER TABLE tk ADD COLUMN w int; CREATE INDEX CONCURRENTLY tk_v_idx ON tk (v)";
        StepObservation crashed;
        try (Connection old = db.connect()) {
            old.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            old.setAutoCommit(false);
            query(old, "SELECT count(*) FROM pg_class");
            Future<StepObservation> run = pool.submit(() -> new SqlStepExecutor().run(step("kill", sql),
                    (d, t, w, x) -> { }, new StepControl()));
            await().atMost(Duration.ofSeconds(20)).until(() -> count("SELECT count(*) FROM pg_stat_progress_create_index"
                    + " WHERE phase LIKE 'waiting for%'") == 1);
            // The operator's pod dies: every session of the runner goes at once, cleanup included.
            exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'phasegate/shop/kill'");
            crashed = run.get(30, TimeUnit.SECONDS);
            old.commit();
        }
        assertThat(crashed).isInstanceOf(StepObservation.Failed.class);
        assertThat(count("SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('tk_v_idx')"
                + " AND NOT indisvalid")).as("the killed build left an INVALID index behind").isEqualTo(1);

        StepObservation again = new SqlStepExecutor().run(step("kill", sql), (d, t, w, x) -> { }, new StepControl());
        assertThat(again).isInstanceOf(StepObservation.Completed.class);
        assertThat(count("SELECT count(*) FROM pg_index WHERE indexrelid = 'tk_v_idx'::regclass AND indisvalid"))
                .isEqualTo(1);
        assertThat(count("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                + " WHERE c.relname LIKE 'tk%' AND NOT i.indisvalid")).as("no invalid index left").isZero();
        assertThat(count("SELECT count(*) FROM phasegate.ledger WHERE migration_uid = 'uid-kill' AND state = 'done'"))
                .as("ALTER once, CIC once").isEqualTo(2);
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'tk' AND column_name = 'w'"))
                .isEqualTo(1);
        assertThat(count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isZero();
    }

    private SqlStepExecutor.SqlStep step(String name, String sql) {
        LockPolicy policy = LockPolicy.from(new LocksSpec()).withRetryBase(Duration.ofMillis(100));
        return new SqlStepExecutor.SqlStep("uid-" + name, "shop/" + name, PhaseName.CompatibleSchema, false, sql,
                new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()),
                SessionSettings.forMigration("shop", name, policy.lockTimeout(), policy.statementTimeout()), policy,
                null);
    }

    private long count(String sql) throws SQLException {
        try (Connection c = db.connect()) {
            return query(c, sql);
        }
    }

    private static long query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void exec(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
