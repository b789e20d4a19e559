package dev.phasegate.bench;

import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.PhaseName;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.ConnectionSettings;
import dev.phasegate.postgres.LockPolicy;
import dev.phasegate.postgres.SessionSettings;
import dev.phasegate.postgres.SqlStepExecutor;
import dev.phasegate.postgres.StepControl;
import dev.phasegate.testing.PostgresCluster;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Incident replay benchmark: the migration {@code ALTER TABLE orders ADD COLUMN note text; CREATE INDEX
 * CONCURRENTLY orders_note_idx ON orders (note)} while a report holds ACCESS SHARE on {@code orders} in an open
 * transaction for 10 s, under a fixed-rate application load (point SELECT, every fifth also an UPDATE of the same
 * row; latency counted from the scheduled start, so queueing behind a lock is not hidden).
 *
 * <ul>
 * <li>naive: plain JDBC, no lock_timeout: the ALTER queues behind the report and the application behind the ALTER;</li>
 * <li>phasegate: {@link SqlStepExecutor} with lockTimeout 500ms and jittered retries (the runner re-runs a
 * retryable failure after 1 s, as the operator's requeue would).</li>
 * </ul>
 * Prints a Markdown table of application latency in a baseline window (the 5 s before) and in the migration window.
 *
 * <p>Run (from the project directory): {@code mvn -B -q test-compile -Dquarkus.build.skip=true && mvn -B -q
 * exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.phasegate.bench.IncidentReplayBench
 * [-Dexec.args="rows rate connections readerSeconds"]} (defaults 200000 300 8 10).
 */
public final class IncidentReplayBench {

    private static final Duration BASELINE = Duration.ofSeconds(5);
    private static final Duration WARMUP = Duration.ofSeconds(2);
    private static final Duration TAIL = Duration.ofSeconds(2);
    private static final Duration LOCK_TIMEOUT = Duration.ofMillis(500);
    private static final String MIGRATION = """
            ALTER TABLE orders ADD COLUMN note text;
            CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);
            """;

    private final PostgresCluster cluster;
    private final int rows;
    private final int rate;
    private final int connections;
    private final int readerSeconds;

    private IncidentReplayBench(PostgresCluster cluster, int rows, int rate, int connections, int readerSeconds) {
        this.cluster = cluster;
        this.rows = rows;
        this.rate = rate;
        this.connections = connections;
        this.readerSeconds = readerSeconds;
    }

    /** Latency percentiles in ms over one window. */
    record Stats(int n, double p50, double p99, double max) {
        static Stats of(long[] latencies) {
            if (latencies.length == 0) {
                return new Stats(0, Double.NaN, Double.NaN, Double.NaN);
            }
            long[] s = latencies.clone();
            Arrays.sort(s);
            return new Stats(s.length, pct(s, 0.50) / 1e6, pct(s, 0.99) / 1e6, s[s.length - 1] / 1e6);
        }

        private static long pct(long[] sorted, double p) {
            int i = (int) Math.ceil(p * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
        }
    }

    record Result(String name, Stats baseline, Stats window, double migrationSeconds, String outcome, long errors) {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int conns = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int readerSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        try (PostgresCluster cluster = PostgresCluster.builder().start()) {
            cluster.createDatabase("bench");
            IncidentReplayBench bench = new IncidentReplayBench(cluster, rows, rate, conns, readerSeconds);
            bench.load();
            List<Result> results = new ArrayList<>();
            results.add(bench.run("naive (plain JDBC, no lock_timeout)", bench::naive));
            bench.reset();
            results.add(bench.run("phasegate (SqlStepExecutor, lockTimeout 500ms)", bench::phasegate));
            System.out.println(bench.report(results));
        }
    }

    // ------------------------------------------------------------------ setup

    private Connection connect(String applicationName) throws SQLException {
        Connection c = cluster.connect("bench");
        try (Statement s = c.createStatement()) {
            s.execute("SET application_name = '" + applicationName + "'");
        }
        return c;
    }

    private void load() throws SQLException {
        try (Connection c = connect("bench-setup"); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS orders");
            // autovacuum off: a run of it would close phasegate's gate (blockOnAutovacuum) and muddle the comparison
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, amount int NOT NULL,"
                    + " status text NOT NULL) WITH (autovacuum_enabled = off)");
            s.execute("INSERT INTO orders SELECT g, g % 5000, g % 1000, 'new' FROM generate_series(1, " + rows
                    + ") g");
            s.execute("VACUUM ANALYZE orders");
        }
    }

    private void reset() throws SQLException {
        try (Connection c = connect("bench-setup"); Statement s = c.createStatement()) {
            s.execute("DROP INDEX IF EXISTS orders_note_idx");
            s.execute("ALTER TABLE orders DROP COLUMN IF EXISTS note");
            s.execute("DROP SCHEMA IF EXISTS phasegate CASCADE");
            s.execute("VACUUM ANALYZE orders");
        }
    }

    // ------------------------------------------------------------------ the two migrations

    private String naive() throws SQLException {
        try (Connection c = connect("naive-migration"); Statement s = c.createStatement()) {
            s.execute("SET lock_timeout = 0");
            s.execute("SET statement_timeout = 0");
            s.execute("ALTER TABLE orders ADD COLUMN note text");
            s.execute("CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note)");
        }
        return "Completed";
    }

    private String phasegate() throws Exception {
        LocksSpec l = new LocksSpec();
        l.lockTimeout = LOCK_TIMEOUT.toMillis() + "ms";
        l.retries = 10;
        LockPolicy policy = LockPolicy.from(l).withRetryBase(Duration.ofMillis(500));
        SqlStepExecutor.SqlStep step = new SqlStepExecutor.SqlStep("bench-incident", "bench/incident",
                PhaseName.CompatibleSchema, false, MIGRATION,
                new ConnectionSettings(cluster.jdbcUrl("bench"), cluster.superuser(), cluster.superuserPassword()),
                SessionSettings.forMigration("bench", "incident", policy.lockTimeout(), policy.statementTimeout()),
                policy, new HealthSpec());
        List<String> attempts = new ArrayList<>();
        for (int attempt = 1; attempt <= 20; attempt++) {
            StepObservation o = new SqlStepExecutor().run(step, (done, total, waiting, detail) -> { }, new StepControl());
            if (o instanceof StepObservation.Completed) {
                attempts.add("Completed");
                return String.join(" → ", attempts);
            }
            StepObservation.Failed f = (StepObservation.Failed) o;
            attempts.add(f.reason().name());
            if (!f.retryable()) {
                return String.join(" → ", attempts) + ": " + f.message();
            }
            Thread.sleep(1_000);
        }
        return String.join(" → ", attempts);
    }

    interface Migration {
        String run() throws Exception;
    }

    // ------------------------------------------------------------------ one measured run

    private Result run(String name, Migration migration) throws Exception {
        Load app = new Load();
        app.start();
        Thread.sleep(WARMUP.plus(BASELINE).toMillis());
        // The report: ACCESS SHARE on orders in an open transaction, for readerSeconds.
        AtomicReference<Throwable> readerError = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try (Connection c = connect("analytics-report")) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.executeQuery("SELECT count(*) FROM orders").close();
                    s.execute("SELECT pg_sleep(" + readerSeconds + ")");
                }
                c.commit();
            } catch (Throwable e) {
                readerError.set(e);
            }
        }, "reader");
        reader.start();
        Thread.sleep(200);
        long migStart = System.nanoTime();
        String outcome;
        try {
            outcome = migration.run();
        } catch (Exception e) {
            outcome = "error: " + e;
        }
        long migEnd = System.nanoTime();
        Thread.sleep(TAIL.toMillis());
        app.stop();
        reader.join();
        if (readerError.get() != null) {
            throw new IllegalStateException("reader failed", readerError.get());
        }
        long baseFrom = migStart - BASELINE.toNanos() - Duration.ofMillis(200).toNanos();
        Stats baseline = Stats.of(app.latencies(baseFrom, migStart - Duration.ofMillis(200).toNanos()));
        Stats window = Stats.of(app.latencies(migStart, migEnd));
        Result r = new Result(name, baseline, window, (migEnd - migStart) / 1e9, outcome, app.errors.get());
        System.out.printf(Locale.ROOT, "%s: %s in %.1f s; baseline %s; window %s; errors %d%n", name, outcome,
                r.migrationSeconds(), baseline, window, r.errors());
        return r;
    }

    /**
     * Fixed-rate load: transaction i is due at start + i/rate; a worker takes the next ticket, waits for its due time
     * and records (due time, latency from the due time).
     */
    private final class Load {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong ticket = new AtomicLong();
        private final AtomicLong errors = new AtomicLong();
        private final List<long[]> samples = new ArrayList<>(); // {due, latency}
        private final List<Thread> workers = new ArrayList<>();
        private long start;

        void start() {
            start = System.nanoTime() + 50_000_000L;
            long interval = 1_000_000_000L / rate;
            for (int w = 0; w < connections; w++) {
                Thread t = new Thread(() -> {
                    SplittableRandom random = new SplittableRandom();
                    List<long[]> mine = new ArrayList<>();
                    try (Connection c = connect("shop-app");
                            PreparedStatement sel = c.prepareStatement("SELECT amount FROM orders WHERE id = ?");
                            PreparedStatement upd = c.prepareStatement(
                                    "UPDATE orders SET amount = amount + 1 WHERE id = ?")) {
                        while (running.get()) {
                            long i = ticket.getAndIncrement();
                            long due = start + i * interval;
                            long now;
                            while ((now = System.nanoTime()) < due) {
                                LockSupport.parkNanos(due - now);
                            }
                            long id = random.nextLong(1, rows + 1);
                            try {
                                sel.setLong(1, id);
                                try (ResultSet rs = sel.executeQuery()) {
                                    rs.next();
                                }
                                if (i % 5 == 0) {
                                    upd.setLong(1, id);
                                    upd.executeUpdate();
                                }
                            } catch (SQLException e) {
                                errors.incrementAndGet();
                            }
                            mine.add(new long[] {due, System.nanoTime() - due});
                        }
                    } catch (SQLException e) {
                        errors.incrementAndGet();
                    }
                    synchronized (samples) {
                        samples.addAll(mine);
                    }
                }, "app-" + w);
                t.start();
                workers.add(t);
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : workers) {
                t.join();
            }
        }

        /** Latencies of transactions due in [from, to). */
        long[] latencies(long from, long to) {
            synchronized (samples) {
                return samples.stream().filter(s -> s[0] >= from && s[0] < to).mapToLong(s -> s[1]).toArray();
            }
        }
    }

    // ------------------------------------------------------------------ report

    private String report(List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%nIncident replay, %s: %d rows, %d tx/s over %d connections, report holds"
                + " ACCESS SHARE on orders for %d s; latency from the scheduled start, ms%n%n", LocalDate.now(), rows,
                rate, connections, readerSeconds));
        b.append("| run | outcome | migration s | baseline p50 / p99 / max | window n | window p50 | window p99"
                + " | window max | errors |\n");
        b.append("|---|---|---:|---|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f / %.1f / %.1f | %d | %.1f | %.1f | %.1f | %d |%n",
                    r.name(), r.outcome(), r.migrationSeconds(), r.baseline().p50(), r.baseline().p99(),
                    r.baseline().max(), r.window().n(), r.window().p50(), r.window().p99(), r.window().max(),
                    r.errors()));
        }
        return b.toString();
    }
}
