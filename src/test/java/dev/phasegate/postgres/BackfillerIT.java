package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The batched backfill against a real PostgreSQL: correctness under concurrent writes, crash/resume, throttling. */
@WithPostgres
class BackfillerIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    PostgresDatabase db;

    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(30, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ correctness under concurrent writes

    @Test
    void millionRowsWithAConcurrentWriterEndOnlyAfterVerificationFindsNoRowLeft() throws Exception {
        exec("CREATE TABLE big (id bigint NOT NULL, a int NOT NULL, b int)",
                "INSERT INTO big SELECT g, g % 1000, NULL FROM generate_series(1, 1000000) g",
                "SET maintenance_work_mem = '128MB'",
                "ALTER TABLE big ADD PRIMARY KEY (id)",
                "VACUUM ANALYZE big");
        AtomicBoolean stopWriter = new AtomicBoolean();
        AtomicLong nextId = new AtomicLong(2_000_000);
        AtomicInteger writes = new AtomicInteger();
        List<Long> lateIds = new CopyOnWriteArrayList<>();
        List<Long> lateNulled = new CopyOnWriteArrayList<>();
        Future<?> writer = pool.submit(() -> {
            try (Connection w = appConnection()) {
                while (!stopWriter.get()) {
                    write(w, nextId, null, null);
                    writes.incrementAndGet();
                    Thread.sleep(1);
                }
            }
            return null;
        });
        Recorder rec = new Recorder();
        AtomicBoolean burstDone = new AtomicBoolean();
        rec.onProgress = (running, status) -> {
            // Called on the backfill's thread right before the first verification query: everything written here
            // lands after pass 1 walked the key range, and the writer is stopped so the final verification is final.
            if (running.detail().contains("verifying") && burstDone.compareAndSet(false, true)) {
                stopWriter.set(true);
                try {
                    writer.get(30, TimeUnit.SECONDS);
                    try (Connection w = appConnection()) {
                        for (int i = 0; i < 200; i++) {
                            write(w, nextId, lateIds, lateNulled);
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        BackfillSpec spec = spec("big", "id", "b = a * 2", "b IS NULL", 1000, 100, 100_000, "200ms");

        StepObservation result = backfiller(Duration.ofMillis(100)).run(request("big-uid", spec), rec,
                new StepControl(), HealthGate::opened);

        assertThat(result).isInstanceOf(StepObservation.Completed.class);
        assertThat(burstDone).isTrue();
        assertThat(writes.get()).as("the writer ran during pass 1").isGreaterThan(20);
        assertThat(lateIds).hasSize(100);
        assertThat(lateNulled).hasSize(100);
        assertThat(((StepObservation.Completed) result).detail()).containsPattern("in [2-9] pass\\(es\\)");
        assertThat(queryLong("SELECT count(*) FROM big WHERE b IS DISTINCT FROM a * 2")).isZero();
        assertThat(queryLong("SELECT count(*) FROM big WHERE id = ANY(?) AND b = a * 2", (Object) lateIds.toArray(Long[]::new)))
                .isEqualTo(lateIds.size());
        assertThat(queryLong("SELECT count(*) FROM big WHERE id = ANY(?) AND b = a * 2",
                (Object) lateNulled.toArray(Long[]::new))).isEqualTo(lateNulled.stream().distinct().count());
        BackfillStatus last = rec.last();
        assertThat(last.percent).isEqualTo(100);
        assertThat(last.passes).isGreaterThanOrEqualTo(2);
        assertThat(last.rowsDone).isGreaterThanOrEqualTo(1_000_000L + lateIds.size());
        // progress was reported along the way: an estimate near the table size, a rate and a moving batch size
        assertThat(rec.statuses).as(rec.describe()).anySatisfy(s -> {
            assertThat(s.passes).isEqualTo(1);
            assertThat(s.percent).isBetween(20, 80);
            assertThat(s.rowsEstimated).isBetween(800_000L, 1_300_000L);
            assertThat(s.rowsPerSecond).isPositive();
            assertThat(s.eta).isNotNull();
        });
        assertThat(rec.batches.stream().mapToInt(Backfiller.Batch::keys).max().orElse(0)).isGreaterThan(1000);
    }

    /** One app write: insert a new row (b unset), or update a random old row, either nulling b or setting it. */
    private static void write(Connection w, AtomicLong nextId, List<Long> inserted, List<Long> nulled)
            throws SQLException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int kind = inserted != null ? (nextId.get() % 2 == 0 ? 0 : 1) : r.nextInt(3);
        if (kind == 0) {
            long id = nextId.getAndIncrement();
            try (PreparedStatement ps = w.prepareStatement("INSERT INTO big (id, a, b) VALUES (?, ?, NULL)")) {
                ps.setLong(1, id);
                ps.setInt(2, (int) (id % 1000));
                ps.executeUpdate();
            }
            if (inserted != null) {
                inserted.add(id);
            }
        } else {
            long id = 1 + r.nextLong(1_000_000);
            boolean invalidate = kind == 1;
            // old code changes a and leaves b stale (NULL); new code writes both
            try (PreparedStatement ps = w.prepareStatement(invalidate
                    ? "UPDATE big SET a = a + 1, b = NULL WHERE id = ?"
                    : "UPDATE big SET a = a + 1, b = (a + 1) * 2 WHERE id = ?")) {
                ps.setLong(1, id);
                ps.executeUpdate();
            }
            if (nulled != null) {
                nulled.add(id);
                nextId.incrementAndGet();
            }
        }
    }

    // ------------------------------------------------------------------ crash and resume

    @Test
    void aKilledOrCancelledBackfillResumesFromItsCheckpointAndRedoesAtMostOneBatch() throws Exception {
        int rows = 120_000;
        int max = 5000;
        exec("CREATE TABLE kt (id int PRIMARY KEY, a int NOT NULL, b int, n_backfill int NOT NULL DEFAULT 0)",
                "INSERT INTO kt (id, a) SELECT g, g FROM generate_series(1, " + rows + ") g",
                "VACUUM ANALYZE kt",
                "CREATE SEQUENCE kt_attempts",
                // counts committed backfill writes per row (transactional)
                """
                CREATE FUNCTION kt_count() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF current_setting('application_name') LIKE 'phasegate/%' THEN
                    NEW.n_backfill := OLD.n_backfill + 1;
                  END IF;
                  RETURN NEW;
                END $$""",
                "CREATE TRIGGER kt_count BEFORE UPDATE ON kt FOR EACH ROW EXECUTE FUNCTION kt_count()");
        // nextval is not transactional: it counts every row update attempted, also those of rolled-back batches
        BackfillSpec spec = spec("kt", "id", "b = a * 2 + 0 * nextval('kt_attempts')", "b IS NULL", 2000, 500, max,
                "100ms");
        String uid = "kt-uid";

        // run 1: its backend is terminated mid-way, like a crash of the operator's connection
        Recorder rec1 = new Recorder();
        Future<StepObservation> run1 = pool.submit(() -> backfiller(Duration.ZERO).run(request(uid, spec), rec1,
                new StepControl(), HealthGate::opened));
        await().atMost(TIMEOUT).until(() -> rec1.rowsDone() >= 25_000 || run1.isDone());
        assertThat(run1.isDone()).as("still running when killed").isFalse();
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name = ? AND pid <> pg_backend_pid()
                  AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)""")) {
            ps.setString(1, SessionSettings.applicationName("shop", "kt-uid"));
            ps.executeQuery().close();
        }
        StepObservation r1 = run1.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(r1).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.DatabaseUnavailable);
            assertThat(f.retryable()).isTrue();
        });
        long k1 = checkpointConsistent(uid, "kt");

        // run 2: resumes exactly at the checkpoint, then is cancelled mid-statement (abort)
        Recorder rec2 = new Recorder();
        StepControl control2 = new StepControl();
        Future<StepObservation> run2 = pool.submit(() -> backfiller(Duration.ZERO).run(request(uid, spec), rec2,
                control2, HealthGate::opened));
        await().atMost(TIMEOUT).until(() -> rec2.rowsDone() >= 60_000 || run2.isDone());
        control2.cancelNow(Reason.Aborting);
        StepObservation r2 = run2.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(r2).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.Aborting);
            assertThat(f.retryable()).isTrue();
        });
        assertThat(rec2.batches.get(0).fromKey()).as("run 2 starts at the checkpoint").isEqualTo(Long.toString(k1));
        assertThat(rec2.runs.get(0).detail()).contains("resuming from the checkpoint");
        long k2 = checkpointConsistent(uid, "kt");
        assertThat(k2).isGreaterThan(k1);

        // run 3: finishes
        Recorder rec3 = new Recorder();
        StepObservation r3 = backfiller(Duration.ZERO).run(request(uid, spec), rec3, new StepControl(),
                HealthGate::opened);
        assertThat(r3).isInstanceOf(StepObservation.Completed.class);
        assertThat(rec3.batches.get(0).fromKey()).isEqualTo(Long.toString(k2));
        assertThat(rec3.last().rowsDone).isEqualTo(rows);
        assertThat(queryLong("SELECT count(*) FROM kt WHERE b = a * 2")).isEqualTo(rows);
        assertThat(queryLong("SELECT max(n_backfill) FROM kt")).as("no row updated by more than two batches")
                .isLessThanOrEqualTo(2);
        assertThat(queryLong("SELECT sum(n_backfill) FROM kt")).as("each row committed once").isEqualTo(rows);
        long attempts = queryLong("SELECT last_value FROM kt_attempts");
        assertThat(attempts).as("rows attempted: all, plus at most one rolled-back batch per interruption")
                .isBetween((long) rows, (long) rows + 2L * max);
        assertThat(BackfillCheckpoints.find(db.connect(), "shop/" + uid)).hasValueSatisfying(cp -> {
            assertThat(cp.finished()).isTrue();
            assertThat(cp.rowsDone()).isEqualTo(rows);
        });

        // run 4: already done; verification alone completes it, touching nothing
        Recorder rec4 = new Recorder();
        StepObservation r4 = backfiller(Duration.ZERO).run(request(uid, spec), rec4, new StepControl(),
                HealthGate::opened);
        assertThat(r4).isInstanceOf(StepObservation.Completed.class);
        assertThat(rec4.batches.stream().mapToLong(Backfiller.Batch::rows).sum()).isZero();
        assertThat(queryLong("SELECT last_value FROM kt_attempts")).isEqualTo(attempts);
    }

    /** The checkpoint and the data agree: every row up to the last key done, none after. Returns the key. */
    private long checkpointConsistent(String uid, String table) throws SQLException {
        BackfillCheckpoints.Checkpoint cp;
        try (Connection c = db.connect()) {
            cp = BackfillCheckpoints.find(c, "shop/" + uid).orElseThrow();
        }
        long key = Long.parseLong(cp.lastKey());
        assertThat(cp.inclusive()).isFalse();
        assertThat(queryLong("SELECT count(*) FROM " + table + " WHERE id <= " + key + " AND b IS NULL")).isZero();
        assertThat(queryLong("SELECT count(*) FROM " + table + " WHERE id > " + key + " AND b IS NOT NULL")).isZero();
        assertThat(queryLong("SELECT count(*) FROM " + table + " WHERE b IS NOT NULL")).isEqualTo(cp.rowsDone());
        return key;
    }

    // ------------------------------------------------------------------ throttling and stopping

    @Test
    void aClosedHealthGatePausesTheBackfillWithTheGatesReasonUntilItOpens() throws Exception {
        exec("CREATE TABLE gt (id int PRIMARY KEY, a int NOT NULL, b int)",
                "INSERT INTO gt (id, a) SELECT g, g FROM generate_series(1, 30000) g");
        AtomicReference<HealthGate> gate = new AtomicReference<>(HealthGate.opened());
        Recorder rec = new Recorder();
        rec.onBatch = b -> {
            if (rec.batches.size() == 3) {
                gate.set(HealthGate.closed(Reason.ReplicationLag, "replica lag 14s > 10s"));
            }
        };
        BackfillSpec spec = spec("gt", "id", "b = a * 2", "b IS NULL", 1000, 1000, 1000, "200ms");
        Future<StepObservation> run = pool.submit(() -> backfiller(Duration.ZERO).run(request("gt-uid", spec), rec,
                new StepControl(), gate::get));

        await().atMost(TIMEOUT).until(() -> rec.runs.stream().anyMatch(r -> r.waitingOn() == Reason.ReplicationLag));
        long doneWhileClosed = queryLong("SELECT count(*) FROM gt WHERE b IS NOT NULL");
        Thread.sleep(500);
        assertThat(queryLong("SELECT count(*) FROM gt WHERE b IS NOT NULL")).isEqualTo(doneWhileClosed)
                .isEqualTo(3000);
        assertThat(rec.batches).hasSize(3);
        assertThat(run.isDone()).isFalse();
        StepObservation.Running waiting = rec.runs.stream().filter(r -> r.waitingOn() == Reason.ReplicationLag)
                .findFirst().orElseThrow();
        assertThat(waiting.phase()).isEqualTo(PhaseName.Backfill);
        assertThat(waiting.detail()).contains("replica lag 14s > 10s");

        gate.set(HealthGate.opened());
        assertThat(run.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(StepObservation.Completed.class);
        assertThat(queryLong("SELECT count(*) FROM gt WHERE b = a * 2")).isEqualTo(30000);
        int closedAt = indexOf(rec.runs, r -> r.waitingOn() == Reason.ReplicationLag);
        assertThat(rec.runs.subList(closedAt, rec.runs.size()))
                .anySatisfy(r -> assertThat(r.detail()).contains("resumes"));
    }

    @Test
    void aPauseRequestStopsAtTheNextBatchBoundaryAndTheNextRunGoesOn() throws Exception {
        exec("CREATE TABLE pt (id int PRIMARY KEY, a int NOT NULL, b int)",
                "INSERT INTO pt (id, a) SELECT g, g FROM generate_series(1, 20000) g");
        StepControl control = new StepControl();
        Recorder rec = new Recorder();
        rec.onBatch = b -> {
            if (rec.batches.size() == 2) {
                control.requestStop(Reason.Paused);
            }
        };
        BackfillSpec spec = spec("pt", "id", "b = a * 2", "b IS NULL", 1000, 1000, 1000, "200ms");
        StepObservation r = backfiller(Duration.ZERO).run(request("pt-uid", spec), rec, control, HealthGate::opened);
        assertThat(r).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
            assertThat(f.reason()).isEqualTo(Reason.Paused);
            assertThat(f.retryable()).isTrue();
            assertThat(f.message()).contains("batch boundary");
        });
        assertThat(queryLong("SELECT count(*) FROM pt WHERE b IS NOT NULL")).isEqualTo(2000);

        Recorder rec2 = new Recorder();
        assertThat(backfiller(Duration.ZERO).run(request("pt-uid", spec), rec2, new StepControl(),
                HealthGate::opened)).isInstanceOf(StepObservation.Completed.class);
        assertThat(rec2.batches.get(0).fromKey()).isEqualTo("2000");
        assertThat(queryLong("SELECT count(*) FROM pt WHERE b = a * 2")).isEqualTo(20000);
    }

    @Test
    void lockTimeoutsAreRetriedWithBackoffAndSmallerBatches() throws Exception {
        exec("CREATE TABLE lt (id int PRIMARY KEY, a int NOT NULL, b int)",
                "INSERT INTO lt (id, a) SELECT g, g FROM generate_series(1, 20000) g");
        BackfillSpec spec = spec("lt", "id", "b = a * 2", "b IS NULL", 4000, 100, 4000, "200ms");
        try (Connection holder = db.connect()) {
            holder.setAutoCommit(false);
            try (Statement s = holder.createStatement()) {
                s.executeQuery("SELECT * FROM lt WHERE id = 10000 FOR UPDATE").close();
            }
            Recorder rec = new Recorder();
            Future<StepObservation> run = pool.submit(() -> backfiller(Duration.ZERO).run(request("lt-uid", spec,
                    Duration.ofMillis(100), 20), rec, new StepControl(), HealthGate::opened));
            await().atMost(TIMEOUT).until(() -> rec.runs.stream()
                    .filter(r -> r.waitingOn() == Reason.RetryBackoff).count() >= 3 || run.isDone());
            holder.rollback();
            StepObservation r = run.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(r).isInstanceOf(StepObservation.Completed.class);
            assertThat(rec.runs).anySatisfy(x -> {
                assertThat(x.waitingOn()).isEqualTo(Reason.RetryBackoff);
                assertThat(x.detail()).contains("rows locked by another session").contains("retry 1/20");
            });
            assertThat(rec.batches.stream().mapToInt(Backfiller.Batch::keys).min().orElseThrow())
                    .as("retries shrink the batch").isLessThanOrEqualTo(2000);
            assertThat(queryLong("SELECT count(*) FROM lt WHERE b = a * 2")).isEqualTo(20000);
        }

        // with the lock held throughout, the retries run out: a retryable LockRetriesExhausted
        exec("UPDATE lt SET b = NULL");
        try (Connection holder = db.connect()) {
            holder.setAutoCommit(false);
            try (Statement s = holder.createStatement()) {
                s.executeQuery("SELECT * FROM lt WHERE id = 10000 FOR UPDATE").close();
            }
            StepObservation r = backfiller(Duration.ZERO).run(request("lt-uid-2", spec, Duration.ofMillis(100), 2),
                    new Recorder(), new StepControl(), HealthGate::opened);
            assertThat(r).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
                assertThat(f.reason()).isEqualTo(Reason.LockRetriesExhausted);
                assertThat(f.retryable()).isTrue();
                assertThat(f.message()).contains("gave up after 3 tries");
            });
            holder.rollback();
        }
    }

    @Test
    void theLockWatchdogCancelsABatchThatMakesSessionsQueueAndRetriesItSmaller() throws Exception {
        exec("CREATE TABLE wd (id int PRIMARY KEY, a int NOT NULL, b int)",
                "INSERT INTO wd (id, a) SELECT g, g FROM generate_series(1, 2000) g",
                """
                CREATE FUNCTION wd_slow(x int) RETURNS int LANGUAGE plpgsql VOLATILE AS $$
                BEGIN PERFORM pg_sleep(0.002); RETURN x * 2; END $$""");
        AtomicBoolean stop = new AtomicBoolean();
        Future<?> app = pool.submit(() -> {
            try (Connection w = appConnection();
                    PreparedStatement ps = w.prepareStatement("UPDATE wd SET a = a WHERE id = ?")) {
                while (!stop.get()) {
                    ps.setInt(1, 1 + ThreadLocalRandom.current().nextInt(2000));
                    ps.executeUpdate();
                    Thread.sleep(5);
                }
            }
            return null;
        });
        // A large target, so that only the watchdog makes batches smaller: 1000 rows at >= 2 ms hold row locks >= 2 s.
        BackfillSpec spec = spec("wd", "id", "b = wd_slow(a)", "b IS NULL", 1000, 50, 1000, "10s");
        LockPolicy d = LockPolicy.from(null);
        LockPolicy policy = new LockPolicy(d.lockTimeout(), d.statementTimeout(), 20, Duration.ofMillis(20),
                Duration.ofMillis(200), d.indexBuildMaxWait(), 5, Duration.ofMillis(300));
        Recorder rec = new Recorder();
        StepObservation r = backfiller(Duration.ZERO).run(new Backfiller.BackfillRequest("wd-uid", "shop/wd",
                () -> spec, connection(), session("wd-uid", Duration.ofMillis(500)), policy), rec, new StepControl(),
                HealthGate::opened);
        stop.set(true);
        app.get(30, TimeUnit.SECONDS);
        assertThat(r).isInstanceOf(StepObservation.Completed.class);
        assertThat(rec.runs).anySatisfy(x -> {
            assertThat(x.waitingOn()).isEqualTo(Reason.BlockedQueries);
            assertThat(x.detail()).contains("queued behind our statement");
        });
        assertThat(rec.batches.get(0).keys()).as("the first committed batch is already smaller").isLessThan(1000);
        assertThat(queryLong("SELECT count(*) FROM wd WHERE b = a * 2")).isEqualTo(2000);
    }

    @Test
    void anotherRunnerHoldingTheAdvisoryLockMeansRunnerBusy() throws Exception {
        exec("CREATE TABLE rb (id int PRIMARY KEY, a int NOT NULL, b int)", "INSERT INTO rb VALUES (1, 1, NULL)");
        try (Connection other = db.connect(); Statement s = other.createStatement()) {
            s.executeQuery("SELECT pg_advisory_lock(" + RunnerLock.KEY + ")").close();
            StepObservation r = backfiller(Duration.ZERO).run(request("rb-uid",
                    spec("rb", "id", "b = a * 2", "b IS NULL", 10, 1, 10, "200ms")), new Recorder(),
                    new StepControl(), HealthGate::opened);
            assertThat(r).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
                assertThat(f.reason()).isEqualTo(Reason.RunnerBusy);
                assertThat(f.retryable()).isTrue();
            });
        }
        assertThat(queryLong("SELECT count(*) FROM rb WHERE b IS NOT NULL")).isZero();
    }

    // ------------------------------------------------------------------ adaptive size and spec edits

    @Test
    void aSlowSetMakesTheBatchSizeFallAndAFastOneMakesItGrowTowardsTheTarget() throws Exception {
        exec("CREATE TABLE slow_t (id int PRIMARY KEY, a int NOT NULL, b int)",
                "INSERT INTO slow_t (id, a) SELECT g, g FROM generate_series(1, 2000) g",
                """
                CREATE FUNCTION slow_double(x int) RETURNS int LANGUAGE plpgsql VOLATILE AS $$
                BEGIN PERFORM pg_sleep(0.0005); RETURN x * 2; END $$""",
                "CREATE TABLE fast_t (id int PRIMARY KEY, a int NOT NULL, b int)",
                "INSERT INTO fast_t (id, a) SELECT g, g FROM generate_series(1, 100000) g",
                "VACUUM ANALYZE fast_t");

        Recorder slow = new Recorder();
        assertThat(backfiller(Duration.ZERO).run(request("slow-uid", spec("slow_t", "id", "b = slow_double(a)",
                "b IS NULL", 1000, 10, 10_000, "100ms")), slow, new StepControl(), HealthGate::opened))
                .isInstanceOf(StepObservation.Completed.class);
        List<Backfiller.Batch> sb = slow.batches;
        assertThat(sb.get(0).keys()).isEqualTo(1000);
        assertThat(sb.get(0).took()).as("1000 rows at >= 0.5 ms each").isGreaterThan(Duration.ofMillis(400));
        assertThat(sb.get(0).nextSize()).as("shrinks at once").isLessThan(300);
        assertThat(sb.subList(1, sb.size())).allSatisfy(b -> assertThat(b.keys()).isLessThan(400));
        assertThat(queryLong("SELECT count(*) FROM slow_t WHERE b = a * 2")).isEqualTo(2000);

        Recorder fast = new Recorder();
        assertThat(backfiller(Duration.ZERO).run(request("fast-uid", spec("fast_t", "id", "b = a * 2", "b IS NULL",
                100, 100, 100_000, "200ms")), fast, new StepControl(), HealthGate::opened))
                .isInstanceOf(StepObservation.Completed.class);
        List<Backfiller.Batch> fb = fast.batches;
        assertThat(fb.get(0).keys()).isEqualTo(100);
        for (int i = 1; i < fb.size(); i++) {
            assertThat((double) fb.get(i).keys()).as("batch %d grows at most x1.2", i)
                    .isLessThanOrEqualTo(Math.floor(fb.get(i - 1).keys() * 1.2) + 1);
        }
        assertThat(fb.stream().mapToInt(Backfiller.Batch::keys).max().orElseThrow()).isGreaterThanOrEqualTo(5000);
        assertThat(queryLong("SELECT count(*) FROM fast_t WHERE b = a * 2")).isEqualTo(100000);
    }

    @Test
    void anEditedBatchSizeIsPickedUpByTheNextBatch() throws Exception {
        exec("CREATE TABLE et (id int PRIMARY KEY, a int NOT NULL, b int)",
                "INSERT INTO et (id, a) SELECT g, g FROM generate_series(1, 30000) g");
        AtomicReference<BackfillSpec> spec = new AtomicReference<>(spec("et", "id", "b = a * 2", "b IS NULL", 1000,
                100, 100_000, "200ms"));
        Recorder rec = new Recorder();
        rec.onBatch = b -> {
            if (rec.batches.size() == 3) {
                BackfillSpec edited = copy(spec.get());
                edited.batchSize = 777;
                spec.set(edited);
            } else if (rec.batches.size() == 6) {
                BackfillSpec edited = copy(spec.get());
                edited.maxBatchSize = 300;
                spec.set(edited);
            }
        };
        StepObservation r = backfiller(Duration.ZERO).run(new Backfiller.BackfillRequest("et-uid", "shop/et",
                spec::get, connection(), session("et-uid", Duration.ofMillis(500)), locks(10)), rec,
                new StepControl(), HealthGate::opened);
        assertThat(r).isInstanceOf(StepObservation.Completed.class);
        assertThat(rec.batches.get(3).keys()).isEqualTo(777);
        assertThat(rec.batches.subList(6, rec.batches.size())).allSatisfy(b -> assertThat(b.keys()).isLessThanOrEqualTo(300));
        assertThat(queryLong("SELECT count(*) FROM et WHERE b = a * 2")).isEqualTo(30000);
    }

    // ------------------------------------------------------------------ key types

    @Test
    void walksTextUuidAndTimestampKeys() throws Exception {
        exec("CREATE TABLE tk (k text PRIMARY KEY, a int NOT NULL, b int, note text DEFAULT 'what?')",
                "INSERT INTO tk (k, a) SELECT 'k' || g || CASE g % 4 WHEN 0 THEN '''' WHEN 1 THEN '\\' WHEN 2"
                        + " THEN 'ü' ELSE ' ?' END, g FROM generate_series(1, 3000) g",
                "CREATE TABLE uk (k uuid PRIMARY KEY, a int NOT NULL, b int)",
                "INSERT INTO uk (k, a) SELECT gen_random_uuid(), g FROM generate_series(1, 3000) g",
                "CREATE TABLE sk (k timestamp PRIMARY KEY, a int NOT NULL, b int)",
                "INSERT INTO sk (k, a) SELECT timestamp '2024-01-01 00:00:00' + g * interval '7 microseconds', g"
                        + " FROM generate_series(1, 3000) g",
                "CREATE TABLE zk (k timestamptz PRIMARY KEY, a int NOT NULL, b int)",
                "INSERT INTO zk (k, a) SELECT timestamptz '2024-03-31 00:59:59.999+00' + g * interval '13 us', g"
                        + " FROM generate_series(1, 3000) g");
        // '?' in the fragments: they never pass through the driver's parameter parser
        for (String[] t : new String[][] {{"tk", "b IS NULL AND note = 'what?'"}, {"uk", "b IS NULL"},
                {"sk", "b IS NULL"}, {"zk", "b IS NULL"}}) {
            Recorder rec = new Recorder();
            StepObservation r = backfiller(Duration.ZERO).run(request(t[0] + "-uid", spec(t[0], "k", "b = a * 2",
                    t[1], 100, 100, 100, "200ms")), rec, new StepControl(), HealthGate::opened);
            assertThat(r).as(t[0]).isInstanceOf(StepObservation.Completed.class);
            assertThat(queryLong("SELECT count(*) FROM " + t[0] + " WHERE b = a * 2")).as(t[0]).isEqualTo(3000);
            assertThat(rec.batches).as(t[0]).hasSize(30);
            assertThat(rec.batches.stream().mapToLong(Backfiller.Batch::rows).sum()).as(t[0]).isEqualTo(3000);
        }
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void badInputIsReportedClearlyBeforeAnyRowIsTouched() throws Exception {
        exec("CREATE TABLE bad (id int PRIMARY KEY, a int NOT NULL, b int, nk int, ni int, amount numeric UNIQUE)",
                "CREATE INDEX bad_nk ON bad (nk)",
                "INSERT INTO bad (id, a, nk, ni, amount) SELECT g, g, g, g, g FROM generate_series(1, 1000) g",
                "CREATE TABLE comp (x int, y int, a int NOT NULL, b int, PRIMARY KEY (x, y))",
                "INSERT INTO comp (x, y, a) SELECT g, g, g FROM generate_series(1, 100) g",
                "CREATE TABLE touched (t text, n bigint)",
                """
                CREATE FUNCTION note_touch() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO touched VALUES (TG_TABLE_NAME, 1); RETURN NEW; END $$""",
                "CREATE TRIGGER bad_touch AFTER UPDATE ON bad FOR EACH ROW EXECUTE FUNCTION note_touch()",
                "CREATE TRIGGER comp_touch AFTER UPDATE ON comp FOR EACH ROW EXECUTE FUNCTION note_touch()");
        record Case(String table, String key, String set, String where, Reason reason, String text) {
        }
        List<Case> cases = List.of(
                new Case("bad", "id", "b = a * 2", "missing_col IS NULL", Reason.SqlError,
                        "spec.backfill.where does not prepare: column \"missing_col\" does not exist"),
                new Case("bad", "id", "b = nosuch * 2", "b IS NULL", Reason.SqlError,
                        "spec.backfill.set does not prepare: column \"nosuch\" does not exist"),
                new Case("bad", "id", "b = a * 2", "a + 1", Reason.SqlError, "must be type boolean"),
                new Case("bad", "nk", "b = a * 2", "b IS NULL", Reason.InvalidSpec, "nk is not unique"),
                new Case("bad", "ni", "b = a * 2", "b IS NULL", Reason.InvalidSpec, "ni is not indexed"),
                new Case("bad", "nope", "b = a * 2", "b IS NULL", Reason.InvalidSpec,
                        "column nope does not exist in table bad"),
                new Case("no_such_table", "id", "b = a * 2", "b IS NULL", Reason.InvalidSpec,
                        "table no_such_table does not exist"),
                new Case("comp", "x", "b = a * 2", "b IS NULL", Reason.Unsupported,
                        "composite primary key (x, y)"),
                new Case("bad", "amount", "b = a * 2", "b IS NULL", Reason.Unsupported, "has type numeric"),
                new Case("bad", "id", "b = a * 2", "b IS NULL) OR (true", Reason.InvalidSpec,
                        "closes a parenthesis it did not open"),
                new Case("bad", "id", "b = a * 2", "b IS NULL; DELETE FROM bad", Reason.InvalidSpec, "contains ';'"),
                new Case("bad", "id", "b = a * 2", "b IS NULL AND id > $1", Reason.InvalidSpec, "parameter $1"),
                new Case("bad", "id", "b = a * 2", "b IS NULL /* open", Reason.InvalidSpec, "unterminated"),
                new Case("bad", "id", "b = 1", "true", Reason.InvalidSpec, "does not make the guard"));
        int i = 0;
        for (Case c : cases) {
            StepObservation r = backfiller(Duration.ZERO).run(request("bad-" + i++, spec(c.table(), c.key(), c.set(),
                    c.where(), 100, 10, 1000, "200ms")), new Recorder(), new StepControl(), HealthGate::opened);
            assertThat(r).as(c.toString()).isInstanceOfSatisfying(StepObservation.Failed.class, f -> {
                assertThat(f.reason()).as(c.toString()).isEqualTo(c.reason());
                assertThat(f.message()).as(c.toString()).contains(c.text());
                assertThat(f.retryable()).as(c.toString()).isFalse();
            });
            assertThat(queryLong("SELECT count(*) FROM touched")).as(c.toString()).isZero();
            assertThat(queryLong("SELECT count(*) FROM bad WHERE b IS NOT NULL")).as(c.toString()).isZero();
            assertThat(queryLong("SELECT count(*) FROM comp WHERE b IS NOT NULL")).as(c.toString()).isZero();
        }
        // and the same table with a good spec works, so the failures above were about the input
        assertThat(backfiller(Duration.ZERO).run(request("bad-good", spec("bad", "id", "b = a * 2", "b IS NULL",
                100, 10, 1000, "200ms")), new Recorder(), new StepControl(), HealthGate::opened))
                .isInstanceOf(StepObservation.Completed.class);
        assertThat(queryLong("SELECT count(*) FROM touched")).isEqualTo(1000);
    }

    // ------------------------------------------------------------------ helpers

    private static Backfiller backfiller(Duration reportEvery) {
        return new Backfiller(Backfiller.Options.defaults().withReportEvery(reportEvery)
                .withGatePoll(Duration.ofMillis(20)));
    }

    private Backfiller.BackfillRequest request(String uid, BackfillSpec spec) {
        return request(uid, spec, Duration.ofMillis(500), 10);
    }

    private Backfiller.BackfillRequest request(String uid, BackfillSpec spec, Duration lockTimeout, int retries) {
        return new Backfiller.BackfillRequest(uid, "shop/" + uid, () -> spec, connection(), session(uid, lockTimeout),
                locks(retries));
    }

    private ConnectionSettings connection() {
        return new ConnectionSettings(db.jdbcUrl(), db.user(), db.password());
    }

    private static SessionSettings session(String name, Duration lockTimeout) {
        return SessionSettings.forMigration("shop", name, lockTimeout, Duration.ofMinutes(2));
    }

    private static LockPolicy locks(int retries) {
        LockPolicy d = LockPolicy.from(null);
        return new LockPolicy(d.lockTimeout(), d.statementTimeout(), retries, Duration.ofMillis(20),
                Duration.ofMillis(200), d.indexBuildMaxWait(), d.maxBlockedQueries(), d.maxBlockedWait());
    }

    static BackfillSpec spec(String table, String key, String set, String where, int batch, int min, int max,
            String target) {
        BackfillSpec s = new BackfillSpec();
        s.table = table;
        s.keyColumn = key;
        s.set = set;
        s.where = where;
        s.batchSize = batch;
        s.minBatchSize = min;
        s.maxBatchSize = max;
        s.targetBatchDuration = target;
        // Unpaced unless a test sets a pause: these tests are about correctness, not pacing.
        s.pauseBetweenBatches = "0s";
        return s;
    }

    private static BackfillSpec copy(BackfillSpec o) {
        BackfillSpec s = spec(o.table, o.keyColumn, o.set, o.where, o.batchSize, o.minBatchSize, o.maxBatchSize,
                o.targetBatchDuration);
        s.pauseBetweenBatches = o.pauseBetweenBatches;
        return s;
    }

    private Connection appConnection() throws SQLException {
        Connection c = db.connect();
        try (Statement s = c.createStatement()) {
            s.execute("SET application_name = 'orders-api'");
        }
        return c;
    }

    private void exec(String... sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    private long queryLong(String sql, Object... params) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] instanceof Long[] arr) {
                    ps.setArray(i + 1, c.createArrayOf("bigint", arr));
                } else {
                    ps.setObject(i + 1, params[i]);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getLong(1);
            }
        }
    }

    private static <T> int indexOf(List<T> list, java.util.function.Predicate<T> p) {
        for (int i = 0; i < list.size(); i++) {
            if (p.test(list.get(i))) {
                return i;
            }
        }
        return -1;
    }

    /** Collects everything the backfill reports; hooks run on the backfill's thread. */
    static final class Recorder implements Backfiller.Listener {
        final List<StepObservation.Running> runs = new CopyOnWriteArrayList<>();
        final List<BackfillStatus> statuses = new CopyOnWriteArrayList<>();
        final List<Backfiller.Batch> batches = new CopyOnWriteArrayList<>();
        volatile Consumer<Backfiller.Batch> onBatch = b -> {
        };
        volatile BiConsumer<StepObservation.Running, BackfillStatus> onProgress = (r, s) -> {
        };

        @Override
        public void progress(StepObservation.Running running, BackfillStatus progress) {
            runs.add(running);
            statuses.add(progress);
            onProgress.accept(running, progress);
        }

        @Override
        public void batch(Backfiller.Batch batch) {
            batches.add(batch);
            onBatch.accept(batch);
        }

        String describe() {
            StringBuilder b = new StringBuilder("progress reports:");
            for (BackfillStatus s : statuses) {
                b.append(String.format("%n pass %d rows %d est %d %d%% rate %.0f eta %s batch %d last %s", s.passes,
                        s.rowsDone, s.rowsEstimated, s.percent, s.rowsPerSecond, s.eta, s.batchSize, s.lastKey));
            }
            return b.toString();
        }

        BackfillStatus last() {
            return statuses.get(statuses.size() - 1);
        }

        long rowsDone() {
            return statuses.isEmpty() ? 0 : last().rowsDone;
        }
    }
}
