package dev.phasegate.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestClassOrder;

/** Proves the PostgreSQL harness against the real server binaries: auth, per-class databases, crash, replication. */
@WithPostgres
@TestClassOrder(ClassOrderer.OrderAnnotation.class)
class PostgresHarnessIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Map<String, String> DATABASE_BY_CLASS = new ConcurrentHashMap<>();

    PostgresDatabase db;

    @Test
    void connectsAndCreatesTableInItsOwnDatabase(PostgresDatabase param) throws SQLException {
        assertThat(param).isSameAs(db);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            assertThat(queryString(s, "SELECT current_database()")).isEqualTo(db.dbName());
            assertThat(db.dbName()).startsWith("postgresharnessit_");
            s.execute("CREATE TABLE harness_probe (id int PRIMARY KEY, note text)");
            s.execute("INSERT INTO harness_probe VALUES (1, 'hello')");
            assertThat(queryString(s, "SELECT note FROM harness_probe WHERE id = 1")).isEqualTo("hello");
            assertThat(queryLong(s, "SELECT current_setting('server_version_num')::int / 10000"))
                    .isEqualTo(PostgresCluster.majorVersion());
        }
    }

    @Test
    void wrongPasswordFailsWithInvalidPassword() {
        assertThatThrownBy(() -> db.as(db.user(), "not-" + db.password()).connect().close())
                .isInstanceOf(SQLException.class)
                .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("28P01");
    }

    @Test
    void createdRoleCanLogInAndReadReplicationStats() throws SQLException {
        PostgresCluster cluster = db.cluster();
        cluster.createRole("harness_monitor", "m0n'itor", true);
        try (Connection c = db.as("harness_monitor", "m0n'itor").connect(); Statement s = c.createStatement()) {
            assertThat(queryString(s, "SELECT current_user")).isEqualTo("harness_monitor");
            assertThat(queryLong(s, "SELECT count(*) FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid "
                    + "WHERE r.rolname = current_user AND m.roleid = 'pg_monitor'::regrole")).isEqualTo(1);
        }
        assertThatThrownBy(() -> db.as("harness_monitor", "wrong").connect().close())
                .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("28P01");
    }

    @Nested
    @Order(1)
    class FirstClass {
        PostgresDatabase fieldDb;

        @Test
        void getsItsOwnDatabaseByFieldInjection() throws SQLException {
            assertThat(fieldDb.dbName()).startsWith("firstclass_").isNotEqualTo(db.dbName());
            DATABASE_BY_CLASS.put("first", fieldDb.dbName());
            try (Connection c = fieldDb.connect(); Statement s = c.createStatement()) {
                assertThat(queryString(s, "SELECT current_database()")).isEqualTo(fieldDb.dbName());
                s.execute("CREATE TABLE only_in_first (id int)");
            }
        }
    }

    @Nested
    @Order(2)
    class SecondClass {
        private final PostgresDatabase constructorDb;

        SecondClass(PostgresDatabase constructorDb) {
            this.constructorDb = constructorDb;
        }

        @Test
        void getsADifferentDatabaseByConstructorInjection() throws SQLException {
            assertThat(DATABASE_BY_CLASS).containsKey("first");
            assertThat(constructorDb.dbName()).startsWith("secondclass_")
                    .isNotEqualTo(DATABASE_BY_CLASS.get("first"))
                    .isNotEqualTo(db.dbName());
            assertThat(constructorDb.cluster()).isSameAs(db.cluster());
            try (Connection c = constructorDb.connect(); Statement s = c.createStatement()) {
                assertThat(queryString(s, "SELECT current_database()")).isEqualTo(constructorDb.dbName());
                assertThat(queryLong(s, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_first'"))
                        .isZero();
            }
        }
    }

    @Test
    void killMakesConnectionsFailAndStartBringsItBack() throws SQLException {
        try (PostgresCluster cluster = PostgresCluster.builder()
                .maxConnections(7)
                .setting("work_mem", "3MB")
                .start()) {
            try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement()) {
                assertThat(queryString(s, "SHOW max_connections")).isEqualTo("7");
                assertThat(queryString(s, "SHOW work_mem")).isEqualTo("3MB");
                s.execute("CREATE TABLE survives (id int)");
                // synchronous_commit is off cluster-wide; this row must be durable before the simulated crash.
                s.execute("SET synchronous_commit = on");
                s.execute("INSERT INTO survives VALUES (42)");
            }

            cluster.kill();
            assertThat(cluster.isRunning()).isFalse();
            assertThatThrownBy(() -> cluster.connect("postgres").close())
                    .isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("08001");

            cluster.start();
            try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement()) {
                assertThat(queryLong(s, "SELECT id FROM survives")).isEqualTo(42);
            }
            assertThat(cluster.logTail()).contains("database system was interrupted");

            cluster.stop();
            assertThatThrownBy(() -> cluster.connect("postgres").close()).isInstanceOf(SQLException.class);
            cluster.start();
            try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement()) {
                assertThat(queryLong(s, "SELECT 1")).isEqualTo(1);
            }
        }
    }

    @Test
    void failedStartReportsTheServerLogTail() {
        assertThatThrownBy(() -> PostgresCluster.builder().setting("shared_buffers", "lots").start().close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("server log tail")
                .hasMessageContaining("invalid value for parameter \"shared_buffers\"");
    }

    @Test
    void replicaStreamsAndReplayPauseHoldsItBack() throws SQLException {
        try (PostgresCluster primary = PostgresCluster.builder().start();
             PostgresCluster replica = primary.createReplica()) {
            assertThat(replica.applicationName()).isEqualTo("replica1");
            assertThat(replica.port()).isNotEqualTo(primary.port());
            try (Connection p = primary.connect("postgres"); Statement ps = p.createStatement();
                 Connection r = replica.connect("postgres"); Statement rs = r.createStatement()) {
                assertThat(queryString(ps, "SELECT state FROM pg_stat_replication WHERE application_name = 'replica1'"))
                        .isEqualTo("streaming");
                assertThat(queryString(rs, "SELECT pg_is_in_recovery()::text")).isEqualTo("true");

                ps.execute("CREATE TABLE events (id int)");
                ps.execute("INSERT INTO events VALUES (1)");
                await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                        .until(() -> queryLong(rs, "SELECT count(*) FROM events") == 1);

                rs.execute("SELECT pg_wal_replay_pause()");
                await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(50))
                        .until(() -> replayPaused(rs));

                ps.execute("INSERT INTO events VALUES (2)");
                String insertLsn = queryString(ps, "SELECT pg_current_wal_insert_lsn()::text");
                // Only once the standby has received the WAL does "not visible" prove that replay is what holds it back.
                await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(50))
                        .until(() -> queryString(rs, "SELECT (pg_last_wal_receive_lsn() >= '" + insertLsn
                                + "'::pg_lsn)::text").equals("true"));
                assertThat(queryLong(rs, "SELECT count(*) FROM events")).isEqualTo(1);

                rs.execute("SELECT pg_wal_replay_resume()");
                await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(50))
                        .until(() -> queryLong(rs, "SELECT count(*) FROM events") == 2);
            }
        }
    }

    private static boolean replayPaused(Statement replica) throws SQLException {
        if (PostgresCluster.majorVersion() >= 14) {
            return "paused".equals(queryString(replica, "SELECT pg_get_wal_replay_pause_state()"));
        }
        return "true".equals(queryString(replica, "SELECT pg_is_wal_replay_paused()::text"));
    }

    private static String queryString(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).as("row from %s", sql).isTrue();
            return rs.getString(1);
        }
    }

    private static long queryLong(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).as("row from %s", sql).isTrue();
            return rs.getLong(1);
        }
    }
}
