package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.OperatorHarness;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithOperator;
import dev.phasegate.testing.WithPostgres;
import io.fabric8.kubernetes.api.model.Event;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The stale-row hazard of the rollout window, end to end: new pods write both columns, old pods then update only the
 * old one; an IS NULL guard leaves those rows stale, and Cleanup must not drop the only correct copy.
 */
@WithPostgres
@WithOperator
class ConsistencyIT {
    static OperatorHarness kube;
    static KubeFixtures fx;
    static PostgresDatabase db;

    @Test
    void staleRowsFromOldCodeHoldCleanupUntilADistinctFromGuardFixesThem() throws Exception {
        String ns = "consist";
        sql("CREATE TABLE cs_orders (id bigint PRIMARY KEY, status int NOT NULL)");
        sql("INSERT INTO cs_orders SELECT g, g % 4 FROM generate_series(1, 5000) g");
        fx.secret(ns, "db", db);
        fx.deployment(ns, "cs-api", "api", "registry.example/cs-api:1.0", 2);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: status-v2}
                spec:
                  database: {secretRef: {name: db}}
                  application: {deployment: cs-api, container: api, image: "registry.example/cs-api:2.0"}
                  compatibleSchema:
                    sql: ALTER TABLE cs_orders ADD COLUMN status_v2 text;
                  backfill:
                    table: cs_orders
                    keyColumn: id
                    set: "status_v2 = 's' || status"
                    where: "status_v2 IS NULL"
                    batchSize: 1000
                    pauseBetweenBatches: 0s
                  cleanup:
                    sql: ALTER TABLE cs_orders DROP COLUMN status;
                """);
        awaitStatus(ns, "status-v2", s -> s.phase == MigrationPhase.CodeDeploy && s.reason == Reason.WaitingForRollout);
        assertThat(columns("cs_orders")).contains("status_v2");
        assertThat(events(ns)).as("warned before anything ran").anySatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getMessage()).contains("status_v2 IS NULL", "stale", "spec.backfill.sync: Trigger");
        });

        // The rollout window: one new pod, one old pod, both writing.
        fx.setImage(ns, "cs-api", "api", "registry.example/cs-api:2.0");
        fx.partialRollout(ns, "cs-api", 1);
        awaitStatus(ns, "status-v2", s -> s.reason == Reason.RolloutInProgress);
        List<Long> stale = new ArrayList<>();
        try (Connection newPod = app("cs-api:2.0"); Connection oldPod = app("cs-api:1.9");
                PreparedStatement newWrite = newPod.prepareStatement(
                        "UPDATE cs_orders SET status = ?, status_v2 = 's' || ? WHERE id = ?");
                PreparedStatement oldWrite = oldPod.prepareStatement(
                        "UPDATE cs_orders SET status = status + 10 WHERE id = ?")) {
            for (long id = 1; id <= 400; id++) {
                boolean oldFirst = id > 300;
                if (oldFirst) {
                    write(oldWrite, id);
                }
                newWrite.setInt(1, (int) (id % 7));
                newWrite.setInt(2, (int) (id % 7));
                newWrite.setLong(3, id);
                newWrite.executeUpdate();
                if (!oldFirst && id % 3 == 0) {
                    write(oldWrite, id);
                    stale.add(id);
                }
            }
        }
        assertThat(stale).hasSize(100);
        fx.completeRollout(ns, "cs-api");

        SchemaMigrationStatus held = awaitStatus(ns, "status-v2", s -> s.reason == Reason.Inconsistent);
        assertThat(held.phase).isEqualTo(MigrationPhase.Cleanup);
        assertThat(held.state).isEqualTo(MigrationState.Blocked);
        assertThat(held.backfill.mismatchedRows).isEqualTo(100);
        assertThat(held.backfill.mismatchedKeys).containsExactly("3", "6", "9", "12", "15");
        assertThat(held.backfill.verifiedAt).isNotNull();
        assertThat(held.message).contains("100 row(s) of cs_orders", "status_v2 IS NULL",
                "status_v2 IS DISTINCT FROM ('s' || status)");
        assertThat(held.conditions).anySatisfy(c -> {
            assertThat(c.type).isEqualTo("Degraded");
            assertThat(c.status).isEqualTo("True");
        });
        assertThat(columns("cs_orders")).as("Cleanup held: the only correct copy is still there").contains("status");
        assertThat(events(ns)).anySatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("Inconsistent");
            assertThat(e.getMessage()).contains("100 row(s)");
        });
        sql("CREATE TABLE cs_truth AS SELECT id, 's' || status AS v FROM cs_orders");

        editSpec(ns, "status-v2", m -> m.getSpec().backfill.where = "status_v2 IS DISTINCT FROM ('s' || status)");
        SchemaMigrationStatus done = awaitStatus(ns, "status-v2", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(columns("cs_orders")).doesNotContain("status");
        assertThat(count("SELECT count(*) FROM cs_orders o JOIN cs_truth t USING (id) WHERE o.status_v2 IS DISTINCT"
                + " FROM t.v")).isZero();
        assertThat(done.backfill.mismatchedRows).as("the count right before Cleanup").isZero();
        PhaseStatus backfill = done.phases.stream().filter(p -> p.name == PhaseName.Backfill).findFirst()
                .orElseThrow();
        assertThat(backfill.attempts).as("the edit ran the backfill again").isEqualTo(2);
        assertThat(events(ns)).anySatisfy(e -> assertThat(e.getMessage()).contains("runs again"));
    }

    @Test
    void withTheSyncTriggerOldCodeCannotLeaveARowStaleAndCleanupDropsTheTrigger() throws Exception {
        String ns = "consist-sync";
        sql("CREATE TABLE cs_synced (id bigint PRIMARY KEY, status int NOT NULL)");
        sql("INSERT INTO cs_synced SELECT g, g % 4 FROM generate_series(1, 5000) g");
        fx.secret(ns, "db", db);
        fx.deployment(ns, "sync-api", "api", "registry.example/sync-api:1.0", 2);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: status-v2}
                spec:
                  database: {secretRef: {name: db}}
                  application: {deployment: sync-api, container: api, image: "registry.example/sync-api:2.0"}
                  compatibleSchema:
                    sql: ALTER TABLE cs_synced ADD COLUMN status_v2 text;
                    rollbackSql: ALTER TABLE cs_synced DROP COLUMN IF EXISTS status_v2;
                  backfill:
                    table: cs_synced
                    keyColumn: id
                    set: "status_v2 = 's' || status"
                    where: "status_v2 IS NULL"
                    sync: Trigger
                    batchSize: 1000
                    pauseBetweenBatches: 0s
                  cleanup:
                    sql: ALTER TABLE cs_synced DROP COLUMN status;
                """);
        SchemaMigrationStatus expanded = awaitStatus(ns, "status-v2",
                s -> s.phase == MigrationPhase.CodeDeploy && s.reason == Reason.WaitingForRollout);
        assertThat(expanded.phases.get(0).statementsDone).as("the expand and the trigger's three").isEqualTo(4);
        assertThat(count("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'cs_synced'::regclass"
                + " AND tgname LIKE 'phasegate_sync_%'")).isEqualTo(1);
        assertThat(events(ns)).as("with the trigger an IS NULL guard is safe")
                .noneSatisfy(e -> assertThat(e.getMessage()).contains("stale"));

        fx.setImage(ns, "sync-api", "api", "registry.example/sync-api:2.0");
        fx.partialRollout(ns, "sync-api", 1);
        awaitStatus(ns, "status-v2", s -> s.reason == Reason.RolloutInProgress);
        try (Connection newPod = app("sync-api:2.0"); Connection oldPod = app("sync-api:1.9");
                PreparedStatement newWrite = newPod.prepareStatement(
                        "UPDATE cs_synced SET status = ?, status_v2 = 's' || ? WHERE id = ?");
                PreparedStatement oldWrite = oldPod.prepareStatement(
                        "UPDATE cs_synced SET status = status + 10 WHERE id = ?");
                PreparedStatement oldInsert = oldPod.prepareStatement(
                        "INSERT INTO cs_synced (id, status) VALUES (?, 3)")) {
            for (long id = 1; id <= 300; id++) {
                newWrite.setInt(1, (int) (id % 7));
                newWrite.setInt(2, (int) (id % 7));
                newWrite.setLong(3, id);
                newWrite.executeUpdate();
                if (id % 3 == 0) {
                    write(oldWrite, id);
                }
            }
            oldInsert.setLong(1, 9001);
            oldInsert.executeUpdate();
        }
        assertThat(count("SELECT count(*) FROM cs_synced WHERE (id <= 300 OR id = 9001)"
                + " AND status_v2 IS DISTINCT FROM 's' || status")).as("the trigger kept up with old code").isZero();
        fx.completeRollout(ns, "sync-api");

        SchemaMigrationStatus done = awaitStatus(ns, "status-v2", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(done.backfill.mismatchedRows).isZero();
        assertThat(columns("cs_synced")).doesNotContain("status");
        assertThat(count("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'cs_synced'::regclass"
                + " AND tgname LIKE 'phasegate_sync_%'")).as("dropped before the column it reads").isZero();
        assertThat(count("SELECT count(*) FROM pg_proc WHERE proname LIKE 'phasegate_sync_%'")).isZero();
        sql("INSERT INTO cs_synced (id, status_v2) VALUES (9002, 's1')");
        assertThat(count("SELECT count(*) FROM cs_synced WHERE status_v2 IS NULL")).isZero();
    }

    @Test
    void anAbortDropsTheSyncTriggerBeforeTheExpandsRollback() throws Exception {
        String ns = "consist-abort";
        sql("CREATE TABLE cs_aborted (id bigint PRIMARY KEY, status int NOT NULL)");
        sql("INSERT INTO cs_aborted SELECT g, g % 4 FROM generate_series(1, 100) g");
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: status-v2}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: ALTER TABLE cs_aborted ADD COLUMN status_v2 text;
                    rollbackSql: ALTER TABLE cs_aborted DROP COLUMN IF EXISTS status_v2;
                  backfill: {table: cs_aborted, keyColumn: id, set: "status_v2 = 's' || status",
                             where: "status_v2 IS NULL", sync: Trigger}
                  cleanup: {sql: ALTER TABLE cs_aborted DROP COLUMN status;}
                  waits: {afterCompatibleSchema: 1h}
                """);
        awaitStatus(ns, "status-v2", s -> s.reason == Reason.WaitingPeriod);
        assertThat(count("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'cs_aborted'::regclass"
                + " AND tgname LIKE 'phasegate_sync_%'")).isEqualTo(1);
        editSpec(ns, "status-v2", m -> m.getSpec().abort = true);
        awaitStatus(ns, "status-v2", s -> s.phase == MigrationPhase.RolledBack);
        assertThat(columns("cs_aborted")).containsExactlyInAnyOrder("id", "status");
        assertThat(count("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'cs_aborted'::regclass"
                + " AND tgname LIKE 'phasegate_sync_%'")).isZero();
        sql("UPDATE cs_aborted SET status = 1 WHERE id = 1");
    }

    private static void write(PreparedStatement oldWrite, long id) throws SQLException {
        oldWrite.setLong(1, id);
        oldWrite.executeUpdate();
    }

    private static Connection app(String name) throws SQLException {
        Connection c = db.connect();
        try (Statement s = c.createStatement()) {
            s.execute("SET application_name = '" + name + "'");
        }
        return c;
    }

    private static void editSpec(String ns, String name, Consumer<SchemaMigration> change) {
        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName(name).edit(m -> {
            change.accept(m);
            m.getMetadata().setGeneration(m.getMetadata().getGeneration() == null ? 2
                    : m.getMetadata().getGeneration() + 1);
            return m;
        });
    }

    private static SchemaMigrationStatus awaitStatus(String ns, String name, Predicate<SchemaMigrationStatus> p) {
        SchemaMigrationStatus[] last = new SchemaMigrationStatus[1];
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .alias("status of " + ns + "/" + name)
                .until(() -> {
                    SchemaMigration m = fx.get(ns, name);
                    last[0] = m == null ? null : m.getStatus();
                    return last[0] != null && last[0].phase != null && p.test(last[0]);
                });
        return last[0];
    }

    private static List<Event> events(String ns) {
        return kube.client().v1().events().inNamespace(ns).list().getItems();
    }

    private static void sql(String statement) throws SQLException {
        db.execute(statement);
    }

    private static long count(String query) throws SQLException {
        return db.count(query);
    }

    private static List<String> columns(String table) throws SQLException {
        return db.columns(table);
    }
}
