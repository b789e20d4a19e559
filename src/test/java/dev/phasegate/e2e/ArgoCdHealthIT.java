package dev.phasegate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.argocd.ArgoCdLua;
import dev.phasegate.argocd.ArgoCdTestFiles;
import dev.phasegate.argocd.MergePatch;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.ServiceAccountOperator;
import dev.phasegate.testing.WithKubeControlPlane;
import dev.phasegate.testing.WithPostgres;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Drives real migrations (real API server, the operator as its ServiceAccount, real PostgreSQL, the real Deployment
 * controller) through the states Argo CD must judge, and at each one runs deploy/argocd/health.lua in Argo CD's
 * sandbox on the live object: its verdict must be the one health_test.yaml gives for that state. The actions run
 * the same way, and what they return is merge-patched onto the live object, as Argo CD does, for the operator to
 * act on. With -Dphasegate.argocd.capture=true each live object is also written to deploy/argocd/testdata, the
 * inputs of the fast ArgoCdHealthTest and ArgoCdActionsTest (=name,name captures just those).
 */
@WithKubeControlPlane
@WithPostgres
class ArgoCdHealthIT {
    private static final String NS = ServiceAccountOperator.NAMESPACE;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** "true" captures every state; a comma list captures only those (the others' messages stay as tested). */
    private static final String CAPTURE = System.getProperty("phasegate.argocd.capture", "");
    /** Label on every migration this class creates, so it deletes just those at the end. */
    private static final String MINE = "phasegate.dev/test";

    static KubeControlPlane kube;
    static PostgresDatabase db;
    static KubeFixtures fx;
    static ServiceAccountOperator operator;

    @BeforeAll
    static void start() throws SQLException {
        operator = ServiceAccountOperator.install(kube);
        fx = new KubeFixtures(kube.adminClient());
        fx.secret(NS, "shop-db", db);
        sql("CREATE TABLE orders (id bigserial PRIMARY KEY, status int NOT NULL DEFAULT 0)",
                "INSERT INTO orders (status) SELECT g % 3 FROM generate_series(1, 500) g",
                "CREATE TABLE invoices (id bigserial PRIMARY KEY, total int NOT NULL DEFAULT 0)",
                "INSERT INTO invoices (total) SELECT g FROM generate_series(1, 3000) g",
                "CREATE TABLE refunds (id bigserial PRIMARY KEY, amount int NOT NULL DEFAULT 1)",
                "INSERT INTO refunds (amount) SELECT g FROM generate_series(1, 10) g");
    }

    @AfterAll
    static void stop() {
        if (operator == null) {
            return;
        }
        // The control plane is shared by every test class of the JVM, namespace default included: leave it as found.
        // The operator must still run while the migrations go, to take its finalizer off.
        KubernetesClient admin = kube.adminClient();
        admin.resources(SchemaMigration.class).inNamespace(NS).withLabel(MINE, "argocd-health").delete();
        await("this class's migrations are gone").atMost(Duration.ofSeconds(60)).until(() ->
                admin.resources(SchemaMigration.class).inNamespace(NS).withLabel(MINE, "argocd-health").list().getItems().isEmpty());
        admin.apps().deployments().inNamespace(NS).withName("web-orders").delete();
        admin.apps().deployments().inNamespace(NS).withName("web-invoices").delete();
        admin.secrets().inNamespace(NS).withName("shop-db").delete();
        operator.close();
    }

    @Test
    void anObserveReleaseIsProgressingUntilTheExpandThenHealthyThroughTheWaitAndDegradedOnAbort() {
        fx.createDeployment(NS, "web-orders", "api", "registry.example/orders-api:1.0", 2);
        awaitRolledOut("web-orders", "registry.example/orders-api:1.0");
        Map<String, Object> created = createMigration("""
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata:
                  name: orders-status-text
                  labels: {phasegate.dev/test: argocd-health}
                  annotations: {argocd.argoproj.io/sync-wave: "-1"}
                spec:
                  database: {secretRef: {name: shop-db}}
                  application: {deployment: web-orders, container: api, image: "registry.example/orders-api:2.0", mode: Observe}
                  compatibleSchema:
                    sql: ALTER TABLE orders ADD COLUMN status_v2 text;
                    rollbackSql: ALTER TABLE orders DROP COLUMN IF EXISTS status_v2;
                  backfill: {table: orders, keyColumn: id, set: "status_v2 = status::text", where: "status_v2 IS DISTINCT FROM (status::text)"}
                  cleanup: {sql: ALTER TABLE orders DROP COLUMN status;}
                  waits: {afterCompatibleSchema: 0s, afterCodeDeploy: 24h, afterBackfill: 168h}
                """);
        // The object as the API server stored it, before the operator wrote any status.
        verdict("created", created);

        reach("orders-status-text", s -> s.reason == Reason.WaitingForRollout, "waiting-for-rollout");
        // The same gate for a pipeline without Argo CD.
        assertThat(kube.kubectl("wait", "--for=condition=SchemaCompatible", "--timeout=30s",
                "smig/orders-status-text", "-n", NS).orThrow()).contains("condition met");

        // A spec edit: until the operator answers generation 2, the status is about generation 1.
        GenericKubernetesResource edited = migration("orders-status-text").edit(m -> {
            ((Map<String, Object>) ((Map<String, Object>) m.getAdditionalProperties().get("spec")).get("waits"))
                    .put("afterBackfill", "169h");
            return m;
        });
        Map<String, Object> stale = asMap(edited);
        assertThat(((Map<?, ?>) stale.get("status")).get("observedGeneration")).isEqualTo(1);
        verdict("stale-generation", stale);

        fx.setImage(NS, "web-orders", "api", "registry.example/orders-api:2.0");
        Map<String, Object> waiting = reach("orders-status-text",
                s -> s.phase == MigrationPhase.Backfill && s.reason == Reason.WaitingPeriod, "waiting-period");

        // Abort from the Argo CD UI while the new code runs: the schema stays until Git reverts the image.
        runAction("abort", waiting);
        reach("orders-status-text", s -> s.phase == MigrationPhase.RollingBack && s.reason == Reason.WaitingForRollout,
                "abort-waiting-for-revert");

        fx.setImage(NS, "web-orders", "api", "registry.example/orders-api:1.0");
        reach("orders-status-text", s -> s.phase == MigrationPhase.RolledBack, "rolled-back");
    }

    @Test
    void theBackfillAndACleanupWaitingForOldPodsAreHealthyAndTheEndIsHealthy() {
        fx.createDeployment(NS, "web-invoices", "api", "registry.example/invoices-api:1.0", 2);
        awaitRolledOut("web-invoices", "registry.example/invoices-api:1.0");
        fx.migration(NS, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: invoices-total-bigint, labels: {phasegate.dev/test: argocd-health}}
                spec:
                  database: {secretRef: {name: shop-db}}
                  application: {deployment: web-invoices, container: api, image: "registry.example/invoices-api:2.0", mode: Observe}
                  compatibleSchema:
                    sql: ALTER TABLE invoices ADD COLUMN total_v2 bigint;
                    rollbackSql: ALTER TABLE invoices DROP COLUMN IF EXISTS total_v2;
                  backfill:
                    table: invoices
                    keyColumn: id
                    set: "total_v2 = total"
                    where: "total_v2 IS DISTINCT FROM total"
                    batchSize: 100
                    maxBatchSize: 100
                    pauseBetweenBatches: 300ms
                  cleanup: {sql: ALTER TABLE invoices DROP COLUMN total;}
                  waits: {afterCompatibleSchema: 0s, afterCodeDeploy: 0s, afterBackfill: 0s}
                """);
        awaitStatus("invoices-total-bigint", s -> s.reason == Reason.WaitingForRollout);
        fx.setImage(NS, "web-invoices", "api", "registry.example/invoices-api:2.0");
        reach("invoices-total-bigint", s -> s.reason == Reason.BackfillRunning && s.backfill != null
                && s.backfill.rowsDone != null && s.backfill.rowsDone > 0, "backfill-running");

        // The app is rolled back to the old image during the backfill: Cleanup must not drop what it reads.
        fx.setImage(NS, "web-invoices", "api", "registry.example/invoices-api:1.0");
        reach("invoices-total-bigint", s -> s.reason == Reason.OldPodsRemaining, "cleanup-waits-for-old-pods");

        fx.setImage(NS, "web-invoices", "api", "registry.example/invoices-api:2.0");
        reach("invoices-total-bigint", s -> s.phase == MigrationPhase.Succeeded, "succeeded");
    }

    @Test
    void beforeTheExpandAClosedGateIsSuspendedAndThePauseAndResumeActionsReachTheOperator() {
        shopMigration("refunds-note", """
                compatibleSchema: {sql: ALTER TABLE refunds ADD COLUMN note text;}
                health: {maxConnectionUsage: 0.001}
                """);
        Map<String, Object> gateClosed = reach("refunds-note", s -> s.reason == Reason.ConnectionSaturation,
                "gate-closed-before-expand");
        runAction("pause", gateClosed);
        Map<String, Object> paused = reach("refunds-note", s -> s.state == MigrationState.Paused,
                "paused-before-expand");
        runAction("resume", paused);
        awaitStatus("refunds-note", s -> s.reason == Reason.ConnectionSaturation && s.observedGeneration == 3);
    }

    @Test
    void beforeTheExpandAnAwaitedApprovalIsSuspendedAndTheApproveActionReachesTheOperator() {
        shopMigration("refunds-approved", """
                approvalRequired: [CompatibleSchema]
                compatibleSchema: {sql: ALTER TABLE refunds ADD COLUMN approved_by text;}
                """);
        Map<String, Object> awaiting = reach("refunds-approved", s -> s.reason == Reason.AwaitingApproval,
                "awaiting-approval-before-expand");
        runAction("approve", awaiting);
        SchemaMigrationStatus done = awaitStatus("refunds-approved", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(done.phases.get(0).approval.approvedBy).as("the approval is Argo CD's")
                .isEqualTo("system:serviceaccount:argocd:argocd-server");
    }

    @Test
    void beforeTheExpandAWindowIsProgressingAndWhatNeedsAGitFixIsDegraded() {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("HH:mm");
        shopMigration("refunds-window", """
                compatibleSchema: {sql: ALTER TABLE refunds ADD COLUMN reviewed boolean;}
                windows: [{days: [Mon, Tue, Wed, Thu, Fri, Sat, Sun], start: "%s", end: "%s", timeZone: UTC}]
                """.formatted(now.plusHours(2).format(hhmm), now.plusHours(3).format(hhmm)));
        reach("refunds-window", s -> s.reason == Reason.OutsideWindow, "outside-window");

        fx.migration(NS, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: refunds-no-secret, labels: {phasegate.dev/test: argocd-health}}
                spec:
                  database: {secretRef: {name: refunds-db}}
                  compatibleSchema: {sql: ALTER TABLE refunds ADD COLUMN channel text;}
                """);
        reach("refunds-no-secret", s -> s.reason == Reason.SecretNotFound, "secret-not-found");

        // Valid for the CRD's schema and CEL rules (they know no time zone list), refused by the operator.
        shopMigration("refunds-zone", """
                compatibleSchema: {sql: ALTER TABLE refunds ADD COLUMN zone text;}
                windows: [{start: "01:00", end: "05:00", timeZone: Mars/Olympus_Mons}]
                """);
        reach("refunds-zone", s -> s.reason == Reason.InvalidSpec, "invalid-spec");

        shopMigration("refunds-typo", """
                compatibleSchema: {sql: ALTER TABLE refunds ADD COLUMN reason text DEFAULT;}
                """);
        reach("refunds-typo", s -> s.reason == Reason.SqlError, "sql-error-before-expand");

        // The second statement fails on the existing rows after the first was applied, and there is no rollbackSql.
        shopMigration("refunds-check", """
                compatibleSchema:
                  sql: |
                    ALTER TABLE refunds ADD COLUMN currency text;
                    ALTER TABLE refunds ADD CONSTRAINT refunds_amount_negative CHECK (amount < 0);
                """);
        reach("refunds-check", s -> s.phase == MigrationPhase.Failed, "failed");
    }

