package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.OperatorHarness;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import io.fabric8.kubernetes.api.model.Event;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A run with a recognisable password in the Secret and a recognisable value in another application's query and
 * rows: a gate closed by that application's session, a statement and a backfill batch failing on that value, a
 * login failing with a wrong recognisable password. Neither may appear in any log line (with its exception), Event or status.
 */
@WithPostgres
class SecretsCanaryIT {
    private static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
    private static final String PASSWORD = "Canary-Pw-" + SUFFIX;
    private static final String DATA = "canary-data-" + SUFFIX + "@example.com";
    private static final String ROLE = "canary_" + SUFFIX;

    static OperatorHarness kube;
    static KubeFixtures fx;
    static PostgresDatabase db;
    static final List<String> LOG_LINES = new CopyOnWriteArrayList<>();
    static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord r) {
            StringBuilder b = new StringBuilder(r.getLoggerName() + " " + r.getLevel() + " ");
            b.append(r instanceof ExtLogRecord e ? e.getFormattedMessage() : r.getMessage());
            if (r.getParameters() != null) {
                b.append(" ").append(Arrays.toString(r.getParameters()));
            }
            if (r.getThrown() != null) {
                StringWriter trace = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(trace));
                b.append('\n').append(trace);
            }
            LOG_LINES.add(b.toString());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void start(PostgresDatabase database) throws SQLException {
        db = database;
        CAPTURE.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(CAPTURE);
        // Our own code at DEBUG too: a value logged "only for debugging" still leaks.
        Logger.getLogger("dev.phasegate").setLevel(Level.ALL);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + ROLE + " LOGIN SUPERUSER PASSWORD '" + PASSWORD + "'");
            s.execute("CREATE TABLE customers (id int PRIMARY KEY, email text)");
            s.execute("INSERT INTO customers VALUES (1, '" + DATA + "')");
            s.execute("CREATE TABLE dupes (id int PRIMARY KEY, email text)");
            s.execute("INSERT INTO dupes VALUES (1, '" + DATA + "'), (2, '" + DATA + "')");
            s.execute("CREATE TABLE casts (id int PRIMARY KEY, email text, n int)");
            s.execute("INSERT INTO casts VALUES (1, '" + DATA + "', NULL)");
        }
        kube = new OperatorHarness().start();
        fx = new KubeFixtures(kube.client());
    }

    @AfterAll
    static void stop() {
        kube.close();
        Logger.getLogger("").removeHandler(CAPTURE);
    }

    @Test
    void neitherThePasswordNorTheValueAppearsAnywhere() throws Exception {
        Connection checkout = db.connect();
        try (Statement s = checkout.createStatement()) {
            s.execute("SET application_name = 'checkout'");
            checkout.setAutoCommit(false);
            s.execute("SELECT * FROM customers WHERE email = '" + DATA + "'");
            // Older than the thresholds before the migration's first check, so the gate closes instead of the
            // ALTER queueing behind it.
            Thread.sleep(1500);

            fx.secret("canary-a", "db", db.jdbcUrl(), ROLE, PASSWORD);
            fx.migration("canary-a", migration("gated", "ALTER TABLE customers ADD COLUMN note text;",
                    "health: {maxTransactionAge: 1s, maxIdleInTransaction: 1s}"));
            SchemaMigrationStatus gated = awaitStatus("canary-a", "gated", st -> st.health != null
                    && st.health.blocker != null && "checkout".equals(st.health.blocker.applicationName)
                    && (st.reason == Reason.LongTransaction || st.reason == Reason.IdleInTransaction));
            assertThat(gated.health.blocker.statement).isEqualTo("SELECT customers");
        } finally {
            checkout.rollback();
            checkout.close();
        }
        awaitStatus("canary-a", "gated", st -> st.phase == MigrationPhase.Succeeded);

        fx.secret("canary-b", "db", db.jdbcUrl(), ROLE, PASSWORD);
        fx.migration("canary-b", migration("dupes", "CREATE UNIQUE INDEX CONCURRENTLY dupes_email ON dupes (email);",
                ""));
        SchemaMigrationStatus failed = awaitStatus("canary-b", "dupes", st -> st.reason == Reason.SqlError
                && st.state == MigrationState.Blocked);
        assertThat(failed.message).contains("dupes_email", "23505");

        fx.secret("canary-c", "db", db.jdbcUrl(), ROLE, PASSWORD + "-wrong");
        fx.migration("canary-c", migration("badlogin", "ALTER TABLE dupes ADD COLUMN note text;", ""));
        awaitStatus("canary-c", "badlogin", st -> st.reason == Reason.AuthenticationFailed);

        // A backfill batch failing on the value: a data exception quotes it in the server's primary message.
        fx.secret("canary-d", "db", db.jdbcUrl(), ROLE, PASSWORD);
        fx.migration("canary-d", """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: cast}
                spec:
                  database: {secretRef: {name: db}}
                  backfill: {table: casts, keyColumn: id, set: "n = email::int", where: "n IS NULL"}
                """);
        SchemaMigrationStatus cast = awaitStatus("canary-d", "cast", st -> st.reason == Reason.SqlError
                && st.state == MigrationState.Blocked);
        assertThat(cast.message).contains("invalid input syntax for type integer", "22P02");

        List<String> seen = new ArrayList<>(LOG_LINES);
        for (String ns : List.of("canary-a", "canary-b", "canary-c", "canary-d")) {
            for (SchemaMigration m : kube.client().resources(SchemaMigration.class).inNamespace(ns).list().getItems()) {
                seen.add(kube.client().getKubernetesSerialization().asYaml(m));
            }
            for (Event e : kube.client().v1().events().inNamespace(ns).list().getItems()) {
                seen.add(e.getReason() + ": " + e.getMessage());
            }
        }
        // The capture works: it holds the run's transitions, the gate's blocker and the failure.
        assertThat(LOG_LINES).anyMatch(l -> l.contains("canary-a/gated"));
        assertThat(String.join("\n", seen)).contains("SELECT customers", "dupes_email", "AuthenticationFailed");
        assertThat(seen).noneMatch(line -> line.contains(PASSWORD)).noneMatch(line -> line.contains(DATA))
                .noneMatch(line -> line.contains(SUFFIX + "@"));
    }

    private static String migration(String name, String sql, String extra) {
        return """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: %s}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: "%s"
                  %s
                """.formatted(name, sql, extra);
    }

    private static SchemaMigrationStatus awaitStatus(String ns, String name, Predicate<SchemaMigrationStatus> p) {
        SchemaMigrationStatus[] last = new SchemaMigrationStatus[1];
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .alias("status of " + ns + "/" + name + ", last " + (last[0] == null ? null : last[0].message))
                .until(() -> {
                    SchemaMigration m = fx.get(ns, name);
                    last[0] = m == null ? null : m.getStatus();
                    return last[0] != null && last[0].phase != null && p.test(last[0]);
                });
        return last[0];
    }
}
