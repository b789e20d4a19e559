package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.StepProcessMain;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The operator dies (SIGKILL, a separate JVM) while its statement holds ACCESS EXCLUSIVE: the statement must not run
 * on without it, and a later runner clears whatever an earlier one left.
 */
@WithPostgres
class OrphanedStatementIT {
    /** 20,000 rows at 1 ms each: unbounded, the rewrite would hold ACCESS EXCLUSIVE for about 20 s. */
    static final int ROWS = 20_000;
    PostgresDatabase db;

    @Test
    void aKilledOperatorsStatementStopsAndTheApplicationWaitsLessThanTwoSeconds() throws Exception {
        exec("CREATE TABLE big (id int PRIMARY KEY, v text);"
                + " INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, " + ROWS + ") g;"
                + " CREATE FUNCTION slow_default() RETURNS text LANGUAGE sql VOLATILE"
                + " AS $$ SELECT pg_sleep(0.001)::text || md5(random()::text) $$");
        record Sample(long startNanos, long nanos) {
        }
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        AtomicBoolean load = new AtomicBoolean(true);
        Thread app = new Thread(() -> {
            try (Connection c = db.connect();
                    PreparedStatement ps = c.prepareStatement("SELECT v FROM big WHERE id = ?")) {
                while (load.get()) {
                    ps.setInt(1, ThreadLocalRandom.current().nextInt(1, ROWS + 1));
                    long t0 = System.nanoTime();
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                    }
                    samples.add(new Sample(t0, System.nanoTime() - t0));
                    Thread.sleep(5);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "app-load");
        app.start();

        Process operator = StepProcessMain.start(db, "shop", "orphan",
                "ALTER TABLE big ADD COLUMN w text NOT NULL DEFAULT slow_default()");
        long killedAt;
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> count("SELECT count(*) FROM pg_stat_activity"
                    + " WHERE application_name = 'phasegate/shop/orphan' AND state = 'active'"
                    + " AND query LIKE 'ALTER TABLE big%'") == 1);
            Thread.sleep(300);
            assertThat(count("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    + " WHERE a.application_name = 'phasegate/shop/orphan' AND l.mode = 'AccessExclusiveLock'"
                    + " AND l.granted AND l.relation = 'big'::regclass")).as("the rewrite holds the lock").isEqualTo(1);
            killedAt = System.nanoTime();
            StepProcessMain.killHard(operator);
        } finally {
            operator.destroyForcibly();
        }

        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20)).until(() -> count(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'phasegate/shop/orphan'") == 0);
        long goneAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
        Thread.sleep(2_000);
        load.set(false);
        app.join(10_000);

        long worstAfterKillMs = samples.stream().filter(s -> s.startNanos() >= killedAt)
                .mapToLong(s -> s.nanos() / 1_000_000).max().orElseThrow();
        long queriesAfterKill = samples.stream().filter(s -> s.startNanos() >= killedAt).count();
        assertThat(goneAfterMs).as("orphaned backend gone after the kill (ms)").isLessThan(2_000);
        assertThat(worstAfterKillMs).as("application's worst wait for a query started after the kill (ms)")
                .isLessThan(2_000);
        assertThat(queriesAfterKill).as("the application kept running").isGreaterThan(50);
        // Transactional DDL: the cancelled rewrite left nothing, and its ledger row went with it.
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'big'"
                + " AND column_name = 'w'")).as("schema unchanged, never half").isZero();
        assertThat(count("SELECT count(*) FROM phasegate.ledger WHERE migration = 'shop/orphan'")).isZero();
        assertThat(count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).as("runner lock released")
                .isZero();
    }

    @Test
    void aNewRunnerTerminatesSessionsAnEarlierRunOfTheSameMigrationLeftBehind() throws Exception {
        exec("CREATE TABLE lefty (id int PRIMARY KEY)");
        // As after a network partition: the old runner's session is still in the server, holding its lock.
        try (Connection orphan = db.cluster().connect(db.dbName(), db.user(), db.password(),
                "phasegate/shop/lefty")) {
            orphan.setAutoCommit(false);
            try (Statement s = orphan.createStatement()) {
                s.execute("LOCK TABLE lefty IN ACCESS EXCLUSIVE MODE");
            }
            int orphanPid = pid(orphan);
            StepObservation result = new SqlStepExecutor().run(step("lefty", "ALTER TABLE lefty ADD COLUMN w int"),
                    (d, t, w, x) -> { }, new StepControl());
            assertThat(result).isInstanceOf(StepObservation.Completed.class);
            assertThat(count("SELECT count(*) FROM pg_stat_activity WHERE pid = " + orphanPid)).isZero();
        }
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'lefty'"
                + " AND column_name = 'w'")).isEqualTo(1);
    }

    @Test
    void sessionsOfOtherMigrationsAndApplicationsAreLeftAlone() throws Exception {
        exec("CREATE TABLE other_t (id int PRIMARY KEY)");
        try (Connection other = db.cluster().connect(db.dbName(), db.user(), db.password(), "phasegate/shop/other");
                Connection app = db.cluster().connect(db.dbName(), db.user(), db.password(), "orders-api")) {
            List<Integer> pids = List.of(pid(other), pid(app));
            StepObservation result = new SqlStepExecutor().run(step("mine", "CREATE TABLE mine_t (id int)"),
                    (d, t, w, x) -> { }, new StepControl());
            assertThat(result).isInstanceOf(StepObservation.Completed.class);
            for (int pid : pids) {
                assertThat(count("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid)).isEqualTo(1);
            }
        }
    }

    @Test
    void everySessionIsBoundedAndChecksItsClient() throws Exception {
        SessionSettings s = SessionSettings.forMigration("shop", "bounds", Duration.ofMillis(700),
                Duration.ofMinutes(3));
        try (Connection c = Sessions.open(new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()), s);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_setting('client_connection_check_interval'),"
                        + " current_setting('standard_conforming_strings'), current_setting('lock_timeout')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("500ms");
            assertThat(rs.getString(2)).isEqualTo("on");
            assertThat(rs.getString(3)).isEqualTo("700ms");
        }
    }

    @Test
    void aSessionThatLostItsBoundsIsRefused() throws Exception {
        SessionSettings s = SessionSettings.forMigration("shop", "pooled", Duration.ofMillis(500),
                Duration.ofMinutes(30));
        // What a transaction-pooling proxy does: the server session we get was configured by someone else.
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = 0");
            st.execute("SET statement_timeout = '30min'");
            st.execute("SET idle_in_transaction_session_timeout = '30s'");
            SQLException e = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                    () -> Sessions.verify(c, s));
            assertThat(e.getSQLState()).isEqualTo(Sessions.SETTINGS_LOST);
            assertThat(e.getMessage()).contains("lock_timeout 0").contains("transaction-pooling proxy");
            assertThat(SqlFailure.of(e, new ConnectionSettings(db.jdbcUrl(), db.user(), db.password())).reason())
                    .isEqualTo(Reason.DatabaseUnavailable);
            st.execute("SET lock_timeout = 500");
            Sessions.verify(c, s);
        }
    }

    private SqlStepExecutor.SqlStep step(String name, String sql) {
        LockPolicy policy = LockPolicy.from(new LocksSpec()).withRetryBase(Duration.ofMillis(50));
        return new SqlStepExecutor.SqlStep("uid-" + name, "shop/" + name, PhaseName.CompatibleSchema, false, sql,
                new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()),
                SessionSettings.forMigration("shop", name, policy.lockTimeout(), policy.statementTimeout()), policy,
                null);
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
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
