package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.testing.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The backfill against a primary with a streaming replica, gated by the {@link HealthMonitor} that reads the
 * replica's lag directly: pausing replay on the replica closes the gate with ReplicationLag, the backfill stops
 * between batches while it is closed, and resumes by itself and finishes once replay resumes.
 */
class BackfillReplicaLagIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final String KEY = "shop/orders-replica-lag";
    private static final String REPLICA = "orders-replica";
    private static final String MONITOR = "health_monitor";
    private static final String PASSWORD = "monitor-pw";
    private static final int ROWS = 200_000;
    private static final int MAX_BATCH = 1_000;
    /** How long the test keeps replay paused after it saw the backfill waiting on the lag. */
    private static final Duration HOLD = Duration.ofSeconds(4);

    /** One progress report: when, what the backfill waited on, and the rows done so far. */
    private record Report(long nanos, Reason waitingOn, String detail, long rowsDone) {
    }

    /** One committed batch and when the listener heard of it. */
    private record BatchAt(long nanos, Backfiller.Batch batch) {
    }

    @Test
    void pausedReplayClosesTheGateTheBackfillWaitsAndResumesToCompletion() throws Exception {
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newCachedThreadPool();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        try (PostgresCluster primary = PostgresCluster.builder().start()) {
            primary.createRole(MONITOR, PASSWORD, true);
            try (Connection c = primary.connect("postgres"); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE ticks (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
                s.execute("CREATE TABLE big (id bigint PRIMARY KEY, a int NOT NULL, b int)");
                s.execute("INSERT INTO big SELECT g, g % 1000, NULL FROM generate_series(1, " + ROWS + ") g");
                s.execute("VACUUM ANALYZE big");
            }
            try (PostgresCluster replica = primary.createReplica(REPLICA);
                    Connection writer = primary.connect("postgres");
                    Connection replicaAdmin = replica.connect("postgres");
                    HealthMonitor monitor = new HealthMonitor(
                            HealthMonitor.Options.defaults().withInterval(Duration.ofMillis(300)), k -> { })) {
                // Tiny commits keep coming, so replay timestamps advance and a paused replica falls behind.
                ticker.scheduleWithFixedDelay(() -> {
                    try (Statement s = writer.createStatement()) {
                        s.execute("INSERT INTO ticks DEFAULT VALUES");
                    } catch (SQLException ignored) {
                        // the cluster is going away at the end of the test
                    }
                }, 0, 100, TimeUnit.MILLISECONDS);

                HealthSpec health = new HealthSpec();
                health.maxReplicationLag = "1s";
                ConnectionSettings onPrimary = new ConnectionSettings(primary.jdbcUrl("postgres"), MONITOR, PASSWORD);
                ConnectionSettings onReplica = new ConnectionSettings(replica.jdbcUrl("postgres"), MONITOR, PASSWORD);
                monitor.watch(KEY, new HealthMonitor.Target(onPrimary,
                        List.of(new HealthMonitor.Replica(REPLICA, onReplica)), List.of("big"), health, false));
                await("gate opens once the replica has caught up").atMost(WAIT).pollInterval(POLL)
                        .until(() -> monitor.gate(KEY).open());

                List<Report> reports = new CopyOnWriteArrayList<>();
                List<BatchAt> batches = new CopyOnWriteArrayList<>();
                AtomicLong rowsDone = new AtomicLong();
                Backfiller.Listener listener = new Backfiller.Listener() {
                    @Override
                    public void progress(StepObservation.Running running, BackfillStatus progress) {
                        reports.add(new Report(System.nanoTime(), running.waitingOn(), running.detail(),
                                progress.rowsDone));
                    }

                    @Override
                    public void batch(Backfiller.Batch batch) {
                        rowsDone.addAndGet(batch.rows());
                        batches.add(new BatchAt(System.nanoTime(), batch));
                    }
                };
                BackfillSpec spec = new BackfillSpec();
                spec.table = "big";
                spec.keyColumn = "id";
                spec.set = "b = a * 2";
                spec.where = "b IS NULL";
                spec.batchSize = 500;
                spec.minBatchSize = 100;
                spec.maxBatchSize = MAX_BATCH;
                spec.targetBatchDuration = "200ms";
                spec.pauseBetweenBatches = "50ms";
                ConnectionSettings db = new ConnectionSettings(primary.jdbcUrl("postgres"), primary.superuser(),
                        primary.superuserPassword());
                LockPolicy d = LockPolicy.from(null);
                LockPolicy locks = new LockPolicy(d.lockTimeout(), d.statementTimeout(), 10, Duration.ofMillis(20),
                        Duration.ofMillis(200), d.indexBuildMaxWait(), d.maxBlockedQueries(), d.maxBlockedWait());
                Backfiller.BackfillRequest request = new Backfiller.BackfillRequest("replica-lag-uid", KEY,
                        () -> spec, db, SessionSettings.forMigration("shop", "replica-lag", Duration.ofMillis(500),
                                Duration.ofMinutes(2)), locks);
                Backfiller backfiller = new Backfiller(Backfiller.Options.defaults()
                        .withReportEvery(Duration.ofMillis(100)).withGatePoll(Duration.ofMillis(50)));
                StepControl control = new StepControl();

                Future<StepObservation> run = pool.submit(() -> backfiller.run(request, listener, control,
                        () -> monitor.gate(KEY)));
                try {
                    await("some rows are done").atMost(WAIT).pollInterval(Duration.ofMillis(20))
                            .until(() -> rowsDone.get() >= 5_000 || run.isDone());
                    assertThat(run.isDone()).as("the backfill still runs when replay is paused: %s", reports)
                            .isFalse();

                    exec(replicaAdmin, "SELECT pg_wal_replay_pause()");
                    long pausedAt = System.nanoTime();
                    long rowsWhenClosed;
                    long closedAt;
                    Report waiting;
                    long rowsBeforeResume;
                    long resumedAt;
                    try {
                        HealthGate closed = await("the monitor sees the lag").atMost(WAIT).pollInterval(POLL)
                                .until(() -> monitor.gate(KEY), g -> g.reason() == Reason.ReplicationLag);
                        closedAt = System.nanoTime();
                        rowsWhenClosed = rowsDone.get();
                        assertThat(closed.message()).contains("replica " + REPLICA + " lags",
                                "maxReplicationLag 1s");

                        waiting = await("the backfill waits on the lag").atMost(WAIT).pollInterval(POLL)
                                .until(() -> reports.stream().filter(r -> r.nanos() > pausedAt
                                        && r.waitingOn() == Reason.ReplicationLag).findFirst().orElse(null),
                                        r -> r != null);
                        assertThat(waiting.detail()).contains("paused by the health gate", "replica " + REPLICA
                                + " lags", "maxReplicationLag 1s");
                        assertThat(run.isDone()).as("still running (waiting) while replay is paused").isFalse();

                        // Replay stays paused: the backfill must not move on.
                        Thread.sleep(HOLD.toMillis());
                        rowsBeforeResume = rowsDone.get();
                        resumedAt = System.nanoTime();
                        assertThat(monitor.gate(KEY).open()).as("gate still closed while replay is paused").isFalse();
                        assertThat(run.isDone()).as("still running (waiting) while replay is paused").isFalse();
                    } finally {
                        exec(replicaAdmin, "SELECT pg_wal_replay_resume()");
                    }

                    // At most the batch that was in flight when the monitor closed the gate.
                    assertThat(rowsBeforeResume - rowsWhenClosed).as("rows done while the gate was closed")
                            .isBetween(0L, (long) MAX_BATCH);
                    long waitingSince = waiting.nanos();
                    assertThat(batches.stream().filter(b -> b.nanos() > waitingSince && b.nanos() < resumedAt))
                            .as("no batch after the backfill reported waiting on the lag, until resume").isEmpty();
                    assertThat(reports.stream().filter(r -> r.nanos() > waitingSince && r.nanos() < resumedAt))
                            .as("while paused every report waits on the closed gate").isNotEmpty()
                            .allSatisfy(r -> {
                                assertThat(r.waitingOn()).isNotNull();
                                assertThat(r.rowsDone()).isEqualTo(waiting.rowsDone());
                            });
                    assertThat(rowsBeforeResume).as("not finished before the pause").isLessThan(ROWS);

                    StepObservation result = run.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                    assertThat(result).as("%s", result).isInstanceOf(StepObservation.Completed.class);
                    assertThat(reports).anySatisfy(r -> {
                        assertThat(r.nanos()).isGreaterThan(resumedAt);
                        assertThat(r.waitingOn()).isNull();
                        assertThat(r.detail()).contains("health gate open again; backfill resumes");
                    });
                    assertThat(batches.stream().filter(b -> b.nanos() > resumedAt)).as("batches after resume")
                            .isNotEmpty();
                    assertThat(rowsDone.get()).isEqualTo(ROWS);
                    assertThat(queryLong(primary, "SELECT count(*) FROM big")).isEqualTo(ROWS);
                    assertThat(queryLong(primary, "SELECT count(*) FROM big WHERE b IS DISTINCT FROM a * 2"))
                            .isZero();
                    // The replica catches up with every backfilled row.
                    await("replica has every row backfilled").atMost(WAIT).pollInterval(POLL)
                            .until(() -> queryLong(replica, "SELECT count(*) FROM big WHERE b = a * 2") == ROWS);
                    System.out.printf("BackfillReplicaLagIT: gate closed %d ms after pause, backfill waiting %d ms"
                            + " after pause at %d rows, %d rows before resume, total %d ms%n",
                            (closedAt - pausedAt) / 1_000_000, (waitingSince - pausedAt) / 1_000_000,
                            waiting.rowsDone(), rowsBeforeResume, (System.nanoTime() - t0) / 1_000_000);
                } finally {
                    control.cancelNow(Reason.Paused);
                    try {
                        run.get(60, TimeUnit.SECONDS);
                    } catch (Exception ignored) {
                        // reported by the assertions above
                    }
                }
            } finally {
                ticker.shutdownNow();
                ticker.awaitTermination(10, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static long queryLong(PostgresCluster cluster, String sql) throws SQLException {
        try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }
}
