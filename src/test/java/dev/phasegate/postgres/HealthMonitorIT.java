package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.HealthStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.postgres.HealthMonitor.Observed;
import dev.phasegate.testing.MutableClock;
import dev.phasegate.testing.BlackHoleProxy;
import dev.phasegate.testing.PostgresCluster;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The background monitor against a dedicated PostgreSQL that the tests may kill and freeze. */
class HealthMonitorIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final String KEY = "shop/orders-status-v2";
    private static final String PASSWORD = "monitor-pw";

    private static PostgresCluster cluster;
    private static ConnectionSettings monitorRole;

    @BeforeAll
    static void start() throws SQLException {
        cluster = PostgresCluster.builder().start();
        cluster.createRole("health_monitor", PASSWORD, true);
        try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY)");
        }
        monitorRole = new ConnectionSettings(cluster.jdbcUrl("postgres"), "health_monitor", PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void running() {
        cluster.start();
    }

    private static HealthSpec spec() {
        HealthSpec h = new HealthSpec();
        h.maxTransactionAge = "1h";
        h.maxIdleInTransaction = "1s";
        return h;
    }

    private static HealthMonitor.Options fast() {
        return HealthMonitor.Options.defaults().withInterval(Duration.ofMillis(300));
    }

    private static Observed awaitGate(HealthMonitor m, String what, java.util.function.Predicate<HealthGate> p) {
        return await(what).atMost(WAIT).pollInterval(POLL).until(() -> m.latest(KEY).orElseThrow(),
                o -> p.test(o.gate()));
    }

    private static long changesFor(List<String> changes) {
        return changes.stream().filter(KEY::equals).count();
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int probeSessions() throws SQLException {
        try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                        + HealthMonitor.APPLICATION_NAME + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void gateChangesCallOnChangeAndAKilledDatabaseIsProbeFailedUntilItReturns() throws Exception {
        List<String> changes = new CopyOnWriteArrayList<>();
        try (HealthMonitor m = new HealthMonitor(fast(), changes::add)) {
            assertThat(m.latest(KEY)).isEmpty();
            assertThat(m.gate(KEY).reason()).as("unwatched is never open").isEqualTo(Reason.ProbeFailed);
            m.watch(KEY, monitorRole, List.of(), List.of("orders"), spec(), false);
            Observed open = awaitGate(m, "first check opens", HealthGate::open);
            assertThat(open.snapshot()).isPresent();
            assertThat(open.toStatus().gate).isEqualTo("Open");
            await().atMost(WAIT).until(() -> changesFor(changes) >= 1);
            long beforeIdle = changesFor(changes);

            try (Connection idle = cluster.connect("postgres")) {
                exec(idle, "SET application_name = 'forgot-to-commit'");
                int idlePid = pid(idle);
                idle.setAutoCommit(false);
                exec(idle, "SELECT count(*) FROM orders");
                Observed closed = awaitGate(m, "idle in transaction closes",
                        g -> g.reason() == Reason.IdleInTransaction);
                assertThat(closed.blocker().map(b -> b.pid())).contains(idlePid);
                HealthStatus status = closed.toStatus();
                assertThat(status.gate).isEqualTo("IdleInTransaction");
                assertThat(status.blocker.pid).isEqualTo(idlePid);
                assertThat(status.blocker.applicationName).isEqualTo("forgot-to-commit");
                assertThat(status.checkedAt).isNotNull();
                await("onChange on close").atMost(WAIT).until(() -> changesFor(changes) > beforeIdle);
                // Two-stage: the breach is confirmed once a later check, at least an interval on, still fails.
                await("breach confirmed").atMost(WAIT).pollInterval(POLL)
                        .until(() -> m.latest(KEY).orElseThrow().breachConfirmed(Duration.ofMillis(300)));
                idle.commit();
            }
            long beforeOpen = changesFor(changes);
            Observed reopened = awaitGate(m, "commit reopens", HealthGate::open);
            assertThat(reopened.breach()).isEmpty();
            await("onChange on reopen").atMost(WAIT).until(() -> changesFor(changes) > beforeOpen);

            long beforeKill = changesFor(changes);
            cluster.kill();
            // A database that refuses connections keeps its own, actionable reason rather than a bare ProbeFailed.
            Observed down = awaitGate(m, "killed database closes", g -> g.reason() == Reason.DatabaseUnavailable);
            assertThat(down.gate().open()).isFalse();
            assertThat(down.gate().message()).contains("health probe", cluster.host() + ":" + cluster.port())
                    .doesNotContain(PASSWORD);
            assertThat(down.snapshot()).isEmpty();
            assertThat(down.toStatus().gate).isEqualTo("DatabaseUnavailable");
            await("onChange on failure").atMost(WAIT).until(() -> changesFor(changes) > beforeKill);

            cluster.start();
            awaitGate(m, "restarted database reopens", HealthGate::open);
        }
    }

    @Test
    void aStaleSnapshotIsProbeFailedNeverOpen() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-10T02:00:00Z"));
        HealthMonitor.Options options = HealthMonitor.Options.defaults().withInterval(Duration.ofSeconds(10))
                .withClock(clock);
        try (HealthMonitor m = new HealthMonitor(options, key -> { })) {
            m.watch(KEY, monitorRole, List.of(), List.of("orders"), spec(), false);
            Observed open = awaitGate(m, "first check opens", HealthGate::open);
            assertThat(open.checkedAt()).isEqualTo(clock.instant());
            clock.advance(Duration.ofSeconds(30));
            assertThat(m.latest(KEY).orElseThrow().gate().open()).as("exactly three intervals old is still fresh")
                    .isTrue();
            clock.advance(Duration.ofMillis(1));
            Observed stale = m.latest(KEY).orElseThrow();
            assertThat(stale.gate().open()).isFalse();
            assertThat(stale.gate().reason()).isEqualTo(Reason.ProbeFailed);
            assertThat(stale.gate().message()).contains("old (limit 30s)");
            assertThat(stale.blocker()).isEmpty();
            assertThat(stale.toStatus().gate).isEqualTo("ProbeFailed");
        }
    }

    @Test
    void aFrozenProbeGoesStaleAndTellsTheReconciler() throws Exception {
        List<String> changes = new CopyOnWriteArrayList<>();
        try (HealthMonitor m = new HealthMonitor(fast(), changes::add)) {
            m.watch(KEY, monitorRole, List.of(), List.of("orders"), spec(), false);
            awaitGate(m, "first check opens", HealthGate::open);
            int probePid;
            try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE application_name = '"
                            + HealthMonitor.APPLICATION_NAME + "'")) {
                assertThat(rs.next()).isTrue();
                probePid = rs.getInt(1);
            }
            long before = changesFor(changes);
            // A backend that stops answering: the probe thread hangs until its network timeout, the gate goes stale.
            signal("STOP", probePid);
            try {
                Observed stale = awaitGate(m, "stale while frozen", g -> !g.open());
                assertThat(stale.gate().reason()).isEqualTo(Reason.ProbeFailed);
                assertThat(stale.gate().message()).contains("old (limit 900ms)");
                await("sweeper calls onChange").atMost(WAIT).until(() -> changesFor(changes) > before);
            } finally {
                signal("CONT", probePid);
            }
            awaitGate(m, "thawed probe reopens", HealthGate::open);
        }
    }

    @Test
    void anUnreachableReplicaClosesTheGateNamingIt() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closedPort = s.getLocalPort();
        }
        ConnectionSettings gone = new ConnectionSettings("jdbc:postgresql://127.0.0.1:" + closedPort + "/postgres",
                "health_monitor", PASSWORD);
        try (HealthMonitor m = new HealthMonitor(fast(), key -> { })) {
            m.watch(KEY, new HealthMonitor.Target(monitorRole, List.of(new HealthMonitor.Replica("orders-db-replica",
                    gone)), List.of("orders"), spec(), false));
            Observed o = awaitGate(m, "replica probe fails", g -> g.reason() == Reason.ProbeFailed
                    && g.message().contains("orders-db-replica"));
            assertThat(o.gate().message()).contains("cannot measure the lag of replica orders-db-replica")
                    .doesNotContain(PASSWORD);
            // Dropping the replica from the target re-probes and opens.
            m.watch(KEY, monitorRole, List.of(), List.of("orders"), spec(), false);
            awaitGate(m, "without the replica", HealthGate::open);
        }
    }

    @Test
    void oneReusedSessionPerDatabaseClosedWhenForgotten() throws Exception {
        try (HealthMonitor m = new HealthMonitor(fast(), key -> { })) {
            m.watch(KEY, monitorRole, List.of(), List.of("orders"), spec(), false);
            m.watch("shop/other-migration", monitorRole, List.of(), List.of(), new HealthSpec(), true);
            awaitGate(m, "first check opens", HealthGate::open);
            await().atMost(WAIT).pollInterval(POLL).until(() -> m.latest("shop/other-migration").orElseThrow()
                    .gate().open());
            Thread.sleep(1000);
            assertThat(probeSessions()).as("two migrations, one database: one session").isEqualTo(1);
            int before = pidOfProbe();
            Thread.sleep(1000);
            assertThat(pidOfProbe()).as("the session is reused between probes").isEqualTo(before);
            m.forget(KEY);
            m.forget("shop/other-migration");
            assertThat(m.latest(KEY)).isEmpty();
            await("probe session closed").atMost(WAIT).pollInterval(POLL).until(() -> probeSessions() == 0);
        }
    }

    @Test
    void aBlackHoledDatabaseDoesNotDelayTheProbesOfAnother() throws Exception {
        String healthy = "shop/healthy";
        try (BlackHoleProxy proxy = new BlackHoleProxy(cluster.host(), cluster.port());
                HealthMonitor m = new HealthMonitor(fast(), key -> { })) {
            ConnectionSettings hung = new ConnectionSettings(proxy.jdbcUrl("postgres"), "health_monitor", PASSWORD);
            // Two migrations on the database about to hang (more than a small shared pool would survive), one on
            // a database that keeps answering.
            m.watch(KEY, hung, List.of(), List.of("orders"), spec(), false);
            m.watch("shop/hung-too", hung, List.of(), List.of("orders"), spec(), true);
            m.watch("shop/hung-three", hung, List.of(), List.of(), spec(), false);
            m.watch(healthy, monitorRole, List.of(), List.of("orders"), spec(), false);
            awaitGate(m, "first check through the proxy opens", HealthGate::open);
            await().atMost(WAIT).pollInterval(POLL).until(() -> m.latest(healthy).orElseThrow().gate().open());

            proxy.blackHole();
            List<Instant> seen = new CopyOnWriteArrayList<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
            while (System.nanoTime() < end) {
                Instant checked = m.latest(healthy).orElseThrow().checkedAt();
                if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(checked)) {
                    seen.add(checked);
                }
                assertThat(m.latest(healthy).orElseThrow().gate().open()).as("the healthy database's gate").isTrue();
                Thread.sleep(50);
            }
            // Probed every 300 ms; a wide bound, far below the hung probes' 5-10 s network and login timeouts.
            assertThat(seen).as("checks of the healthy database while the other hung").hasSizeGreaterThan(12);
            for (int i = 1; i < seen.size(); i++) {
                assertThat(Duration.between(seen.get(i - 1), seen.get(i))).as("gap between two checks")
                        .isLessThan(Duration.ofSeconds(3));
            }
            Observed hungGate = m.latest(KEY).orElseThrow();
            assertThat(hungGate.gate().open()).as("the hung database's gate closes (stale or failed)").isFalse();
        }
    }

    private static int pidOfProbe() throws SQLException {
        try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE application_name = '"
                        + HealthMonitor.APPLICATION_NAME + "'")) {
            return rs.next() ? rs.getInt(1) : -1;
        }
    }

    private static void signal(String sig, int pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, Integer.toString(pid)).redirectErrorStream(true).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kill -" + sig + " " + pid).isZero();
    }
}
