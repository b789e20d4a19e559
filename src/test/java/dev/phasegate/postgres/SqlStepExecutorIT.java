package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.SqlStepExecutor.SqlStep;
import dev.phasegate.postgres.sql.SqlScript;
import dev.phasegate.postgres.sql.SqlStatement;
import dev.phasegate.testing.PostgresCluster;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs the SQL step executor against a real PostgreSQL and checks catalog and ledger after every scenario. */
@WithPostgres
class SqlStepExecutorIT {

    private static final String NS = "shop";
    private static final Duration LOCK_TIMEOUT = Duration.ofMillis(100);
    private static ExecutorService pool;

    PostgresDatabase db;
    private final SqlStepExecutor executor = new SqlStepExecutor();

    @BeforeAll
    static void startPool() {
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "executor-it");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
    }

    /** Rule 9 after every scenario: no session of ours, no invalid index, no advisory lock. */
    @AfterEach
    void nothingLeftBehind() throws SQLException {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThat(strings("SELECT pid || ' ' || application_name || ' ' || state || ' ' || query"
                        + " FROM pg_stat_activity WHERE application_name LIKE 'phasegate/%'"
                        + " AND datname = current_database()"))
                        .as("sessions of ours still open").isEmpty());
        assertThat(strings("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid"))
                .as("invalid indexes").isEmpty();
        assertThat(count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
                .as("advisory locks").isZero();
    }

    // ------------------------------------------------------------------------------------------- scenarios

    @Test
    void happyPathAppliesEveryStatementJournalsItAndRunsInBoundedSessions() throws Exception {
        exec("CREATE TABLE hp_orders (id int PRIMARY KEY)", "INSERT INTO hp_orders SELECT generate_series(1, 1000)");
        String sql = """
                ALTER TABLE hp_orders ADD COLUMN status text;
                CREATE INDEX CONCURRENTLY hp_orders_status_idx ON hp_orders (status);
                -- what the session looked like, recorded by the migration itself
                CREATE TABLE hp_session AS
                  SELECT current_setting('application_name') AS app,
                         current_setting('lock_timeout') AS lock_timeout,
                         current_setting('statement_timeout') AS statement_timeout,
                         current_setting('idle_in_transaction_session_timeout') AS idle_timeout
                """;
        Progress progress = new Progress();

        StepObservation result = executor.run(step("happy", sql), progress, new StepControl());

        assertThat(result).isInstanceOfSatisfying(StepObservation.Completed.class, c -> {
            assertThat(c.statementsDone()).isEqualTo(3);
            assertThat(c.phase()).isEqualTo(PhaseName.CompatibleSchema);
            assertThat(c.rollback()).isFalse();
        });
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'hp_orders'"
                + " AND column_name = 'status'")).isEqualTo(1);
        assertThat(strings("SELECT indisvalid::text || indisready::text FROM pg_index"
                + " WHERE indexrelid = to_regclass('hp_orders_status_idx')")).containsExactly("truetrue");
        assertThat(strings("SELECT app || '|' || lock_timeout || '|' || statement_timeout || '|' || idle_timeout"
                + " FROM hp_session"))
                .containsExactly("phasegate/shop/happy|100ms|45s|30s");

        List<String> checksums = SqlScript.parse(sql).statements().stream().map(SqlStatement::checksum).toList();
        assertThat(strings("SELECT stmt_index || ' ' || state || ' ' || checksum || ' ' || (finished_at IS NOT NULL)"
                + " FROM phasegate.ledger WHERE migration_uid = 'uid-happy' ORDER BY stmt_index"))
                .containsExactly("1 done " + checksums.get(0) + " true", "2 done " + checksums.get(1) + " true",
                        "3 done " + checksums.get(2) + " true");
        assertThat(checksums).allSatisfy(c -> assertThat(c).matches("[0-9a-f]{64}")).doesNotHaveDuplicates();
        assertThat(progress.details).hasSize(3).allSatisfy(d -> assertThat(d).startsWith("CompatibleSchema: "));
        assertThat(progress.details.get(1)).contains("statement 2/3", "hp_orders_status_idx");
    }

    @Test
    void sessionsCarryTheirBoundsSeenFromAnotherConnection() throws Exception {
        StepControl control = new StepControl();
        Future<StepObservation> running = pool.submit(() -> executor.run(step("watched",
                "CREATE TABLE wa_t (id int); SELECT pg_sleep(30)"), new Progress(), control));
        try {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() ->
                    count("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'"
                            + " AND state = 'active'") == 1);
            // Every session of ours (runner lock, worker, lock watchdog) is named for the migration.
            // (The test's own connections are named phasegate-test; a just-closed one may still be listed.)
            assertThat(strings("SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND backend_type = 'client backend' AND application_name <> 'phasegate-test'"))
                    .hasSize(3).containsOnly("phasegate/shop/watched");
            // The runner-lock session sits idle in autocommit, holding no snapshot a CIC would wait for.
            assertThat(strings("SELECT a.state || ' ' || (a.backend_xmin IS NULL) FROM pg_locks l"
                    + " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"))
                    .containsExactly("idle true");
        } finally {
            control.cancelNow(Reason.Aborting);
        }
        assertThat(running.get(10, TimeUnit.SECONDS)).isInstanceOf(StepObservation.Failed.class);
    }

    @Test
    void aSetInTheScriptNeitherUnboundsTheSessionNorIsLostOnARerun() throws Exception {
        exec("CREATE SCHEMA ss_app", "CREATE TABLE ss_app.ss_blocked (id int)");
        String sql = """
                SET search_path = ss_app, public;
                SET lock_timeout = 0;
                CREATE TABLE ss_seen AS SELECT current_setting('lock_timeout') AS lock_timeout;
                ALTER TABLE ss_blocked ADD COLUMN x int""";
        StepObservation first;
        try (Connection blocker = db.connect()) {
            blocker.setAutoCommit(false);
            blocker.createStatement().execute("LOCK TABLE ss_app.ss_blocked IN ACCESS SHARE MODE");
            first = executor.run(step("setter", sql), new Progress(), new StepControl());
            blocker.rollback();
        }
        // The rerun's new session skips the journaled SETs' effects on the database but needs the search_path.
        StepObservation rerun = executor.run(step("setter", sql), new Progress(), new StepControl());

        assertThat(first).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).as("the ALTER was still bounded by lock_timeout")
                    .isEqualTo(Reason.LockRetriesExhausted);
            assertThat(f.statementsDone()).isEqualTo(3);
        });
        assertThat(strings("SELECT lock_timeout FROM ss_app.ss_seen")).containsExactly("100ms");
        assertThat(rerun).isInstanceOf(StepObservation.Completed.class);
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'ss_app'"
                + " AND table_name = 'ss_blocked' AND column_name = 'x'")).isEqualTo(1);
        assertThat(ledger("uid-setter")).containsExactly("1 done", "2 done", "3 done", "4 done");
    }

    @Test
    void aSecondRunAppliesNothing() throws Exception {
        exec("CREATE TABLE eo_counter (v int)");
        String sql = "INSERT INTO eo_counter VALUES (1); CREATE INDEX CONCURRENTLY eo_counter_v_idx ON eo_counter (v)";

        StepObservation first = executor.run(step("once", sql), new Progress(), new StepControl());
        long indexOid = count("SELECT 'eo_counter_v_idx'::regclass::oid");
        Progress second = new Progress();
        StepObservation again = executor.run(step("once", sql), second, new StepControl());

        assertThat(first).isInstanceOf(StepObservation.Completed.class);
        assertThat(again).isInstanceOfSatisfying(StepObservation.Completed.class,
                c -> assertThat(c.statementsDone()).isEqualTo(2));
        assertThat(count("SELECT count(*) FROM eo_counter")).isEqualTo(1);
        assertThat(count("SELECT 'eo_counter_v_idx'::regclass::oid")).isEqualTo(indexOid);
        assertThat(ledger("uid-once")).containsExactly("1 done", "2 done");
    }

    @Test
    void syntaxErrorInStatementTwoAppliesNothing() throws Exception {
        String sql = """
                CREATE TABLE se_one (id int);
                CREAT TABLE se_two (id int);
                CREATE TABLE se_three (id int)""";

        StepObservation result = executor.run(step("syntax", sql), new Progress(), new StepControl());

        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.SqlError);
            assertThat(f.retryable()).isFalse();
            assertThat(f.statementsDone()).isZero();
            assertThat(f.message()).contains("statement 2", "CREAT");
        });
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname LIKE 'se\\_%'")).isZero();
        assertThat(ledger("uid-syntax")).isEmpty();
    }

    @Test
    void validStatementsThatPlpgsqlReadsDifferentlyPassTheSyntaxCheck() throws Exception {
        String sql = """
                CREATE TABLE vs_src (id int);
                DO $$ BEGIN INSERT INTO vs_src VALUES (1); END $$;
                TABLE vs_src;
                SELECT id INTO vs_copy FROM vs_src;
                (SELECT 1)""";

        StepObservation result = executor.run(step("valid", sql), new Progress(), new StepControl());

        assertThat(result).isInstanceOfSatisfying(StepObservation.Completed.class,
                c -> assertThat(c.statementsDone()).isEqualTo(5));
        assertThat(count("SELECT count(*) FROM vs_copy")).isEqualTo(1);
    }

    @Test
    void semanticErrorInStatementTwoLeavesStatementOneAppliedAndJournaled() throws Exception {
        String sql = """
                CREATE TABLE sm_one (id int);
                INSERT INTO sm_missing VALUES (1);
                CREATE TABLE sm_three (id int)""";

        StepObservation result = executor.run(step("semantic", sql), new Progress(), new StepControl());

        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.SqlError);
            assertThat(f.retryable()).isFalse();
            assertThat(f.statementsDone()).isEqualTo(1);
            assertThat(f.message()).contains("statement 2/3", "sm_missing", "42P01");
        });
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'sm_one'")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'sm_three'")).isZero();
        assertThat(ledger("uid-semantic")).containsExactly("1 done");

        // The engine then runs rollbackSql: journaled apart from the apply direction, so its statement 1 runs.
        LockPolicy locks = locks(2, Duration.ofMillis(50));
        SqlStep rollback = new SqlStep("uid-semantic", "semantic", PhaseName.CompatibleSchema, true,
                "DROP TABLE IF EXISTS sm_three; DROP TABLE sm_one", connection(),
                SessionSettings.forMigration(NS, "semantic", locks.lockTimeout(), locks.statementTimeout()), locks,
                null);
        assertThat(executor.run(rollback, new Progress(), new StepControl()))
                .isInstanceOfSatisfying(StepObservation.Completed.class, c -> assertThat(c.rollback()).isTrue());
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'sm_one'")).isZero();
        // Undone, so forgotten in both directions: a later object of this name applies the phase afresh.
        assertThat(ledger("uid-semantic")).isEmpty();
        assertThat(ledger("uid-semantic", "rollback")).isEmpty();
    }

    @Test
    void lockTimeoutsAreRetriedBoundedWhileOtherQueriesNeverWaitLong() throws Exception {
        exec("CREATE TABLE lr_t (id int PRIMARY KEY)", "INSERT INTO lr_t SELECT generate_series(1, 100)");
        AtomicBoolean stopProbing = new AtomicBoolean();
        AtomicLong longestProbeNanos = new AtomicLong();
        AtomicInteger probes = new AtomicInteger();
        StepObservation result;
        Progress progress = new Progress();
        try (Connection blocker = db.connect(); Connection prober = db.connect()) {
            blocker.setAutoCommit(false);
            blocker.createStatement().execute("LOCK TABLE lr_t IN ACCESS SHARE MODE");
            prober.createStatement().execute("SET statement_timeout = '20s'");
            Future<?> probing = pool.submit(() -> {
                try (Statement s = prober.createStatement()) {
                    while (!stopProbing.get()) {
                        long start = System.nanoTime();
                        s.executeQuery("SELECT count(*) FROM lr_t").close();
                        longestProbeNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                        probes.incrementAndGet();
                        Thread.sleep(5);
                    }
                }
                return null;
            });

            result = executor.run(step("lockretry", "ALTER TABLE lr_t ADD COLUMN flag boolean"), progress,
                    new StepControl());

            stopProbing.set(true);
            probing.get(30, TimeUnit.SECONDS);
            assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'lr_t'"
                    + " AND column_name = 'flag'")).isZero();
            blocker.rollback();
        }

        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.LockRetriesExhausted);
            assertThat(f.retryable()).isTrue();
            assertThat(f.statementsDone()).isZero();
            assertThat(f.message()).contains("statement 1/1", "100 ms", "3 tries");
        });
        assertThat(progress.waits).containsExactly(Reason.RetryBackoff, Reason.RetryBackoff);
        assertThat(probes.get()).isGreaterThan(3);
        Duration longest = Duration.ofNanos(longestProbeNanos.get());
        assertThat(longest).as("longest wait of a concurrent SELECT")
                .isLessThan(LOCK_TIMEOUT.plusSeconds(1))
                // it did queue behind our ALTER at least once, so the bound above was really exercised
                .isGreaterThan(Duration.ofMillis(20));
        assertThat(ledger("uid-lockretry")).isEmpty();

        StepObservation again = executor.run(step("lockretry", "ALTER TABLE lr_t ADD COLUMN flag boolean"),
                new Progress(), new StepControl());
        assertThat(again).isInstanceOf(StepObservation.Completed.class);
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'lr_t'"
                + " AND column_name = 'flag'")).isEqualTo(1);
        assertThat(ledger("uid-lockretry")).containsExactly("1 done");
    }

    @Test
    void aRetrySucceedsWhenTheBlockerEndsDuringBackoff() throws Exception {
        exec("CREATE TABLE rb_t (id int)");
        try (Connection blocker = db.connect()) {
            blocker.setAutoCommit(false);
            blocker.createStatement().execute("LOCK TABLE rb_t IN ACCESS SHARE MODE");
            AtomicInteger backoffs = new AtomicInteger();
            SqlStepExecutor.Listener releaseOnFirstBackoff = (done, total, waitingOn, detail) -> {
                if (waitingOn == Reason.RetryBackoff && backoffs.incrementAndGet() == 1) {
                    try {
                        blocker.rollback();
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }
            };

            StepObservation result = executor.run(step("backoff", "ALTER TABLE rb_t ADD COLUMN flag boolean",
                    locks(5, Duration.ofMillis(200))), releaseOnFirstBackoff, new StepControl());

            assertThat(result).isInstanceOf(StepObservation.Completed.class);
            assertThat(backoffs.get()).isEqualTo(1);
        }
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'rb_t'"
                + " AND column_name = 'flag'")).isEqualTo(1);
        assertThat(ledger("uid-backoff")).containsExactly("1 done");
    }

    @Test
    void aFailedConcurrentIndexBuildIsDroppedAndForgotten() throws Exception {
        exec("CREATE TABLE cf_t (v int)", "INSERT INTO cf_t VALUES (1), (1), (2)");
        String sql = "ALTER TABLE cf_t ADD COLUMN extra int; CREATE UNIQUE INDEX CONCURRENTLY cf_t_v_key ON cf_t (v)";

        StepObservation result = executor.run(step("cicfail", sql), new Progress(), new StepControl());

        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.SqlError);
            assertThat(f.retryable()).isFalse();
            assertThat(f.statementsDone()).isEqualTo(1);
            assertThat(f.message()).contains("statement 2/2", "23505");
        });
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'cf_t_v_key'")).isZero();
        assertThat(ledger("uid-cicfail")).containsExactly("1 done");
    }

    @Test
    void aFailedBuildOfAQuotedIndexOutsideTheSearchPathIsDroppedToo() throws Exception {
        exec("CREATE SCHEMA cf_app", "CREATE TABLE cf_app.t (v int)", "INSERT INTO cf_app.t VALUES (1), (1)");
        String sql = "CREATE UNIQUE INDEX CONCURRENTLY \"Cf_Dup_Idx\" ON cf_app.t (v)";

        StepObservation result = executor.run(step("cicquoted", sql), new Progress(), new StepControl());

        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class,
                f -> assertThat(f.reason()).isEqualTo(Reason.SqlError));
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'Cf_Dup_Idx'")).isZero();
        assertThat(ledger("uid-cicquoted")).isEmpty();

        // Once the data is fixed, the rerun builds it where PostgreSQL puts it: the table's schema.
        exec("DELETE FROM cf_app.t WHERE ctid = (SELECT max(ctid) FROM cf_app.t)");
        assertThat(executor.run(step("cicquoted", sql), new Progress(), new StepControl()))
                .isInstanceOf(StepObservation.Completed.class);
        assertThat(strings("SELECT indisvalid::text FROM pg_index"
                + " WHERE indexrelid = 'cf_app.\"Cf_Dup_Idx\"'::regclass"))
                .containsExactly("true");
    }

    @Test
    void aCrashMidBuildIsReconciledFromTheCatalog() throws Exception {
        exec("CREATE TABLE cr_t (v int)", "INSERT INTO cr_t VALUES (1), (1), (2)");
        String sql = "CREATE UNIQUE INDEX CONCURRENTLY cr_t_v_key ON cr_t (v)";
        // What a crashed runner leaves: the journal says running and the build left an INVALID index.
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            try {
                s.execute(sql);
            } catch (SQLException expected) {
                assertThat(expected.getSQLState()).isEqualTo("23505");
            }
            s.execute("DELETE FROM cr_t WHERE ctid = (SELECT max(ctid) FROM cr_t WHERE v = 1)");
            journalRunning(c, "uid-crash", sql);
        }
        assertThat(strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'cr_t_v_key'::regclass"))
                .containsExactly("false");
        long invalidOid = count("SELECT 'cr_t_v_key'::regclass::oid");

        StepObservation result = executor.run(step("crash", sql), new Progress(), new StepControl());

        assertThat(result).isInstanceOf(StepObservation.Completed.class);
        assertThat(strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'cr_t_v_key'::regclass"))
                .containsExactly("true");
        assertThat(count("SELECT 'cr_t_v_key'::regclass::oid")).as("rebuilt").isNotEqualTo(invalidOid);
        assertThat(ledger("uid-crash")).containsExactly("1 done");
    }

    @Test
    void aCrashAfterTheBuildFinishedIsRecordedDoneWithoutRebuilding() throws Exception {
        exec("CREATE TABLE cd_t (v int)", "INSERT INTO cd_t VALUES (1), (2)");
        String sql = "CREATE UNIQUE INDEX CONCURRENTLY cd_t_v_key ON cd_t (v)";
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
            journalRunning(c, "uid-crashdone", sql);
        }
        long oid = count("SELECT 'cd_t_v_key'::regclass::oid");

        StepObservation result = executor.run(step("crashdone", sql), new Progress(), new StepControl());

        assertThat(result).isInstanceOf(StepObservation.Completed.class);
        assertThat(count("SELECT 'cd_t_v_key'::regclass::oid")).as("not rebuilt").isEqualTo(oid);
        assertThat(ledger("uid-crashdone")).containsExactly("1 done");
    }

    @Test
    void aCrashAfterAConcurrentDropFinishedIsRecordedDone() throws Exception {
        exec("CREATE TABLE dc_t (v int)", "CREATE INDEX dc_t_v_idx ON dc_t (v)");
        String sql = "DROP INDEX CONCURRENTLY dc_t_v_idx; ALTER TABLE dc_t ADD COLUMN w int";
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("DROP INDEX CONCURRENTLY dc_t_v_idx");
            journalRunning(c, "uid-dropcrash", sql);
        }

        StepObservation result = executor.run(step("dropcrash", sql), new Progress(), new StepControl());

        assertThat(result).isInstanceOfSatisfying(StepObservation.Completed.class,
                c -> assertThat(c.statementsDone()).isEqualTo(2));
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'dc_t'")).isEqualTo(2);
        assertThat(ledger("uid-dropcrash")).containsExactly("1 done", "2 done");
    }

    @Test
    void aStatementChangedAfterItRanIsRefused() throws Exception {
        String original = "CREATE TABLE ch_a (id int); CREATE TABLE ch_b (id int)";
        assertThat(executor.run(step("changed", original), new Progress(), new StepControl()))
                .isInstanceOf(StepObservation.Completed.class);

        StepObservation changed = executor.run(step("changed",
                "CREATE TABLE ch_a (id int, x int); CREATE TABLE ch_b (id int)"), new Progress(), new StepControl());
        // Reformatting and comments are not a change.
        StepObservation reformatted = executor.run(step("changed",
                "-- first\nCREATE   TABLE ch_a (id int);\n\nCREATE TABLE ch_b (id int) -- second\n"), new Progress(),
                new StepControl());

        assertThat(changed).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.SpecChangedAfterStart);
            assertThat(f.retryable()).as("blocked until put back, never failed into a rollback").isTrue();
            assertThat(f.statementsDone()).isZero();
            assertThat(f.message()).contains("statement 1", "nothing was run");
        });
        assertThat(reformatted).isInstanceOf(StepObservation.Completed.class);
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'ch_a'")).isEqualTo(1);
        assertThat(ledger("uid-changed")).containsExactly("1 done", "2 done");
    }

    @Test
    void anotherRunnerHoldingTheLockMakesTheStepWait() throws Exception {
        StepObservation busy;
        try (Connection holder = db.connect(); Statement s = holder.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + RunnerLock.KEY + ")");
            long pid = count(s, "SELECT pg_backend_pid()");

            busy = executor.run(step("busy", "CREATE TABLE rl_t (id int)"), new Progress(), new StepControl());

            assertThat(busy).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
                assertThat(f.reason()).isEqualTo(Reason.RunnerBusy);
                assertThat(f.retryable()).isTrue();
                assertThat(f.message()).contains("pid " + pid, "phasegate-test");
            });
            assertThat(count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isEqualTo(1);
            s.execute("SELECT pg_advisory_unlock(" + RunnerLock.KEY + ")");
        }
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'rl_t'")).isZero();

        StepObservation after = executor.run(step("busy", "CREATE TABLE rl_t (id int)"), new Progress(),
                new StepControl());

        assertThat(after).isInstanceOf(StepObservation.Completed.class);
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'rl_t'")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isZero();
    }

    @Test
    void cancelNowStopsALongStatementQuickly() throws Exception {
        StepControl control = new StepControl();
        String sql = "CREATE TABLE cn_t (id int); SELECT pg_sleep(30); CREATE TABLE cn_after (id int)";
        Future<StepObservation> running = pool.submit(() -> executor.run(step("cancel", sql), new Progress(),
                control));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() ->
                count("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'"
                        + " AND state = 'active' AND application_name = 'phasegate/shop/cancel'") == 1);

        long start = System.nanoTime();
        control.cancelNow(Reason.Aborting);
        StepObservation result = running.get(10, TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(took).isLessThan(Duration.ofSeconds(5));
        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.Aborting);
            assertThat(f.retryable()).isTrue();
            assertThat(f.statementsDone()).isEqualTo(1);
            assertThat(f.message()).contains("statement 2/3");
        });
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'cn_after'")).isZero();
        assertThat(ledger("uid-cancel")).containsExactly("1 done");
    }

    @Test
    void cancelNowJustBeforeAStatementStartsStillStopsIt() throws Exception {
        StepControl control = new StepControl();
        // The listener is told about statement 2 after the loop's stop check and before the statement is sent:
        // a cancel in that gap finds nothing running to cancel.
        SqlStepExecutor.Listener cancelBeforeSleep = (done, total, waitingOn, detail) -> {
            if (detail.contains("pg_sleep")) {
                control.cancelNow(Reason.Aborting);
            }
        };
        long start = System.nanoTime();
        StepObservation result = executor.run(step("cancelgap",
                "CREATE TABLE cg_t (id int); SELECT pg_sleep(30)"), cancelBeforeSleep, control);

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.Aborting);
            assertThat(f.retryable()).isTrue();
            assertThat(f.statementsDone()).isEqualTo(1);
        });
        assertThat(ledger("uid-cancelgap")).containsExactly("1 done");
    }

    @Test
    void aPauseRequestStopsBetweenStatements() throws Exception {
        StepControl control = new StepControl();
        // Asked just as statement 2 is announced: the last statement must not start either.
        SqlStepExecutor.Listener pauseAfterFirst = (done, total, waitingOn, detail) -> {
            if (detail.contains("ps_two")) {
                control.requestStop(Reason.Paused);
            }
        };

        StepObservation result = executor.run(step("pause",
                "CREATE TABLE ps_one (id int); CREATE TABLE ps_two (id int)"), pauseAfterFirst, control);

        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.Paused);
            assertThat(f.retryable()).isTrue();
            assertThat(f.statementsDone()).isEqualTo(1);
        });
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname IN ('ps_one', 'ps_two')")).isEqualTo(1);
        assertThat(ledger("uid-pause")).containsExactly("1 done");
    }

    @Test
    void aWrongPasswordIsReportedWithoutThePassword() throws SQLException {
        String wrong = "Wr0ng-" + db.password();
        ConnectionSettings bad = new ConnectionSettings(db.jdbcUrl(), db.user(), wrong);

        StepObservation result = executor.run(step("auth", "CREATE TABLE au_t (id int)",
                locks(2, Duration.ofMillis(50)), bad), new Progress(), new StepControl());

        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.AuthenticationFailed);
            assertThat(f.retryable()).isTrue();
            assertThat(f.message()).contains(db.user()).doesNotContain(wrong).doesNotContain(db.password());
        });
        assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 'au_t'")).isZero();
    }

    @Test
    void aDatabaseThatIsDownOrDiesMidStatementIsReportedUnavailable() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().start()) {
            cluster.createDatabase("doomed");
            ConnectionSettings settings = new ConnectionSettings(cluster.jdbcUrl("doomed"), cluster.superuser(),
                    cluster.superuserPassword());
            StepControl control = new StepControl();
            Future<StepObservation> running = pool.submit(() -> executor.run(step("dies",
                    "CREATE TABLE dd_t (id int); SELECT pg_sleep(30)", locks(2, Duration.ofMillis(50)), settings),
                    new Progress(), control));
            try (Connection c = cluster.connect("doomed")) {
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() ->
                        count(c.createStatement(), "SELECT count(*) FROM pg_stat_activity"
                                + " WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'") == 1);
            }

            cluster.kill();
            StepObservation died = running.get(10, TimeUnit.SECONDS);
            StepObservation down = executor.run(step("down", "CREATE TABLE dn_t (id int)",
                    locks(2, Duration.ofMillis(50)), settings), new Progress(), new StepControl());

            assertThat(died).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
                assertThat(f.reason()).isEqualTo(Reason.DatabaseUnavailable);
                assertThat(f.retryable()).isTrue();
                assertThat(f.statementsDone()).isEqualTo(1);
            });
            assertThat(down).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
                assertThat(f.reason()).isEqualTo(Reason.DatabaseUnavailable);
                assertThat(f.retryable()).isTrue();
                assertThat(f.statementsDone()).isZero();
                assertThat(f.message()).contains("127.0.0.1:" + cluster.port() + "/doomed")
                        .doesNotContain(cluster.superuserPassword());
            });
        }
    }

    @Test
    void aFunctionThatUnboundsTheSessionDoesNotUnboundTheNextStatement() throws Exception {
        exec("CREATE TABLE fb_t (id int PRIMARY KEY)",
                "CREATE FUNCTION fb_unbound() RETURNS void LANGUAGE sql AS"
                        + " $$ SELECT set_config('lock_timeout', '0', false) $$");
        StepObservation result;
        try (Connection blocker = db.connect()) {
            blocker.setAutoCommit(false);
            blocker.createStatement().execute("LOCK TABLE fb_t IN ACCESS SHARE MODE");
            // Statement 1 calls a function that sets lock_timeout = 0 for the rest of the session; without the
            // reset, statement 2 would queue behind the blocker (and everyone behind it) until statement_timeout.
            result = executor.run(step("fnbound", "SELECT fb_unbound();\nALTER TABLE fb_t ADD COLUMN flag boolean;"),
                    new Progress(), new StepControl());
            blocker.rollback();
        }
        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.LockRetriesExhausted);
            assertThat(f.statementsDone()).isEqualTo(1);
        });
    }

    // ------------------------------------------------------------------------------------------- helpers

    private SqlStep step(String name, String sql) {
        return step(name, sql, locks(2, Duration.ofMillis(50)), connection());
    }

    private SqlStep step(String name, String sql, LockPolicy locks) {
        return step(name, sql, locks, connection());
    }

    private static SqlStep step(String name, String sql, LockPolicy locks, ConnectionSettings db) {
        return new SqlStep("uid-" + name, name, PhaseName.CompatibleSchema, false, sql, db,
                SessionSettings.forMigration(NS, name, locks.lockTimeout(), locks.statementTimeout()), locks,
                new HealthSpec());
    }

    private static LockPolicy locks(int retries, Duration retryBase) {
        LocksSpec spec = new LocksSpec();
        spec.lockTimeout = LOCK_TIMEOUT.toMillis() + "ms";
        spec.statementTimeout = "45s";
        spec.retries = retries;
        return LockPolicy.from(spec).withRetryBase(retryBase);
    }

    private ConnectionSettings connection() {
        return new ConnectionSettings(db.jdbcUrl(), db.user(), db.password());
    }

    /** Journals a statement as started, as the executor does just before a non-transactional statement. */
    private static void journalRunning(Connection c, String uid, String sql) throws SQLException {
        SqlStatement s = SqlScript.parse(sql).statements().get(0);
        Ledger.ensure(c);
        // step(name) runs migration "name" as object "uid-name".
        Ledger.markRunning(c, new Ledger.Key(uid.substring("uid-".length()), PhaseName.CompatibleSchema.name(),
                "apply", 1), uid, s.checksum(), s.text());
    }

    /** The apply journal of one migration, as "index state" rows. */
    private List<String> ledger(String uid) throws SQLException {
        return ledger(uid, "apply");
    }

    private List<String> ledger(String uid, String direction) throws SQLException {
        if (count("SELECT count(*) FROM pg_class WHERE oid = to_regclass('phasegate.ledger')") == 0) {
            return List.of();
        }
        return strings("SELECT stmt_index || ' ' || state FROM phasegate.ledger WHERE migration_uid = '" + uid
                + "' AND direction = '" + direction + "' ORDER BY stmt_index");
    }

    private void exec(String... sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String one : sql) {
                s.execute(one);
            }
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            return count(s, sql);
        }
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).as("row from %s", sql).isTrue();
            return rs.getLong(1);
        }
    }

    private List<String> strings(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }

    /** Records what the executor reported. */
    private static final class Progress implements SqlStepExecutor.Listener {
        final List<String> details = new CopyOnWriteArrayList<>();
        final List<Reason> waits = new CopyOnWriteArrayList<>();

        @Override
        public void progress(int done, int total, Reason waitingOn, String detail) {
            if (waitingOn == null) {
                details.add(detail);
            } else {
                waits.add(waitingOn);
            }
        }
    }
}
