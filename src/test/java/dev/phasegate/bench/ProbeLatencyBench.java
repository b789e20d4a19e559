package dev.phasegate.bench;

import dev.phasegate.engine.HealthSnapshot;
import dev.phasegate.postgres.ConnectionSettings;
import dev.phasegate.postgres.HealthProbe;
import dev.phasegate.postgres.SessionSettings;
import dev.phasegate.postgres.Sessions;
import dev.phasegate.testing.PostgresCluster;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Latency of one {@link HealthProbe} call (one statement, one round trip, client side included) on a throw-away
 * PostgreSQL: idle, with 200 extra idle sessions, and with 200 extra sessions of which 20 hold a transaction open on
 * the migration's table. Goal: median at most 5 ms on an idle database.
 *
 * <p>Run: {@code mvn -B -q test-compile -Dquarkus.build.skip=true && mvn -B -q exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.phasegate.bench.ProbeLatencyBench} (optional argument: calls per scenario, default 1000).
 */
public final class ProbeLatencyBench {

    private static final int WARMUP = 100;
    private static final int EXTRA_SESSIONS = 200;
    private static final String PASSWORD = "bench-pw";

    private ProbeLatencyBench() {
    }

    public static void main(String[] args) throws Exception {
        Class.forName("org.postgresql.Driver");
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        List<String> rows = new ArrayList<>();
        try (PostgresCluster cluster = PostgresCluster.builder().maxConnections(260).start()) {
            cluster.createRole("bench_monitor", PASSWORD, true);
            cluster.createRole("bench_app", PASSWORD, false);
            try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text)");
                s.execute("INSERT INTO orders SELECT g, 'new' FROM generate_series(1, 10000) g");
                s.execute("GRANT SELECT ON orders TO bench_app");
            }
            ConnectionSettings monitor = new ConnectionSettings(cluster.jdbcUrl("postgres"), "bench_monitor", PASSWORD);
            SessionSettings session = new SessionSettings("phasegate/bench", Duration.ofSeconds(1),
                    Duration.ofSeconds(10), Duration.ofSeconds(10));
            HealthProbe probe = new HealthProbe();
            List<Connection> extra = new ArrayList<>();
            try (Connection p = Sessions.open(monitor, session)) {
                rows.add(measure("idle database", probe, p, calls));

                for (int i = 0; i < EXTRA_SESSIONS; i++) {
                    extra.add(cluster.connect("postgres", "bench_app", PASSWORD));
                }
                rows.add(measure(EXTRA_SESSIONS + " extra idle sessions", probe, p, calls));

                for (int i = 0; i < 20; i++) {
                    Connection c = extra.get(i);
                    c.setAutoCommit(false);
                    try (Statement s = c.createStatement()) {
                        s.execute("SELECT count(*) FROM orders");
                    }
                }
                rows.add(measure(EXTRA_SESSIONS + " extra sessions, 20 idle in transaction on orders", probe, p,
                        calls));
            } finally {
                for (Connection c : extra) {
                    c.close();
                }
            }
            System.out.println();
            System.out.println("HealthProbe latency, PostgreSQL " + PostgresCluster.majorVersion() + ", "
                    + Runtime.getRuntime().availableProcessors() + " cores, max_connections 260, " + calls
                    + " calls per row after " + WARMUP + " warm-up calls (tables: orders)");
            System.out.println();
            System.out.println("| scenario | client backends | median | p99 | max |");
            System.out.println("|---|---:|---:|---:|---:|");
            rows.forEach(System.out::println);
        }
    }

    private static String measure(String scenario, HealthProbe probe, Connection c, int calls) throws SQLException {
        List<String> tables = List.of("orders");
        HealthSnapshot last = null;
        for (int i = 0; i < WARMUP; i++) {
            last = probe.probe(c, "phasegate/", tables);
        }
        long[] nanos = new long[calls];
        for (int i = 0; i < calls; i++) {
            long t0 = System.nanoTime();
            last = probe.probe(c, "phasegate/", tables);
            nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        return String.format(Locale.ROOT, "| %s | %d | %.2f ms | %.2f ms | %.2f ms |", scenario,
                last.connectionsUsed(), millis(percentile(nanos, 0.50)), millis(percentile(nanos, 0.99)),
                millis(nanos[nanos.length - 1]));
    }

    private static long percentile(long[] sorted, double q) {
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static double millis(long nanos) {
        return nanos / 1_000_000.0;
    }
}
