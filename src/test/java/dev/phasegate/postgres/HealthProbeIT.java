package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.HealthPolicy;
import dev.phasegate.engine.HealthPolicy.Assessment;
import dev.phasegate.engine.HealthSnapshot;
import dev.phasegate.engine.HealthSnapshot.Blocker;
import dev.phasegate.engine.HealthSnapshot.LagSource;
import dev.phasegate.engine.HealthSnapshot.Oldest;
import dev.phasegate.engine.HealthSnapshot.ReplicaLag;
import dev.phasegate.testing.PostgresCluster;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The health probe against a real PostgreSQL: every signal provoked for real, read by one statement that takes no
 * lock above AccessShareLock, and judged by {@link HealthPolicy}.
 */
@WithPostgres
class HealthProbeIT {

    /** Wide: other builds share this 2-core machine. */
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final String OURS = "phasegate/";
    private static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
    private static final String MONITOR = "health_mon_" + SUFFIX;
    private static final String NO_MONITOR = "health_nomon_" + SUFFIX;
    private static final String PASSWORD = "pw-" + SUFFIX;

    static PostgresDatabase db;
    private static final ExecutorService BACKGROUND = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "health-it-session");
        t.setDaemon(true);
        return t;
    });

    private final HealthProbe probe = new HealthProbe();

    @BeforeAll
    static void schema() throws SQLException {
        db.cluster().createRole(MONITOR, PASSWORD, true);
        db.cluster().createRole(NO_MONITOR, PASSWORD, false);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text)");
            s.execute("CREATE TABLE other (id bigint PRIMARY KEY)");
            s.execute("INSERT INTO orders VALUES (1, 'new'), (2, 'paid')");
            s.execute("INSERT INTO other VALUES (1)");
        }
    }

    @AfterAll
    static void stop() {
        BACKGROUND.shutdownNow();
    }

    // ------------------------------------------------------------------ helpers

    private static SessionSettings probeSession() {
        return new SessionSettings("phasegate/health-it", Duration.ofSeconds(1), Duration.ofSeconds(20),
                Duration.ofSeconds(30));
    }

    private static Connection monitorSession(PostgresDatabase d) throws SQLException {
        return Sessions.open(new ConnectionSettings(d.jdbcUrl(), MONITOR, PASSWORD), probeSession());
    }

    private HealthSnapshot snap(Connection c, String... tables) throws SQLException {
        return probe.probe(c, OURS, List.of(tables));
    }

    private static HealthSpec spec(String maxTransactionAge, String maxIdleInTransaction) {
        HealthSpec h = new HealthSpec();
        h.maxTransactionAge = maxTransactionAge;
        h.maxIdleInTransaction = maxIdleInTransaction;
        return h;
    }

    private static Connection session(PostgresDatabase d, String applicationName) throws SQLException {
        Connection c = d.connect();
        exec(c, "SET application_name = '" + applicationName + "'");
        return c;
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

    private static void cancel(PostgresDatabase d, int pid) throws SQLException {
        try (Connection c = d.connect()) {
            exec(c, "SELECT pg_cancel_backend(" + pid + ")");
        }
    }

    private static String why(HealthSnapshot s, HealthGate g) {
        return g.open() ? "open; snapshot " + s : g.reason() + ": " + g.message();
    }

    // ------------------------------------------------------------------ transactions

    @Test
    void aLongQueryOnAnotherTableClosesOnlyTheDatabaseWideGateAndIsNamed() throws Exception {
        HealthSpec spec = spec("1s", "1h");
        try (Connection probeConn = monitorSession(db);
                Connection analytics = session(db, "analytics-report");
                Connection reader = session(db, "orders-reader")) {
            int analyticsPid = pid(analytics);
            // The incident's analytics query: REPEATABLE READ, snapshot taken on another table, still running.
            Future<?> query = BACKGROUND.submit(() -> {
                analytics.setAutoCommit(false);
                analytics.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                exec(analytics, "SELECT count(*) FROM other");
                exec(analytics, "SELECT pg_sleep(300)");
                return null;
            });
            try {
                Assessment wide = await().atMost(WAIT).pollInterval(POLL).until(
                        () -> HealthPolicy.assess(snap(probeConn, "orders"), spec, true),
                        a -> a.gate().reason() == Reason.LongTransaction);
                Blocker blocker = wide.blocker().orElseThrow();
                assertThat(blocker.pid()).isEqualTo(analyticsPid);
                assertThat(blocker.applicationName()).isEqualTo("analytics-report");
                assertThat(blocker.state()).isEqualTo("active");
                assertThat(blocker.statement()).isEqualTo("SELECT");
                assertThat(blocker.queryText()).isNull();
                assertThat(blocker.age()).isGreaterThan(Duration.ofSeconds(1));
                assertThat(wide.gate().message()).contains("pid " + analyticsPid, "application 'analytics-report'",
                        "database-wide", "maxTransactionAge 1s");

                HealthSnapshot s = snap(probeConn, "orders");
                assertThat(s.oldestSnapshot().blocker().map(Blocker::pid)).as("REPEATABLE READ holds a snapshot")
                        .contains(analyticsPid);
                assertThat(s.oldestSnapshotXidAge()).isGreaterThanOrEqualTo(0);
                assertThat(s.tableTransaction()).isEqualTo(Oldest.NONE);
                HealthGate scoped = HealthPolicy.evaluate(s, spec, false);
                assertThat(scoped.open()).as(why(s, scoped)).isTrue();

                // The table-scoped gate does close for a transaction that holds a lock on the migration's table.
                int readerPid = pid(reader);
                reader.setAutoCommit(false);
                exec(reader, "SELECT count(*) FROM orders");
                Assessment tableScoped = await().atMost(WAIT).pollInterval(POLL).until(
                        () -> HealthPolicy.assess(snap(probeConn, "orders"), spec, false),
                        a -> a.gate().reason() == Reason.LongTransaction);
                assertThat(tableScoped.blocker().map(Blocker::pid)).contains(readerPid);
                assertThat(tableScoped.gate().message()).contains("holding locks on the migration's tables",
                        "orders-reader");
                reader.rollback();
            } finally {
                cancel(db, analyticsPid);
                try {
                    query.get(30, TimeUnit.SECONDS);
                } catch (Exception expected) {
                    // canceled
                }
                analytics.rollback();
            }
            HealthSnapshot after = await().atMost(WAIT).pollInterval(POLL).until(() -> snap(probeConn, "orders"),
                    x -> HealthPolicy.evaluate(x, spec, true).open());
            assertThat(after.oldestTransaction()).isEqualTo(Oldest.NONE);
        }
    }

    @Test
    void aBlockersLiteralsNeverReachTheSnapshotStatusOrMessages() throws Exception {
        String canary = "secret-canary@example.com";
        try (Connection probeConn = monitorSession(db); Connection checkout = session(db, "checkout")) {
            int checkoutPid = pid(checkout);
            checkout.setAutoCommit(false);
            exec(checkout, "/* " + canary + " */ SELECT * FROM orders WHERE status = '" + canary + "'");
            HealthSnapshot s = await().atMost(WAIT).pollInterval(POLL).until(() -> snap(probeConn, "orders"),
                    x -> x.idleInTransaction().age().compareTo(Duration.ofSeconds(1)) > 0
                            && x.tableTransaction().blocker().isPresent());
            Blocker blocker = s.tableTransaction().blocker().orElseThrow();
            assertThat(blocker.pid()).isEqualTo(checkoutPid);
            assertThat(blocker.statement()).isEqualTo("SELECT orders");
            assertThat(s.toString()).doesNotContain(canary);

            List<Assessment> verdicts = List.of(HealthPolicy.assess(s, spec("1s", "1h"), false),
                    HealthPolicy.assess(s, spec("1s", "1h"), true), HealthPolicy.assess(s, spec("1h", "1s"), false));
            assertThat(verdicts).extracting(a -> a.gate().reason())
                    .containsExactly(Reason.LongTransaction, Reason.LongTransaction, Reason.IdleInTransaction);
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            for (Assessment a : verdicts) {
                assertThat(a.gate().message()).contains("pid " + checkoutPid, "application 'checkout'",
                        "user '" + db.user() + "'", "running SELECT orders").doesNotContain(canary);
                String status = json.writeValueAsString(HealthPolicy.toStatus(s, a));
                assertThat(status).contains("\"statement\":\"SELECT orders\"").doesNotContain(canary);
            }

            // The same session seen by a probe the operator allowed to show query texts: the literal is there, so
            // the checks above would catch it.
            HealthSnapshot shown = new HealthProbe(java.time.Clock.systemUTC(), true).probe(probeConn, OURS,
                    List.of("orders"));
            assertThat(shown.tableTransaction().blocker().orElseThrow().queryText()).contains(canary);
            assertThat(HealthPolicy.assess(shown, spec("1s", "1h"), false).gate().message()).contains(canary);
            checkout.rollback();
        }
    }

    @Test
    void anIdleInTransactionSessionIsReported() throws Exception {
        HealthSpec spec = spec("1h", "1s");
        try (Connection probeConn = monitorSession(db); Connection idle = session(db, "forgot-to-commit")) {
            int idlePid = pid(idle);
            idle.setAutoCommit(false);
            exec(idle, "SELECT count(*) FROM other");
            Assessment a = await().atMost(WAIT).pollInterval(POLL).until(
                    () -> HealthPolicy.assess(snap(probeConn, "orders"), spec, false),
                    x -> x.gate().reason() == Reason.IdleInTransaction);
            assertThat(a.blocker().map(Blocker::pid)).contains(idlePid);
            assertThat(a.blocker().get().state()).isEqualTo("idle in transaction");
            assertThat(a.gate().message()).contains("idle in transaction for", "maxIdleInTransaction 1s",
                    "pid " + idlePid, "forgot-to-commit", "running SELECT other");
            idle.commit();
            await().atMost(WAIT).pollInterval(POLL).until(() -> snap(probeConn, "orders"),
                    x -> HealthPolicy.evaluate(x, spec, false).open() && x.idleInTransaction().equals(Oldest.NONE));
        }
    }

    @Test
    void ourOwnSessionsAreNotCounted() throws Exception {
        HealthSpec spec = spec("1s", "1s");
        try (Connection probeConn = monitorSession(db); Connection ours = session(db, "phasegate/shop/orders-v2")) {
            ours.setAutoCommit(false);
            exec(ours, "SELECT count(*) FROM orders");
            Thread.sleep(1500);
            HealthSnapshot s = snap(probeConn, "orders");
            assertThat(HealthPolicy.evaluate(s, spec, true).open()).as(why(s, HealthPolicy.evaluate(s, spec, true)))
                    .isTrue();
            // The same session under another name is a blocker: the exclusion is by application_name only.
            exec(ours, "SET application_name = 'not-ours'");
            HealthSnapshot seen = snap(probeConn, "orders");
            assertThat(HealthPolicy.evaluate(seen, spec, true).open()).isFalse();
            ours.rollback();
        }
    }

    // ------------------------------------------------------------------ locks

    @Test
    void sessionsWaitingOnTheTargetTableAreLockWaitersWithTheHolderNamed() throws Exception {
        HealthSpec spec = spec("1h", "1h");
        try (Connection probeConn = monitorSession(db);
                Connection holder = session(db, "ddl-holder");
                Connection waiter = session(db, "app-reader")) {
            int holderPid = pid(holder);
            holder.setAutoCommit(false);
            exec(holder, "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
            Future<?> read = BACKGROUND.submit(() -> {
                exec(waiter, "SELECT count(*) FROM orders");
                return null;
            });
            try {
                Assessment a = await().atMost(WAIT).pollInterval(POLL).until(
                        () -> HealthPolicy.assess(snap(probeConn, "orders"), spec, false),
                        x -> x.gate().reason() == Reason.LockWaiters);
                assertThat(a.blocker().map(Blocker::pid)).contains(holderPid);
                assertThat(a.gate().message()).contains("1 session waits", "maxLockWaiters 0", "pid " + holderPid,
                        "ddl-holder", "running LOCK orders");
                HealthSnapshot s = snap(probeConn, "orders");
                assertThat(s.lockWaiters()).isEqualTo(1);
                assertThat(s.longestLockWait()).isPositive();
                // Scoped to the migration's tables: waiters on orders do not count for a migration of other.
                HealthSnapshot otherTable = snap(probeConn, "other");
                assertThat(otherTable.lockWaiters()).isZero();
                assertThat(HealthPolicy.evaluate(otherTable, spec, false).open()).isTrue();
                HealthSpec tolerant = spec("1h", "1h");
                tolerant.maxLockWaiters = 1;
                assertThat(HealthPolicy.evaluate(s, tolerant, false).open()).isTrue();
            } finally {
                holder.rollback();
            }
            read.get(30, TimeUnit.SECONDS);
            await().atMost(WAIT).pollInterval(POLL).until(() -> snap(probeConn, "orders"),
                    x -> x.lockWaiters() == 0 && HealthPolicy.evaluate(x, spec, false).open());
        }
    }

    @Test
    void theProbeTakesNoLockAboveAccessShareAndNoneOnTheTables() throws Exception {
        try (Connection probeConn = monitorSession(db);
                Connection holder = session(db, "ddl-holder");
                Connection observer = db.connect()) {
            int probePid = pid(probeConn);
            holder.setAutoCommit(false);
            // Even an ACCESS EXCLUSIVE lock on the migration's table does not stop the probe.
            exec(holder, "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
            try {
                probeConn.setAutoCommit(false);
                long started = System.nanoTime();
                HealthSnapshot s = snap(probeConn, "orders", "other", "no_such_table");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
                assertThat(s.unresolvedTables()).containsExactly("no_such_table");
                List<String[]> locks = new ArrayList<>();
                try (Statement st = observer.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT locktype, coalesce(relation::regclass::text, ''), mode, granted FROM pg_locks"
                                + " WHERE pid = " + probePid)) {
                    while (rs.next()) {
                        locks.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3),
                                Boolean.toString(rs.getBoolean(4))});
                    }
                }
                assertThat(locks).as("the probe's transaction still holds what the statement took")
                        .anySatisfy(l -> assertThat(l[1]).isEqualTo("pg_stat_activity"));
                assertThat(locks).allSatisfy(l -> {
                    assertThat(l[3]).as("granted " + String.join(" ", l)).isEqualTo("true");
                    if (l[0].equals("relation")) {
                        assertThat(l[2]).as(String.join(" ", l)).isEqualTo("AccessShareLock");
                        assertThat(l[1]).isNotIn("orders", "other");
                    } else {
                        // Its own virtual transaction id: every transaction holds that one.
                        assertThat(l[0]).as(String.join(" ", l)).isEqualTo("virtualxid");
                    }
                });
                probeConn.rollback();
            } finally {
                holder.rollback();
            }
        }
    }

    @Test
    void theProbeIsOneStatementInOneRoundTrip() throws Exception {
        try (Connection real = monitorSession(db)) {
            int probePid = pid(real);
            AtomicInteger created = new AtomicInteger();
            AtomicInteger executed = new AtomicInteger();
            Connection counted = counting(real, created, executed);
            HealthSnapshot s = snap(counted, "orders", "other");
            assertThat(s.readAllStats()).isTrue();
            assertThat(created.get()).as("statements created").isEqualTo(1);
            assertThat(executed.get()).as("statements executed").isEqualTo(1);
            // The server saw that statement as the session's last one.
            try (Connection observer = db.connect(); Statement st = observer.createStatement();
                    ResultSet rs = st.executeQuery("SELECT query FROM pg_stat_activity WHERE pid = " + probePid)) {
                rs.next();
                assertThat(rs.getString(1)).startsWith("WITH n AS (").contains("to_regclass(t)", "$1", "$2");
            }
            snap(counted, "orders");
            assertThat(executed.get()).isEqualTo(2);
        }
    }

    /** A Connection that counts created and executed statements (every execute* and addBatch call). */
    private static Connection counting(Connection target, AtomicInteger created, AtomicInteger executed) {
        ClassLoader loader = HealthProbeIT.class.getClassLoader();
        return (Connection) Proxy.newProxyInstance(loader, new Class<?>[] {Connection.class},
                (proxy, m, args) -> {
                    Object result = invoke(target, m, args);
                    if (result instanceof Statement statement && Statement.class.isAssignableFrom(m.getReturnType())) {
                        created.incrementAndGet();
                        return Proxy.newProxyInstance(HealthProbeIT.class.getClassLoader(),
                                new Class<?>[] {m.getReturnType()}, (p2, sm, sargs) -> {
                                    String name = sm.getName().toLowerCase(Locale.ROOT);
                                    if (name.startsWith("execute") || name.equals("addbatch")) {
                                        executed.incrementAndGet();
                                    }
                                    return invoke(statement, sm, sargs);
                                });
                    }
                    return result;
                });
    }

    private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    // ------------------------------------------------------------------ privileges

    @Test
    void aRoleWithoutPgMonitorClosesTheGateNamingPgMonitor() throws Exception {
        HealthSpec spec = spec("1h", "1h");
        try (Connection unprivileged = Sessions.open(new ConnectionSettings(db.jdbcUrl(), NO_MONITOR, PASSWORD),
                probeSession());
                Connection privileged = monitorSession(db);
                Connection someoneElse = session(db, "someone-else")) {
            int otherPid = pid(someoneElse);
            someoneElse.setAutoCommit(false);
            exec(someoneElse, "SELECT count(*) FROM orders");

            HealthSnapshot partial = snap(unprivileged, "orders");
            assertThat(partial.readAllStats()).isFalse();
            assertThat(partial.role()).isEqualTo(NO_MONITOR);
            assertThat(partial.hiddenSessions()).isGreaterThanOrEqualTo(1);
            // What partial visibility would hide: the other role's open transaction on the table.
            assertThat(partial.tableTransaction()).isEqualTo(Oldest.NONE);
            HealthSnapshot full = snap(privileged, "orders");
            assertThat(full.tableTransaction().blocker().map(Blocker::pid)).contains(otherPid);

            HealthGate gate = HealthPolicy.evaluate(partial, spec, false);
            assertThat(gate.open()).isFalse();
            assertThat(gate.reason()).isEqualTo(Reason.ProbeFailed);
            assertThat(gate.message()).contains("lacks pg_monitor", "'<insufficient privilege>'",
                    "GRANT pg_monitor TO " + NO_MONITOR);
            someoneElse.rollback();
        }
    }

    // ------------------------------------------------------------------ replication

    @Test
    void replicationLagClosesTheGateNamingTheReplicaAndResumeReopensIt() throws Exception {
        HealthSpec spec = new HealthSpec();
        spec.maxReplicationLag = "3s";
        ReplicaLagProbe direct = new ReplicaLagProbe();
        try (PostgresCluster primary = PostgresCluster.builder().start()) {
            primary.createRole(MONITOR, PASSWORD, true);
            try (Connection c = primary.connect("postgres")) {
                exec(c, "CREATE TABLE ticks (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
            }
            try (PostgresCluster replica = primary.createReplica("replica-a");
                    Connection writer = primary.connect("postgres")) {
                PostgresDatabase onPrimary = PostgresDatabase.of(primary, "postgres");
                PostgresDatabase onReplica = PostgresDatabase.of(replica, "postgres");
                // Writes keep coming, so replay timestamps advance and the paused replica falls behind.
                ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
                ticker.scheduleWithFixedDelay(() -> {
                    try {
                        exec(writer, "INSERT INTO ticks DEFAULT VALUES");
                    } catch (SQLException ignored) {
                        // The cluster is going away at the end of the test.
                    }
                }, 0, 100, TimeUnit.MILLISECONDS);
                try (Connection p = monitorSession(onPrimary);
                        Connection r = monitorSession(onReplica);
                        Connection replicaAdmin = replica.connect("postgres")) {
                    HealthSnapshot healthy = await().atMost(WAIT).pollInterval(POLL).until(() -> snap(p, "ticks"),
                            s -> s.replicas().stream().anyMatch(x -> x.name().equals("replica-a"))
                                    && HealthPolicy.evaluate(s, spec, false).open());
                    assertThat(healthy.inRecovery()).isFalse();
                    await().atMost(WAIT).pollInterval(POLL).until(() -> direct.probe(r, "replica-a (direct)"),
                            x -> x.lag().isPresent() && x.lag().get().compareTo(Duration.ofSeconds(3)) <= 0);

                    exec(replicaAdmin, "SELECT pg_wal_replay_pause()");
                    try {
                        HealthSnapshot lagging = await().atMost(WAIT).pollInterval(POLL).until(() -> snap(p, "ticks"),
                                s -> HealthPolicy.evaluate(s, spec, false).reason() == Reason.ReplicationLag);
                        HealthGate gate = HealthPolicy.evaluate(lagging, spec, false);
                        assertThat(gate.message()).contains("replica replica-a lags", "maxReplicationLag 3s",
                                "pg_stat_replication on the primary");
                        ReplicaLag streaming = lagging.worstReplica().orElseThrow();
                        assertThat(streaming.source()).isEqualTo(LagSource.STREAMING);
                        assertThat(streaming.bytesBehind()).hasValueSatisfying(b -> assertThat(b).isPositive());
                        assertThat(HealthPolicy.toStatus(lagging).laggingReplica).isEqualTo("replica-a");

                        ReplicaLag measured = await().atMost(WAIT).pollInterval(POLL)
                                .until(() -> direct.probe(r, "replica-a (direct)"),
                                        x -> x.lag().isPresent() && x.lag().get().compareTo(Duration.ofSeconds(3)) > 0);
                        assertThat(measured.state()).isEqualTo("replay paused");
                        assertThat(measured.inRecovery()).isTrue();
                        // The direct measurement alone closes the gate, naming the replica as the spec does.
                        HealthSnapshot onlyDirect = lagging.toBuilder().replicas(List.of(measured)).build();
                        HealthGate directGate = HealthPolicy.evaluate(onlyDirect, spec, false);
                        assertThat(directGate.reason()).isEqualTo(Reason.ReplicationLag);
                        assertThat(directGate.message()).contains("replica replica-a (direct) lags",
                                "measured on the replica", "replay paused");
                    } finally {
                        exec(replicaAdmin, "SELECT pg_wal_replay_resume()");
                    }

                    await().atMost(WAIT).pollInterval(POLL).until(() -> snap(p, "ticks"),
                            s -> HealthPolicy.evaluate(s, spec, false).open());
                    ReplicaLag caughtUp = await().atMost(WAIT).pollInterval(POLL)
                            .until(() -> direct.probe(r, "replica-a (direct)"),
                                    x -> x.lag().isPresent() && x.lag().get().compareTo(Duration.ofSeconds(3)) <= 0);
                    HealthSnapshot reopened = snap(p, "ticks").withReplicas(List.of(caughtUp));
                    assertThat(HealthPolicy.evaluate(reopened, spec, false).open()).isTrue();
                    // Probing the standby as if it were the primary is refused, never "open".
                    HealthSnapshot standby = snap(r, "ticks");
                    assertThat(standby.inRecovery()).isTrue();
                    assertThat(HealthPolicy.evaluate(standby, spec, false).reason()).isEqualTo(Reason.ProbeFailed);
                } finally {
                    ticker.shutdownNow();
                    ticker.awaitTermination(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void aPrimaryListedAsReplicaIsNotInRecovery() throws Exception {
        try (Connection c = monitorSession(db)) {
            ReplicaLag lag = new ReplicaLagProbe().probe(c, "not-a-replica");
            assertThat(lag.inRecovery()).isFalse();
            assertThat(lag.state()).isEqualTo("not in recovery");
            HealthSnapshot s = snap(c, "orders").withReplicas(List.of(lag));
            assertThat(HealthPolicy.evaluate(s, new HealthSpec(), false).reason()).isEqualTo(Reason.ProbeFailed);
        }
    }

    // ------------------------------------------------------------------ connections, autovacuum

    @Test
    void connectionsPastTheThresholdCloseTheGate() throws Exception {
        try (PostgresCluster small = PostgresCluster.builder().maxConnections(10).start()) {
            small.createRole("sat_app", PASSWORD, false);
            small.createRole(MONITOR, PASSWORD, true);
            HealthSpec spec = new HealthSpec();
            List<Connection> app = new ArrayList<>();
            try (Connection p = monitorSession(PostgresDatabase.of(small, "postgres"))) {
                // max_connections 10 minus 3 superuser_reserved_connections: 7 usable, 0.8 of them is 5.6.
                HealthSnapshot idle = await().atMost(WAIT).pollInterval(POLL).until(() -> snap(p),
                        s -> s.connectionsUsed() == 1);
                assertThat(idle.connectionsUsable()).isEqualTo(7);
                assertThat(HealthPolicy.evaluate(idle, spec, false).open()).isTrue();
                try {
                    for (int i = 0; i < 4; i++) {
                        app.add(small.connect("postgres", "sat_app", PASSWORD));
                    }
                    HealthSnapshot five = await().atMost(WAIT).pollInterval(POLL).until(() -> snap(p),
                            s -> s.connectionsUsed() == 5);
                    assertThat(HealthPolicy.evaluate(five, spec, false).open()).as("5 of 7 is 71%").isTrue();

                    app.add(small.connect("postgres", "sat_app", PASSWORD));
                    HealthSnapshot six = await().atMost(WAIT).pollInterval(POLL).until(() -> snap(p),
                            s -> s.connectionsUsed() == 6);
                    HealthGate gate = HealthPolicy.evaluate(six, spec, false);
                    assertThat(gate.reason()).isEqualTo(Reason.ConnectionSaturation);
                    assertThat(gate.message()).contains("85.7%", "6 of 7 usable", "maxConnectionUsage 80%");
                    assertThat(HealthPolicy.toStatus(six).connectionUsage).isEqualTo(0.857);
                } finally {
                    for (Connection c : app) {
                        c.close();
                    }
                }
                await().atMost(WAIT).pollInterval(POLL).until(() -> snap(p),
                        s -> s.connectionsUsed() == 1 && HealthPolicy.evaluate(s, spec, false).open());
            }
        }
    }

    @Test
    void autovacuumOnTheTableClosesTheGate() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().setting("autovacuum_naptime", "1s").start()) {
            cluster.createRole(MONITOR, PASSWORD, true);
            PostgresDatabase pg = PostgresDatabase.of(cluster, "postgres");
            try (Connection c = pg.connect()) {
                // Throttled to ~10 pages a second, so the worker is still there when we look.
                exec(c, "CREATE TABLE big (id int, pad text) WITH (autovacuum_vacuum_threshold = 0,"
                        + " autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 0,"
                        + " autovacuum_analyze_scale_factor = 0, autovacuum_vacuum_insert_threshold = 0,"
                        + " autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_cost_delay = 100,"
                        + " autovacuum_vacuum_cost_limit = 1)");
                exec(c, "INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 50000) g");
                exec(c, "DELETE FROM big WHERE id % 2 = 0");
            }
            HealthSpec spec = new HealthSpec();
            try (Connection p = monitorSession(pg)) {
                HealthSnapshot s = await().atMost(WAIT).pollInterval(POLL).until(() -> snap(p, "big"),
                        x -> !x.autovacuum().isEmpty());
                HealthSnapshot.AutovacuumRun run = s.autovacuum().get(0);
                assertThat(run.table()).isEqualTo("big");
                assertThat(run.wraparound()).isFalse();
                assertThat(run.statement()).matches("(VACUUM|ANALYZE) public\\.big");
                HealthGate gate = HealthPolicy.evaluate(s, spec, true);
                assertThat(gate.reason()).as(why(s, gate)).isEqualTo(Reason.Autovacuum);
                assertThat(gate.message()).contains("autovacuum runs on big", "pid " + run.pid());
                // A plain autovacuum is not a long transaction: CREATE INDEX CONCURRENTLY does not wait for it.
                assertThat(s.oldestTransaction().blocker().map(Blocker::pid)).isNotEqualTo(Optional.of(run.pid()));
                spec.blockOnAutovacuum = false;
                assertThat(HealthPolicy.evaluate(s, spec, true).open()).isTrue();
            }
        }
    }
}
