package dev.phasegate.bench;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.Durations;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.Backfiller;
import dev.phasegate.postgres.ConnectionSettings;
import dev.phasegate.postgres.LockPolicy;
import dev.phasegate.postgres.SessionSettings;
import dev.phasegate.postgres.StepControl;
import dev.phasegate.testing.PostgresCluster;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.imageio.ImageIO;

/**
 * Backfill benchmark: one single-statement UPDATE of all rows versus the {@link Backfiller}, each without and with a
 * fixed-rate application load (point SELECT, 20 % also UPDATE of the same row, latency counted from the scheduled
 * start so queueing behind a lock is not hidden: no coordinated omission). Prints a Markdown table and writes a PNG
 * of application latency over time.
 *
 * <p>Each round runs, on a quiet database and under the load: the single UPDATE, the unpaced Backfiller
 * ({@code pauseBetweenBatches: 0s}) and the default, adaptive pacing; then any fixed target/pause settings under
 * load. Several rounds ({@code -Dbench.runs}, default 3) give a median and a spread; a second PNG plots the
 * adaptive runs' pause next to the application's latency.
 *
 * <p>Run: {@code mvn -q test-compile -Dquarkus.build.skip=true && mvn -q exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.phasegate.bench.BackfillBench [-Dbench.runs=3] [-Dbench.baselineSeconds=10]
 * [-Dexec.args="rows rate connections out.png target/pause..."]}; each target/pause (default none) adds a fixed
 * paced backfill run under load.
 */
public final class BackfillBench {

    private static final Duration BASELINE = Duration.ofSeconds(Long.getLong("bench.baselineSeconds", 10));
    private static final int RUNS = Integer.getInteger("bench.runs", 3);
    private static final String ADAPTIVE = "adaptive";
    private static final Duration WARMUP = Duration.ofSeconds(2);
    private static final Duration TAIL = Duration.ofSeconds(2);

    private final PostgresCluster cluster;
    private final String database;
    private final int rows;
    private final int rate;
    private final int connections;

    private BackfillBench(PostgresCluster cluster, String database, int rows, int rate, int connections) {
        this.cluster = cluster;
        this.database = database;
        this.rows = rows;
        this.rate = rate;
        this.connections = connections;
    }

    /** One measured migration. */
    record Result(String name, boolean load, long rowsUpdated, double seconds, List<Long> batchNanos, int batches,
            Stats baseline, Stats window, Load.Samples samples, long migStart, long migEnd, long errors,
            List<long[]> pauses) {
        double rowsPerSecond() {
            return rowsUpdated / seconds;
        }

        boolean adaptive() {
            return name.contains(ADAPTIVE);
        }

        /** The application's goal: p99 within max(1.25 x baseline p99, baseline p99 + 10 ms). */
        double goalMs() {
            return Math.max(1.25 * baseline.p99(), baseline.p99() + 10);
        }
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

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        int rows = args.length > 0 && !args[0].isBlank() ? Integer.parseInt(args[0]) : 2_000_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int conns = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        Path png = Path.of(args.length > 3 ? args[3] : "target/bench/backfill-latency.png");
        // paced runs under load, as targetBatchDuration/pauseBetweenBatches
        List<String> pacedConfigs = args.length > 4 ? List.of(args).subList(4, args.length) : List.of();
        try (PostgresCluster cluster = PostgresCluster.builder()
                .setting("shared_buffers", "512MB")
                .setting("max_wal_size", "8GB")
                .setting("checkpoint_timeout", "30min")
                .setting("work_mem", "16MB")
                .start()) {
            cluster.createDatabase("bench");
            BackfillBench bench = new BackfillBench(cluster, "bench", rows, rate, conns);
            List<List<Result>> rounds = new ArrayList<>();
            for (int round = 1; round <= RUNS; round++) {
                log("round " + round + "/" + RUNS);
                List<Result> results = new ArrayList<>();
                for (boolean load : new boolean[] {false, true}) {
                    results.add(bench.singleUpdate(load));
                    results.add(bench.backfill(load, "200ms", "0s"));
                    results.add(bench.backfill(load, "200ms", null));
                }
                for (String paced : pacedConfigs) {
                    String[] tp = paced.split("/");
                    results.add(bench.backfill(true, tp[0], tp[1]));
                }
                System.out.println(report(results, rows, rate, conns, cpuInfo()));
                rounds.add(results);
            }
            System.out.println(summary(rounds));
            Files.createDirectories(png.toAbsolutePath().getParent());
            List<Result> last = rounds.get(rounds.size() - 1);
            plot(last.stream().filter(Result::load).toList(), png);
            Path pacePng = png.resolveSibling("backfill-pacing.png");
            plot(last.stream().filter(Result::adaptive).toList(), pacePng);
            System.out.println("\nPlots: " + png.toAbsolutePath() + ", " + pacePng.toAbsolutePath());
        }
    }