    // ---------------------------------------------------------------- helpers

    /** A migration on the shop database with the given spec (below spec.database). */
    private static void shopMigration(String name, String spec) {
        fx.migration(NS, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: %s, labels: {phasegate.dev/test: argocd-health}}
                spec:
                  database: {secretRef: {name: shop-db}}
                %s""".formatted(name, spec.indent(2)));
    }

    /** Waits for a state, then checks (and captures) the verdict on the live object, which it returns. */
    private static Map<String, Object> reach(String name, Predicate<SchemaMigrationStatus> state, String capture) {
        awaitStatus(name, state);
        Map<String, Object> live = live(name);
        verdict(capture, live);
        return live;
    }

    /** Asserts health.lua's verdict on a live object, and with capture on saves it as testdata/NAME.yaml. */
    private static void verdict(String capture, Map<String, Object> object) {
        ArgoCdTestFiles.HealthCase expected = ArgoCdTestFiles.healthCase(capture);
        if (CAPTURE.equals("true") || List.of(CAPTURE.split(",")).contains(capture)) {
            Path file = Path.of("deploy", "argocd", "testdata", capture + ".yaml");
            Map<String, Object> written = ArgoCdTestFiles.write(file, object);
            assertThat(MergePatch.same(ArgoCdTestFiles.load(file), written)).as("%s reads back as written", file)
                    .isTrue();
        }
        Map<?, ?> result = (Map<?, ?>) ArgoCdLua.run("health.lua", object);
        assertThat(result.get("status")).as("health of %s: %s", capture, result.get("message"))
                .isEqualTo(expected.status());
        assertThat((String) result.get("message")).isNotBlank();
    }

    /** Runs an action script on the live object and merge-patches what it returns onto it, as Argo CD does. */
    @SuppressWarnings("unchecked")
    private static void runAction(String action, Map<String, Object> object) {
        Map<String, Object> returned = (Map<String, Object>) ArgoCdLua.run("actions/" + action + "/action.lua",
                object);
        Map<String, Object> patch = MergePatch.between(object, returned);
        assertThat(patch).as("the %s action changes something", action).isNotEmpty();
        String name = (String) ((Map<String, Object>) object.get("metadata")).get("name");
        migration(name).patch(PatchContext.of(PatchType.JSON_MERGE),
                kube.adminClient().getKubernetesSerialization().asJson(patch));
    }

    /** Creates a migration and returns the object exactly as the API server answered, before any status. */
    private static Map<String, Object> createMigration(String yaml) {
        GenericKubernetesResource m = kube.adminClient().getKubernetesSerialization().unmarshal(yaml,
                GenericKubernetesResource.class);
        return asMap(kube.adminClient().genericKubernetesResources(SchemaMigration.GROUP + "/"
                + SchemaMigration.VERSION, "SchemaMigration").inNamespace(NS).resource(m).create());
    }

    private static Resource<GenericKubernetesResource> migration(String name) {
        return kube.adminClient().genericKubernetesResources(SchemaMigration.GROUP + "/" + SchemaMigration.VERSION,
                "SchemaMigration").inNamespace(NS).withName(name);
    }

    private static Map<String, Object> live(String name) {
        return asMap(migration(name).get());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return kube.adminClient().getKubernetesSerialization().convertValue(o, LinkedHashMap.class);
    }

    private static SchemaMigrationStatus awaitStatus(String name, Predicate<SchemaMigrationStatus> p) {
        try {
            return fx.awaitStatus(NS, name, p, TIMEOUT);
        } catch (RuntimeException e) {
            SchemaMigration m = fx.get(NS, name);
            SchemaMigrationStatus s = m == null ? null : m.getStatus();
            throw new AssertionError("last status of " + name + ": "
                    + (s == null ? "none" : s.phase + " " + s.state + " " + s.reason + ": " + s.message), e);
        }
    }

    private static void awaitRolledOut(String name, String image) {
        await(name + " rolled out to " + image).atMost(TIMEOUT).until(() -> {
            var d = kube.adminClient().apps().deployments().inNamespace(NS).withName(name).get();
            return d.getStatus() != null && image.equals(d.getSpec().getTemplate().getSpec().getContainers().get(0)
                    .getImage()) && d.getSpec().getReplicas().equals(d.getStatus().getAvailableReplicas())
                    && d.getSpec().getReplicas().equals(d.getStatus().getUpdatedReplicas());
        });
    }

    private static void sql(String... statements) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }
}
