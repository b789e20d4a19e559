package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.Durations;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.BackfillPacer;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Adaptive backfill pacing on a real database: the pace drops when sessions queue for a lock on the table and comes
 * back when they are gone; a fixed pauseBetweenBatches overrides it.
 */
@WithPostgres
class BackfillPacingIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    PostgresDatabase db;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<BackfillStatus> reports = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void thePaceDropsWhileSessionsQueueForTheTableAndRecoversAfterwards() throws Exception {
        db.execute("CREATE TABLE pc_t (id bigint PRIMARY KEY, a int NOT NULL, b int);"
                + " INSERT INTO pc_t SELECT g, g % 1000, NULL FROM generate_series(1, 400000) g");
        db.execute("VACUUM ANALYZE pc_t");
        // Small batches, so that the run lasts long enough for the pace to go down and up again.
        BackfillSpec spec = BackfillerIT.spec("pc_t", "id", "b = a * 2", "b IS NULL", 50, 50, 50, "200ms");
        spec.pauseBetweenBatches = null;
        // This test is about the lock-waiter signal: a wide allowance keeps a busy test machine's probe noise out.
        spec.latencyAllowance = "10s";
        StepControl control = new StepControl();
        Future<StepObservation> run = pool.submit(() -> backfill(spec, control));

        await().atMost(WAIT).until(() -> latest() != null && "0s".equals(latest().pause)
                && latest().pacing != null && latest().pacing.contains("100%"));