    // ------------------------------------------------------------------ runs

    private void load(String table) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
            s.execute("CREATE TABLE " + table + " (id bigint NOT NULL, a int NOT NULL, b int, pad text NOT NULL)");
            s.execute("INSERT INTO " + table + " SELECT g, g % 100000, NULL, md5(g::text) FROM generate_series(1, "
                    + rows + ") g");
            s.execute("SET maintenance_work_mem = '256MB'");
            s.execute("ALTER TABLE " + table + " ADD PRIMARY KEY (id)");
            s.execute("VACUUM ANALYZE " + table);
            s.execute("CHECKPOINT");
        }
    }

    private Result singleUpdate(boolean withLoad) throws Exception {
        load("t");
        String name = "single UPDATE" + (withLoad ? ", app load" : "");
        log("run: " + name);
        try (Load app = withLoad ? new Load(this, rate, connections, rows) : null) {
            if (app != null) {
                app.start();
                sleep(BASELINE);
            }
            long t0 = System.nanoTime();
            long n;
            try (Connection c = connect(); Statement s = c.createStatement()) {
                n = s.executeLargeUpdate("UPDATE t SET b = a * 2 WHERE b IS NULL");
            }
            long t1 = System.nanoTime();
            return finish(name, app, n, t0, t1, List.of(), 1, List.of());
        }
    }

    private Result backfill(boolean withLoad, String target, String pause) throws Exception {
        load("t");
        String name = "Backfiller" + (pause == null ? " (" + ADAPTIVE + ")"
                : pause.equals("0s") && target.equals("200ms") ? " (unpaced)"
                : " (target " + target + ", pause " + pause + ")") + (withLoad ? ", app load" : "");
        log("run: " + name);
        BackfillSpec spec = new BackfillSpec();
        spec.table = "t";
        spec.keyColumn = "id";
        spec.set = "b = a * 2";
        spec.where = "b IS NULL";
        spec.pauseBetweenBatches = pause;
        spec.targetBatchDuration = target;
        List<Long> batchNanos = new CopyOnWriteArrayList<>();
        List<long[]> pauses = new CopyOnWriteArrayList<>();
        AtomicLong updated = new AtomicLong();
        // Why the adaptive pacing slowed down, each reason once, to read next to the figures.
        Set<String> slowdowns = Collections.synchronizedSet(new LinkedHashSet<>());
        Backfiller.Listener listener = new Backfiller.Listener() {
            @Override
            public void progress(StepObservation.Running running, BackfillStatus progress) {
                updated.set(progress.rowsDone);
                if (progress.pacing != null && (progress.pacing.contains("slowed to")
                        || progress.pacing.contains("shortened to"))) {
                    slowdowns.add(progress.pacing);
                }
                if (progress.pause != null) {
                    pauses.add(new long[] {System.nanoTime(), Durations.parse(progress.pause).toNanos()});
                }
            }

            @Override
            public void batch(Backfiller.Batch batch) {
                batchNanos.add(batch.took().toNanos());
            }
        };
        LockPolicy locks = LockPolicy.from(null);
        Backfiller.BackfillRequest req = new Backfiller.BackfillRequest("bench-" + System.nanoTime(), "bench/t-" + System.nanoTime(),
                () -> spec, new ConnectionSettings(cluster.jdbcUrl(database), cluster.superuser(),
                        cluster.superuserPassword()),
                SessionSettings.forMigration("bench", "t", locks.lockTimeout(), locks.statementTimeout()), locks);
        try (Load app = withLoad ? new Load(this, rate, connections, rows) : null) {
            if (app != null) {
                app.start();
                sleep(BASELINE);
            }
            long t0 = System.nanoTime();
            StepObservation r = new Backfiller(Backfiller.Options.defaults().withReportEvery(Duration.ofMillis(100)))
                    .run(req, listener, new StepControl(), HealthGate::opened);
            long t1 = System.nanoTime();
            if (!(r instanceof StepObservation.Completed)) {
                throw new IllegalStateException(name + " did not complete: " + r);
            }
            synchronized (slowdowns) {
                slowdowns.stream().limit(12).forEach(why -> log("  pacing: " + why));
                if (slowdowns.size() > 12) {
                    log("  pacing: ... " + (slowdowns.size() - 12) + " more");
                }
            }
            return finish(name, app, updated.get(), t0, t1, batchNanos, batchNanos.size(), pauses);
        }
    }

    private Result finish(String name, Load app, long n, long t0, long t1, List<Long> batchNanos, int batches,
            List<long[]> pauses) throws SQLException, InterruptedException {
        try (Connection c = connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM t WHERE b IS NULL")) {
            rs.next();
            if (rs.getLong(1) != 0) {
                throw new IllegalStateException(name + " left " + rs.getLong(1) + " rows");
            }
        }
        Stats baseline = null;
        Stats window = null;
        Load.Samples samples = null;
        long errors = 0;
        if (app != null) {
            sleep(TAIL);
            app.stopNow();
            samples = app.samples();
            baseline = Stats.of(samples.latenciesScheduledIn(app.t0 + WARMUP.toNanos(), t0));
            window = Stats.of(samples.latenciesScheduledIn(t0, t1));
            errors = app.errors.get();
        }
        Result r = new Result(name, app != null, n, (t1 - t0) / 1e9, batchNanos, batches, baseline, window, samples,
                t0, t1, errors, pauses);
        log(String.format(Locale.ROOT, "  %,d rows in %.2f s = %,.0f rows/s%s", n, r.seconds(), r.rowsPerSecond(),
                window == null ? "" : String.format(Locale.ROOT, "; app p99 %.2f ms (baseline %.2f ms)", window.p99(),
                        baseline.p99())));
        return r;
    }

    Connection connect() throws SQLException {
        return cluster.connect(database);
    }

    // ------------------------------------------------------------------ load generator

    /** Fixed-rate app load: each connection owns every k-th slot of the schedule; latency from scheduled start. */
    static final class Load implements AutoCloseable {
        final long t0Offset = Duration.ofMillis(200).toNanos();
        final AtomicLong errors = new AtomicLong();
        private final BackfillBench bench;
        private final int rate;
        private final int conns;
        private final int ids;
        private final List<Thread> threads = new ArrayList<>();
        private final List<long[][]> perWorker = new ArrayList<>();
        private final int[] counts;
        private volatile boolean stop;
        long t0;

        Load(BackfillBench bench, int rate, int conns, int ids) {
            this.bench = bench;
            this.rate = rate;
            this.conns = conns;
            this.ids = ids;
            this.counts = new int[conns];
        }

        void start() throws SQLException {
            List<Connection> cs = new ArrayList<>();
            for (int k = 0; k < conns; k++) {
                Connection c = bench.connect();
                try (Statement s = c.createStatement()) {
                    s.execute("SET application_name = 'bench-app'");
                }
                cs.add(c);
            }
            t0 = System.nanoTime() + t0Offset;
            long interval = (long) (1e9 * conns / rate);
            for (int k = 0; k < conns; k++) {
                int worker = k;
                Connection c = cs.get(k);
                long[][] store = new long[][] {new long[1 << 16], new long[1 << 16]};
                perWorker.add(store);
                Thread t = new Thread(() -> run(worker, c, t0 + worker * (long) (1e9 / rate), interval), "app-" + k);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        private void run(int worker, Connection c, long first, long interval) {
            SplittableRandom r = new SplittableRandom(worker * 7919L + 1);
            try (c; PreparedStatement select = c.prepareStatement("SELECT a, b FROM t WHERE id = ?");
                    PreparedStatement update = c.prepareStatement(
                            "UPDATE t SET a = a + 1, b = (a + 1) * 2 WHERE id = ?")) {
                long next = first;
                while (!stop) {
                    long now;
                    while ((now = System.nanoTime()) < next) {
                        LockSupport.parkNanos(next - now);
                        if (stop) {
                            return;
                        }
                    }
                    long id = 1 + r.nextInt(ids);
                    boolean write = r.nextInt(5) == 0;
                    try {
                        if (write) {
                            c.setAutoCommit(false);
                        }
                        select.setLong(1, id);
                        try (ResultSet rs = select.executeQuery()) {
                            rs.next();
                        }
                        if (write) {
                            update.setLong(1, id);
                            update.executeUpdate();
                            c.commit();
                        }
                    } catch (SQLException e) {
                        errors.incrementAndGet();
                        try {
                            c.rollback();
                        } catch (SQLException ignored) {
                            // reported as an error above
                        }
                    } finally {
                        if (write) {
                            try {
                                c.setAutoCommit(true);
                            } catch (SQLException ignored) {
                                // next transaction reports it
                            }
                        }
                    }
                    record(worker, next, System.nanoTime() - next);
                    next += interval;
                }
            } catch (SQLException e) {
                errors.incrementAndGet();
            }
        }

        private void record(int worker, long scheduled, long latency) {
            long[][] s = perWorker.get(worker);
            int n = counts[worker];
            if (n == s[0].length) {
                s[0] = Arrays.copyOf(s[0], n * 2);
                s[1] = Arrays.copyOf(s[1], n * 2);
            }
            s[0][n] = scheduled;
            s[1][n] = latency;
            counts[worker] = n + 1;
        }

        void stopNow() {
            stop = true;
            for (Thread t : threads) {
                try {
                    t.join(30_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        Samples samples() {
            int total = Arrays.stream(counts).sum();
            long[] sched = new long[total];
            long[] lat = new long[total];
            int i = 0;
            for (int k = 0; k < conns; k++) {
                System.arraycopy(perWorker.get(k)[0], 0, sched, i, counts[k]);
                System.arraycopy(perWorker.get(k)[1], 0, lat, i, counts[k]);
                i += counts[k];
            }
            return new Samples(t0, sched, lat);
        }

        @Override
        public void close() {
            stopNow();
        }

        /** Every transaction's scheduled start and latency, in nanos. */
        record Samples(long t0, long[] scheduled, long[] latency) {
            long[] latenciesScheduledIn(long from, long to) {
                return java.util.stream.IntStream.range(0, scheduled.length)
                        .filter(i -> scheduled[i] >= from && scheduled[i] <= to)
                        .mapToLong(i -> latency[i]).toArray();
            }
        }
    }

    // ------------------------------------------------------------------ report

    static String report(List<Result> results, int rows, int rate, int conns, String cpu) {
        double single = results.stream().filter(r -> !r.load() && r.name().startsWith("single")).findFirst()
                .map(Result::rowsPerSecond).orElse(Double.NaN);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%n## Backfill benchmark: %,d rows, app load %d tx/s over %d connections"
                + " (point SELECT, 20%% + UPDATE), PostgreSQL %d, %s%n%n", rows, rate, conns,
                PostgresCluster.majorVersion(), cpu));
        b.append("| Run | Wall | Rows/s | vs single UPDATE | Batches | Batch p50 | Batch p99 | Batch max"
                + " | App p50 base → run | App p99 base → run | App max base → run | App errors |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Result r : results) {
            Stats bs = r.batchNanos().isEmpty() ? null
                    : Stats.of(r.batchNanos().stream().mapToLong(Long::longValue).toArray());
            b.append(String.format(Locale.ROOT, "| %s | %.1f s | %,.0f | %.2f× | %d | %s | %s | %s | %s | %s | %s | %s |%n",
                    r.name(), r.seconds(), r.rowsPerSecond(), r.rowsPerSecond() / single, r.batches(),
                    bs == null ? "–" : ms(bs.p50()), bs == null ? "–" : ms(bs.p99()), bs == null ? "–" : ms(bs.max()),
                    r.window() == null ? "–" : ms(r.baseline().p50()) + " → " + ms(r.window().p50()),
                    r.window() == null ? "–" : ms(r.baseline().p99()) + " → " + ms(r.window().p99()),
                    r.window() == null ? "–" : ms(r.baseline().max()) + " → " + ms(r.window().max()),
                    r.window() == null ? "–" : Long.toString(r.errors())));
        }
        b.append("\nGoals:\n");
        for (Result r : results) {
            if (!r.name().startsWith("Backfiller")) {
                continue;
            }
            Stats bs = Stats.of(r.batchNanos().stream().mapToLong(Long::longValue).toArray());
            b.append(String.format(Locale.ROOT, "- %s: batch p99 %s ≤ 1 s: %s", r.name(), ms(bs.p99()),
                    bs.p99() <= 1000 ? "PASS" : "FAIL"));
            if (!r.load()) {
                double ratio = r.rowsPerSecond() / single;
                b.append(String.format(Locale.ROOT, "; throughput %.2f× single UPDATE ≥ 0.70×: %s", ratio,
                        ratio >= 0.7 ? "PASS" : "FAIL"));
            } else {
                double limit = r.goalMs();
                b.append(String.format(Locale.ROOT, "; app p99 %s ≤ max(1.25×%s, %s + 10 ms) = %s: %s",
                        ms(r.window().p99()), ms(r.baseline().p99()), ms(r.baseline().p99()), ms(limit),
                        r.window().p99() <= limit ? "PASS" : "FAIL"));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** Median and spread over the rounds, and the goals for the adaptive default. */
    static String summary(List<List<Result>> rounds) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%n## Summary over %d round(s): median"
                + " (min–max)%n%n| Run | Rows/s vs single UPDATE | vs unpaced Backfiller | App p99 | App p99 goal"
                + " | Goal met |%n|---|---|---|---|---|---|%n", rounds.size()));
        for (int i = 0; i < rounds.get(0).size(); i++) {
            int at = i;
            List<Result> same = rounds.stream().map(r -> r.get(at)).toList();
            double[] vsSingle = new double[same.size()];
            double[] vsUnpaced = new double[same.size()];
            double[] p99 = new double[same.size()];
            double[] goal = new double[same.size()];
            int met = 0;
            for (int k = 0; k < same.size(); k++) {
                Result r = same.get(k);
                List<Result> round = rounds.get(k);
                vsSingle[k] = r.rowsPerSecond() / round.get(0).rowsPerSecond();
                vsUnpaced[k] = r.rowsPerSecond() / round.stream().filter(x -> x.load() == r.load()
                        && x.name().contains("unpaced")).findFirst().map(Result::rowsPerSecond).orElse(Double.NaN);
                p99[k] = r.window() == null ? Double.NaN : r.window().p99();
                goal[k] = r.window() == null ? Double.NaN : r.goalMs();
                met += r.window() != null && p99[k] <= goal[k] ? 1 : 0;
            }
            boolean load = same.get(0).load();
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", same.get(0).name(),
                    spread(vsSingle, "%.2f×"), same.get(0).name().startsWith("single") ? "–"
                            : spread(vsUnpaced, "%.2f×"), load ? spread(p99, "%.2f ms") : "–",
                    load ? spread(goal, "%.2f ms") : "–", load ? met + "/" + same.size() : "–"));
        }
        return b.toString();
    }

    /** {@code 0.71× (0.65×–0.74×)}. */
    private static String spread(double[] values, String format) {
        double[] v = values.clone();
        Arrays.sort(v);
        double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return String.format(Locale.ROOT, format + " (" + format + "–" + format + ")", median, v[0],
                v[v.length - 1]);
    }

    private static String ms(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f ms", v) : String.format(Locale.ROOT, "%.2f ms", v);
    }

    private static String cpuInfo() {
        String load = "";
        try {
            load = ", load average at end " + Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception ignored) {
            // not Linux
        }
        return Runtime.getRuntime().availableProcessors() + " CPUs" + load;
    }

    // ------------------------------------------------------------------ plot

    static void plot(List<Result> runs, Path file) throws Exception {
        int w = 1400;
        int panelH = 320;
        int left = 70;
        int right = 20;
        int top = 30;
        int bottom = 40;
        BufferedImage img = new BufferedImage(w, panelH * runs.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        double logMin = Math.log10(0.05);
        double logMax = Math.log10(20_000);
        for (int p = 0; p < runs.size(); p++) {
            Result r = runs.get(p);
            // A quiet run has no application samples: its panel shows the pause alone.
            Load.Samples s = r.samples() != null ? r.samples()
                    : new Load.Samples(r.migStart(), new long[] {r.migEnd()}, new long[] {0});
            int y0 = p * panelH;
            int plotW = w - left - right;
            int plotH = panelH - top - bottom;
            long start = s.t0();
            long end = Arrays.stream(s.scheduled()).max().orElse(start + 1);
            double span = Math.max(1, end - start);
            java.util.function.DoubleUnaryOperator xOf = t -> left + (t - start) / span * plotW;
            java.util.function.DoubleUnaryOperator yOf = msv -> y0 + top + plotH
                    - (Math.log10(Math.max(msv, 0.05)) - logMin) / (logMax - logMin) * plotH;
            g.setColor(new Color(255, 225, 225));
            int mx0 = (int) xOf.applyAsDouble(r.migStart());
            int mx1 = (int) xOf.applyAsDouble(r.migEnd());
            g.fillRect(mx0, y0 + top, Math.max(1, mx1 - mx0), plotH);
            g.setColor(new Color(225, 225, 225));
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            for (double v : new double[] {0.1, 1, 10, 100, 1000, 10000}) {
                int y = (int) yOf.applyAsDouble(v);
                g.setColor(new Color(225, 225, 225));
                g.drawLine(left, y, left + plotW, y);
                g.setColor(Color.DARK_GRAY);
                g.drawString(v < 1 ? "0.1 ms" : v >= 1000 ? (int) (v / 1000) + " s" : (int) v + " ms", 8, y + 4);
            }
            for (int sec = 0; sec <= span / 1e9; sec += 5) {
                int x = (int) xOf.applyAsDouble(start + sec * 1e9);
                g.setColor(Color.DARK_GRAY);
                g.drawLine(x, y0 + top + plotH, x, y0 + top + plotH + 4);
                g.drawString(sec + " s", x - 8, y0 + top + plotH + 18);
            }
            g.setColor(new Color(40, 90, 170, 90));
            for (int i = 0; i < s.scheduled().length; i++) {
                int x = (int) xOf.applyAsDouble(s.scheduled()[i]);
                int y = (int) yOf.applyAsDouble(s.latency()[i] / 1e6);
                g.fillRect(x, y, 2, 2);
            }
            // p99 per second
            g.setColor(new Color(200, 30, 30));
            g.setStroke(new BasicStroke(2f));
            int prevX = -1;
            int prevY = -1;
            for (long sec = 0; sec <= span / 1e9; sec++) {
                long a = start + sec * 1_000_000_000L;
                Stats st = Stats.of(s.latenciesScheduledIn(a, a + 1_000_000_000L));
                if (st.n() == 0) {
                    continue;
                }
                int x = (int) xOf.applyAsDouble(a + 500_000_000L);
                int y = (int) yOf.applyAsDouble(st.p99());
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, x, y);
                }
                prevX = x;
                prevY = y;
            }
            // the pause between batches the pacing chose, on the same millisecond axis
            g.setColor(new Color(20, 140, 60));
            prevX = -1;
            for (long[] pause : r.pauses()) {
                int x = (int) xOf.applyAsDouble(pause[0]);
                int y = (int) yOf.applyAsDouble(pause[1] / 1e6);
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, x, prevY);
                    g.drawLine(x, prevY, x, y);
                }
                prevX = x;
                prevY = y;
            }
            g.setStroke(new BasicStroke(1f));
            g.setColor(Color.BLACK);
            g.drawRect(left, y0 + top, plotW, plotH);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.drawString(String.format(Locale.ROOT, "%s: %,.0f rows/s; app p99 %s (baseline %s), max %s"
                    + "   [dots: each transaction, red: p99 per second, green: pause, shaded: migration]",
                    r.name(), r.rowsPerSecond(), r.window() == null ? "–" : ms(r.window().p99()),
                    r.baseline() == null ? "–" : ms(r.baseline().p99()), r.window() == null ? "–"
                            : ms(r.window().max())),
                    left, y0 + 20);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    // ------------------------------------------------------------------ misc

    private static void sleep(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    private static void log(String s) {
        System.err.println("[bench] " + s);
    }
}
