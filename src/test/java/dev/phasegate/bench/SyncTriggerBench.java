package dev.phasegate.bench;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.postgres.SyncTrigger;
import dev.phasegate.testing.PostgresCluster;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Write overhead of the sync trigger ({@code spec.backfill.sync: Trigger}): single-row autocommit UPDATEs of the old
 * column (what old code does during the rollout) and INSERTs, without and with the trigger, in alternating rounds so
 * that drift of a shared machine hits both sides alike.
 *
 * <p>Run: {@code mvn -B -q test-compile -Dquarkus.build.skip=true && mvn -B -q exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.phasegate.bench.SyncTriggerBench} (optional argument: statements per round, default 5000).
 */
public final class SyncTriggerBench {
    private static final int ROWS = 100_000;
    private static final int ROUNDS = 3;
    private static final String SET = "status_v2 = CASE status WHEN 0 THEN 'new' WHEN 1 THEN 'paid'"
            + " WHEN 2 THEN 'shipped' ELSE 'closed' END";

    private SyncTriggerBench() {
    }

    public static void main(String[] args) throws Exception {
        Class.forName("org.postgresql.Driver");
        int perRound = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        BackfillSpec spec = new BackfillSpec();
        spec.table = "orders";
        spec.keyColumn = "id";
        spec.set = SET;
        spec.where = "status_v2 IS NULL";
        try (PostgresCluster cluster = PostgresCluster.builder().start();
                Connection c = cluster.connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status int NOT NULL, note text, status_v2 text)");
            s.execute("INSERT INTO orders SELECT g, g % 4, 'order ' || g, NULL FROM generate_series(1, " + ROWS
                    + ") g");
            s.execute("VACUUM ANALYZE orders");
            List<long[]> updatesWithout = new ArrayList<>();
            List<long[]> updatesWith = new ArrayList<>();
            List<long[]> insertsWithout = new ArrayList<>();
            List<long[]> insertsWith = new ArrayList<>();
            long nextId = ROWS + 1;
            run(c, perRound / 5, false, nextId); // warm-up
            nextId += perRound / 5;
            for (int round = 0; round < ROUNDS; round++) {
                updatesWithout.add(run(c, perRound, false, 0));
                insertsWithout.add(run(c, perRound, true, nextId));
                nextId += perRound;
                s.execute(SyncTrigger.createSql(spec));
                updatesWith.add(run(c, perRound, false, 0));
                insertsWith.add(run(c, perRound, true, nextId));
                nextId += perRound;
                s.execute(SyncTrigger.dropSql(spec));
            }
            System.out.println();
            System.out.println("Sync trigger write overhead, PostgreSQL " + PostgresCluster.majorVersion() + ", "
                    + Runtime.getRuntime().availableProcessors() + " cores, " + ROWS + " rows, " + ROUNDS
                    + " alternating rounds of " + perRound + " autocommit statements from one session; set: " + SET);
            System.out.println();
            System.out.println("| statement | trigger | statements/s | median | p99 |");
            System.out.println("|---|---|---:|---:|---:|");
            System.out.println(row("UPDATE orders SET status = ? WHERE id = ?", "none", updatesWithout));
            System.out.println(row("UPDATE orders SET status = ? WHERE id = ?", "sync", updatesWith));
            System.out.println(row("INSERT INTO orders (id, status, note)", "none", insertsWithout));
            System.out.println(row("INSERT INTO orders (id, status, note)", "sync", insertsWith));
        }
    }

    /** One round; returns each statement's latency in nanoseconds, the round's wall time last. */
    private static long[] run(Connection c, int n, boolean insert, long firstId) throws SQLException {
        String sql = insert ? "INSERT INTO orders (id, status, note) VALUES (?, ?, 'bench')"
                : "UPDATE orders SET status = ? WHERE id = ?";
        long[] out = new long[n + 1];
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                int status = ThreadLocalRandom.current().nextInt(4);
                if (insert) {
                    ps.setLong(1, firstId + i);
                    ps.setInt(2, status);
                } else {
                    ps.setInt(1, status);
                    ps.setLong(2, ThreadLocalRandom.current().nextLong(1, ROWS + 1));
                }
                long t0 = System.nanoTime();
                ps.executeUpdate();
                out[i] = System.nanoTime() - t0;
            }
            out[n] = System.nanoTime() - start;
        }
        return out;
    }

    private static String row(String statement, String trigger, List<long[]> rounds) {
        long wall = 0;
        int count = 0;
        List<Long> all = new ArrayList<>();
        for (long[] r : rounds) {
            wall += r[r.length - 1];
            count += r.length - 1;
            for (int i = 0; i < r.length - 1; i++) {
                all.add(r[i]);
            }
        }
        long[] sorted = all.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "| `%s` | %s | %,.0f | %.3f ms | %.3f ms |", statement, trigger,
                count / (wall / 1e9), pct(sorted, 0.5) / 1e6, pct(sorted, 0.99) / 1e6);
    }

    private static long pct(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
