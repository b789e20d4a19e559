package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The CONCURRENTLY forms run without lock_timeout (it would cut their waits for older transactions), so their first
 * wait, for the table lock, is bounded by the watchdog instead: given up after lockTimeout, retried with backoff.
 */
@WithPostgres
class ConcurrentLockBoundIT {
    private static final Duration LOCK_TIMEOUT = Duration.ofMillis(300);
    private static final Pattern WAITED = Pattern.compile("waited (\\d+) ms for a table lock");

    PostgresDatabase db;

    @AfterEach
    void noInvalidIndexLeft() throws SQLException {
        assertThat(strings("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid"))
                .as("invalid indexes").isEmpty();
    }

    @Test
    void aCicBehindAConflictingLockGivesUpWithinTheBoundRetriesAndSucceedsOnceTheBlockerGoes() throws Exception {
        exec("CREATE TABLE cb_t (id int PRIMARY KEY, v int)",
                "INSERT INTO cb_t SELECT g, g % 7 FROM generate_series(1, 2000) g");
        List<String> retries = new CopyOnWriteArrayList<>();
        AtomicBoolean appRunning = new AtomicBoolean(true);
        AtomicLong worstAppMs = new AtomicLong();
        AtomicLong appQueries = new AtomicLong();
        StepObservation result;
        long tookMs;
        try (Connection blocker = db.connect(); Connection app = db.connect()) {
            // A plain CREATE INDEX left in an open transaction holds SHARE: the CIC's SHARE UPDATE EXCLUSIVE waits.
            blocker.setAutoCommit(false);
            exec(blocker, "CREATE INDEX cb_t_plain_idx ON cb_t (v)");
            // The application's statements that conflict with our queued request but not with the blocker's lock
            // (a consistent-read job taking SHARE): without a bound they would queue behind the CIC as long as it
            // waits.
            CompletableFuture<Void> appLoop = CompletableFuture.runAsync(() -> {
                try (Statement s = app.createStatement()) {
                    s.execute("SET statement_timeout = '30s'");
                    while (appRunning.get()) {
                        long t0 = System.nanoTime();
                        s.execute("BEGIN; LOCK TABLE cb_t IN SHARE MODE; SELECT count(*) FROM cb_t; COMMIT");
                        worstAppMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                        appQueries.incrementAndGet();
                        Thread.sleep(20);
                    }
                } catch (SQLException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            CompletableFuture<Void> release = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(3_000);
                    blocker.rollback();
                } catch (SQLException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            long start = System.nanoTime();
            result = new SqlStepExecutor().run(step("cicbound", "CREATE INDEX CONCURRENTLY cb_t_v_idx ON cb_t (v)",
                    wideWatchdog(20)), (done, total, waiting, detail) -> {
                        if (waiting == Reason.RetryBackoff) {
                            retries.add(detail);
                        }
                    }, new StepControl());
            tookMs = (System.nanoTime() - start) / 1_000_000;
            release.get(30, TimeUnit.SECONDS);
            appRunning.set(false);
            appLoop.get(30, TimeUnit.SECONDS);
        }

        assertThat(result).as(String.valueOf(result)).isInstanceOf(StepObservation.Completed.class);
        assertThat(strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'cb_t_v_idx'::regclass"))
                .containsExactly("true");
        assertThat(retries).as("gave up on the table lock and retried while the blocker held it").hasSizeGreaterThan(1);
        for (String r : retries) {
            Matcher m = WAITED.matcher(r);
            assertThat(m.find()).as(r).isTrue();
            // lockTimeout + one 100 ms poll; 700 ms of margin for a loaded machine.
            assertThat(Long.parseLong(m.group(1))).as("one try's wait for the table lock (ms): " + r)
                    .isGreaterThanOrEqualTo(LOCK_TIMEOUT.toMillis()).isLessThan(LOCK_TIMEOUT.toMillis() + 800);
            assertThat(r).contains("held by pid", "lock_timeout 300 ms");
        }
        assertThat(tookMs).as("done soon after the blocker's 3 s").isLessThan(20_000);
        assertThat(appQueries.get()).isGreaterThan(3);
        // The bound the CIC keeps for queries queued behind it: lockTimeout + poll, never the blocker's 3 s.
        assertThat(worstAppMs.get()).as("worst wait of an application statement queued behind the CIC (ms)")
                .isLessThan(LOCK_TIMEOUT.toMillis() + 100 + 1_000);
    }

    @Test
    void waitsForOlderTransactionsAfterTheTableLockAreNotCutOffByLockTimeout() throws Exception {
        exec("CREATE TABLE ow_t (id int PRIMARY KEY, v int)", "CREATE TABLE ow_other (id int)",
                "INSERT INTO ow_t SELECT g, g FROM generate_series(1, 1000) g", "CREATE INDEX ow_t_old ON ow_t (v)");
        List<Reason> waits = new CopyOnWriteArrayList<>();
        List<String> details = new CopyOnWriteArrayList<>();
        StepObservation cic;
        StepObservation drop;
        try (Connection old = db.connect()) {
            // An older snapshot elsewhere in the database: the build's last phase waits for it to end (seconds).
            old.setAutoCommit(false);
            exec(old, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            exec(old, "SELECT count(*) FROM ow_other");
            CompletableFuture<Void> end = endAfter(old, 2_000);
            cic = new SqlStepExecutor().run(step("owcic", "CREATE INDEX CONCURRENTLY ow_t_v_idx ON ow_t (v)",
                    wideWatchdog(0)), (done, total, waiting, detail) -> {
                        if (waiting != null) {
                            waits.add(waiting);
                        }
                        details.add(detail);
                    }, new StepControl());
            end.get(30, TimeUnit.SECONDS);
        }
        assertThat(cic).as(String.valueOf(cic)).isInstanceOf(StepObservation.Completed.class);
        assertThat(waits).as("no retry: the wait for the old snapshot was not cut at lockTimeout").isEmpty();
        assertThat(details).anySatisfy(d -> assertThat(d).contains("index build waiting for"));

        try (Connection reader = db.connect()) {
            // A reader of the table in an open transaction: DROP INDEX CONCURRENTLY waits for it after its lock.
            reader.setAutoCommit(false);
            exec(reader, "SELECT count(*) FROM ow_t");
            CompletableFuture<Void> end = endAfter(reader, 2_000);
            drop = new SqlStepExecutor().run(step("owdrop", "DROP INDEX CONCURRENTLY ow_t_old", wideWatchdog(0)),
                    (done, total, waiting, detail) -> { }, new StepControl());
            end.get(30, TimeUnit.SECONDS);
        }
        assertThat(drop).as(String.valueOf(drop)).isInstanceOf(StepObservation.Completed.class);
        assertThat(strings("SELECT count(*)::text FROM pg_class WHERE relname = 'ow_t_old'")).containsExactly("0");
    }

    @Test
    void aWaitForAnOlderTransactionPastIndexBuildMaxWaitIsCancelledAndLeavesNoInvalidIndex() throws Exception {
        exec("CREATE TABLE mw_t (id int PRIMARY KEY, v int)",
                "INSERT INTO mw_t SELECT g, g FROM generate_series(1, 1000) g");
        StepObservation result = behindAnOldSnapshotForOneSecond("mwcic",
                "CREATE INDEX CONCURRENTLY mw_t_v_idx ON mw_t (v)");
        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.IndexBuildWaitExceeded);
            assertThat(f.retryable()).isTrue();
            assertThat(f.message()).contains("indexBuildMaxWait 1 s", "waiting for");
        });
        // The cancelled build's INVALID index was dropped (checked after each test too), and it is not journaled.
        assertThat(strings("SELECT count(*)::text FROM pg_class WHERE relname = 'mw_t_v_idx'")).containsExactly("0");
        assertThat(strings("SELECT count(*)::text FROM phasegate.ledger WHERE migration = 'shop/mwcic'"))
                .containsExactly("0");
    }

    @Test
    void aReindexConcurrentlyCancelledPastIndexBuildMaxWaitLeavesNoInvalidCopy() throws Exception {
        exec("CREATE TABLE rx_t (id int PRIMARY KEY, v int)",
                "INSERT INTO rx_t SELECT g, g FROM generate_series(1, 1000) g", "CREATE INDEX rx_t_v_idx ON rx_t (v)");
        StepObservation result = behindAnOldSnapshotForOneSecond("rxcic", "REINDEX INDEX CONCURRENTLY rx_t_v_idx");
        assertThat(result).isInstanceOfSatisfying(StepObservation.Failed.class,
                f -> assertThat(f.reason()).isEqualTo(Reason.IndexBuildWaitExceeded));
        // The _ccnew copy PostgreSQL left INVALID is gone (and the after-each check finds no invalid index at all).
        assertThat(strings("SELECT relname::text FROM pg_class WHERE relname LIKE 'rx_t_v_idx%' ORDER BY 1"))
                .containsExactly("rx_t_v_idx");
        assertThat(strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'rx_t_v_idx'::regclass"))
                .containsExactly("true");
    }

    @Test
    void ifNotExistsNeverJournalsAnIndexItDidNotBuild() throws Exception {
        exec("CREATE TABLE ne_t (id int PRIMARY KEY, v int)", "INSERT INTO ne_t VALUES (1, 1), (2, 1)",
                "CREATE TABLE ne_other (v int)", "CREATE INDEX ne_taken ON ne_other (v)");
        // A broken build another session left behind under the name the migration uses.
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE UNIQUE INDEX CONCURRENTLY ne_t_v_idx ON ne_t (v)");
        } catch (SQLException expected) {
            assertThat(expected.getSQLState()).isEqualTo("23505");
        }
        assertThat(strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ne_t_v_idx'::regclass"))
                .containsExactly("false");
        StepObservation rebuilt = new SqlStepExecutor().run(step("nebroken",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ne_t_v_idx ON ne_t (v)", wideWatchdog(0)),
                (done, total, waiting, detail) -> { }, new StepControl());
        assertThat(rebuilt).as(String.valueOf(rebuilt)).isInstanceOf(StepObservation.Completed.class);
        assertThat(strings("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'ne_t_v_idx'::regclass"))
                .as("dropped and built, not skipped").containsExactly("true");

        // The name belongs to an index on another table: IF NOT EXISTS skips, and that is not "done".
        StepObservation skipped = new SqlStepExecutor().run(step("netaken",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ne_taken ON ne_t (v)", wideWatchdog(0)),
                (done, total, waiting, detail) -> { }, new StepControl());
        assertThat(skipped).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.SqlError);
            assertThat(f.message()).contains("ne_taken", "is not on table ne_t", "nothing was journaled as done");
        });
        assertThat(strings("SELECT count(*)::text FROM phasegate.ledger WHERE migration = 'shop/netaken'"))
                .containsExactly("0");
    }

    /** Runs sql once with indexBuildMaxWait 1s while another session holds a snapshot on another table. */
    private StepObservation behindAnOldSnapshotForOneSecond(String name, String sql) throws SQLException {
        exec("CREATE TABLE IF NOT EXISTS snapshot_elsewhere (id int)");
        LocksSpec l = wideSpec(0);
        l.indexBuildMaxWait = "1s";
        LockPolicy policy = LockPolicy.from(l).withRetryBase(Duration.ofMillis(100));
        try (Connection old = db.connect()) {
            old.setAutoCommit(false);
            exec(old, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            exec(old, "SELECT count(*) FROM snapshot_elsewhere");
            StepObservation result = new SqlStepExecutor().run(step(name, sql, policy),
                    (done, total, waiting, detail) -> { }, new StepControl());
            old.rollback();
            return result;
        }
    }

    private static LocksSpec wideSpec(int retries) {
        LocksSpec l = new LocksSpec();
        l.lockTimeout = LOCK_TIMEOUT.toMillis() + "ms";
        l.retries = retries;
        // Wide tree limits: what protects the application here must be the table-lock bound alone.
        l.maxBlockedQueries = 100;
        l.maxBlockedWait = "30s";
        return l;
    }

    private static LockPolicy wideWatchdog(int retries) {
        return LockPolicy.from(wideSpec(retries)).withRetryBase(Duration.ofMillis(200));
    }

    private SqlStepExecutor.SqlStep step(String name, String sql, LockPolicy policy) {
        return new SqlStepExecutor.SqlStep("uid-" + name, "shop/" + name, PhaseName.CompatibleSchema, false, sql,
                new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()),
                SessionSettings.forMigration("shop", name, policy.lockTimeout(), policy.statementTimeout()), policy,
                null);
    }

    private static CompletableFuture<Void> endAfter(Connection c, long millis) {
        return CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(millis);
                c.rollback();
            } catch (SQLException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private void exec(String... sql) throws SQLException {
        try (Connection c = db.connect()) {
            for (String one : sql) {
                exec(c, one);
            }
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
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
}