        // A SHARE UPDATE EXCLUSIVE lock (what VACUUM or CREATE INDEX CONCURRENTLY hold) and a second session queued
        // for the same: a lock waiter on the table that blocks neither our batches nor the probe's reads.
        try (Connection holder = db.connect(); Connection waiter = db.connect()) {
            holder.setAutoCommit(false);
            holder.createStatement().execute("LOCK TABLE pc_t IN SHARE UPDATE EXCLUSIVE MODE");
            waiter.setAutoCommit(false);
            Future<?> queued = pool.submit(() -> {
                waiter.createStatement().execute("LOCK TABLE pc_t IN SHARE UPDATE EXCLUSIVE MODE");
                return null;
            });
            await().atMost(WAIT).until(() -> latest().pacing.contains("waiting for a lock on the table")
                    && pauseOf(latest()).compareTo(Duration.ofMillis(20)) > 0);
            int dropped = reports.size();
            holder.commit();
            queued.get(10, TimeUnit.SECONDS);
            waiter.commit();
            Duration slowest = reports.subList(dropped - 1, reports.size()).stream().map(BackfillPacingIT::pauseOf)
                    .max(Duration::compareTo).orElseThrow();
            int released = reports.size();

            await().atMost(WAIT).until(() -> reports.size() > released && latest().pacing.contains("sped up")
                    && pauseOf(latest()).compareTo(slowest.dividedBy(2)) < 0);
        }
        control.requestStop(Reason.Paused);
        assertThat(run.get(30, TimeUnit.SECONDS)).isInstanceOf(StepObservation.Failed.class);
        assertThat(reports).map(r -> r.pacing).noneMatch(p -> p != null && p.contains("fixed"));
    }

    @Test
    void sessionsWaitingForRowsTheBatchHoldsSlowItDownThoughTheyWaitOnItsTransactionNotOnTheTable()
            throws Exception {
        // The watchdog would cancel the batch once a session waited 1 s; here the pacing alone is under test.
        List<String> details = rowWaiterDuringABatch("rl_t", 2.5, LockPolicy.from(null)
                .withMaxBlockedWait(Duration.ofSeconds(30)));
        assertThat(details).noneMatch(d -> d.contains("queued behind our statement"));
    }

    @Test
    void aRowWaiterThatMadeTheWatchdogCancelTheBatchStillSlowsThePaceAfterTheRetryCommits() throws Exception {
        // The default maxBlockedWait (1 s) is well within the batch's hold (4 s): the first try is cancelled.
        List<String> details = rowWaiterDuringABatch("rc_t", 4, LockPolicy.from(null));
        assertThat(details).anyMatch(d -> d.matches(".*\\d session\\(s\\) queued behind our statement.*"));
    }

    /**
     * Backfills a 300-row table whose third batch (keys 101-150) sleeps {@code hold} s at its last row, holding the row
     * locks of 101-149 meanwhile, while another session updates row 101: it waits on the batch's transaction, not
     * on the table. Returns the step's progress details.
     */
    private List<String> rowWaiterDuringABatch(String table, double hold, LockPolicy locks) throws Exception {
        db.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY, a int NOT NULL, b int);"
                + " INSERT INTO " + table + " SELECT g, g, NULL FROM generate_series(1, 300) g");
        db.execute("CREATE FUNCTION " + table + "_hold() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$ BEGIN PERFORM pg_sleep(" + hold + "); RETURN NEW; END $$;"
                + " CREATE TRIGGER hold BEFORE UPDATE ON " + table + " FOR EACH ROW"
                + " WHEN (NEW.id = 150 AND OLD.b IS NULL) EXECUTE FUNCTION " + table + "_hold()");
        BackfillSpec spec = BackfillerIT.spec(table, "id", "b = a", "b IS NULL", 50, 50, 50, "1s");
        spec.pauseBetweenBatches = null;
        spec.latencyAllowance = "10s";
        List<String> details = new CopyOnWriteArrayList<>();
        Future<StepObservation> run = pool.submit(() -> backfill(spec, locks, new StepControl(), details));

        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND wait_event = 'PgSleep'") == 1);
        // More sessions than the pacing tolerates at once, each updating a row the batch holds.
        int waiters = BackfillPacer.ROW_WAITERS_TOLERATED + 1;
        List<Future<Integer>> app = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            long id = 101 + i;
            app.add(pool.submit(() -> {
                try (Connection c = db.connect()) {
                    return c.createStatement().executeUpdate("UPDATE " + table + " SET a = a WHERE id = " + id);
                }
            }));
        }
        for (Future<Integer> f : app) {
            assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThat(run.get(60, TimeUnit.SECONDS)).isInstanceOf(StepObservation.Completed.class);
        assertThat(reports).map(r -> r.pacing).filteredOn(p -> p != null)
                .anyMatch(p -> p.contains(waiters + " session(s) queued behind our last batch (for rows or locks it"
                        + " held)") && p.contains("slowed to 50%"))
                .noneMatch(p -> p.contains("waiting for a lock on the table"));
        return details;
    }

    @Test
    void batchesThatKeepASessionWaitingLongForTheirRowsAreShortened() throws Exception {
        // Batches of 50 keys; the third and the fifth hold their rows 0.8 s (a trigger sleeps at their last row)
        // while a session updates one of them. One waiter at a time: no queue, only long waits.
        db.execute("CREATE TABLE rw_t (id bigint PRIMARY KEY, a int NOT NULL, b int);"
                + " INSERT INTO rw_t SELECT g, g, NULL FROM generate_series(1, 300) g");
        db.execute("CREATE FUNCTION rw_t_hold() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$ BEGIN PERFORM pg_sleep(0.8); RETURN NEW; END $$;"
                + " CREATE TRIGGER hold BEFORE UPDATE ON rw_t FOR EACH ROW"
                + " WHEN (NEW.id IN (150, 250) AND OLD.b IS NULL) EXECUTE FUNCTION rw_t_hold()");
        BackfillSpec spec = BackfillerIT.spec("rw_t", "id", "b = a", "b IS NULL", 50, 50, 50, "1s");
        spec.pauseBetweenBatches = null;
        // Far above a busy machine's probe noise, far below the 0.8 s waits.
        spec.latencyAllowance = "200ms";
        Future<StepObservation> run = pool.submit(() -> backfill(spec, LockPolicy.from(null)
                .withMaxBlockedWait(Duration.ofSeconds(30)), new StepControl(), new ArrayList<>()));
        for (long id : new long[] {101, 201}) {
            await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND wait_event = 'PgSleep'") == 1);
            Future<Integer> app = pool.submit(() -> {
                try (Connection c = db.connect()) {
                    return c.createStatement().executeUpdate("UPDATE rw_t SET a = a WHERE id = " + id);
                }
            });
            assertThat(app.get(60, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThat(run.get(60, TimeUnit.SECONDS)).isInstanceOf(StepObservation.Completed.class);
        assertThat(reports).map(r -> r.pacing).filteredOn(p -> p != null)
                .anyMatch(p -> p.matches("2 of the last \\d+ batches ended with a session waiting over 200.0ms for"
                        + " rows they held; batches shortened to 50% of targetBatchDuration"))
                .noneMatch(p -> p.contains("queued behind our last batch"));
    }

    @Test
    void aFixedPauseOverridesAdaptivePacing() throws Exception {
        db.execute("CREATE TABLE pf_t (id bigint PRIMARY KEY, a int NOT NULL, b int);"
                + " INSERT INTO pf_t SELECT g, g, NULL FROM generate_series(1, 2000) g");
        BackfillSpec spec = BackfillerIT.spec("pf_t", "id", "b = a", "b IS NULL", 500, 500, 500, "200ms");
        spec.pauseBetweenBatches = "30ms";
        assertThat(backfill(spec, new StepControl())).isInstanceOf(StepObservation.Completed.class);
        assertThat(reports).isNotEmpty().allSatisfy(r -> {
            assertThat(r.pause).isEqualTo("30ms");
            assertThat(r.pacing).isEqualTo("fixed by spec.backfill.pauseBetweenBatches");
        });
    }

    private StepObservation backfill(BackfillSpec spec, StepControl control) {
        return backfill(spec, LockPolicy.from(null), control, new ArrayList<>());
    }

    private StepObservation backfill(BackfillSpec spec, LockPolicy locks, StepControl control,
            List<String> details) {
        Backfiller.BackfillRequest req = new Backfiller.BackfillRequest("uid-" + spec.table, "shop/" + spec.table,
                () -> spec, new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()),
                SessionSettings.forMigration("shop", spec.table, locks.lockTimeout(), locks.statementTimeout()), locks);
        return new Backfiller(Backfiller.Options.defaults().withReportEvery(Duration.ofMillis(50)))
                .run(req, (running, status) -> {
                    details.add(running.detail());
                    reports.add(status);
                }, control, HealthGate::opened);
    }

    private BackfillStatus latest() {
        return reports.isEmpty() ? null : reports.get(reports.size() - 1);
    }

    private static Duration pauseOf(BackfillStatus s) {
        return s.pause == null ? Duration.ZERO : Durations.parse(s.pause);
    }
}
