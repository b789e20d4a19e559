package dev.phasegate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseState;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.engine.Note;
import dev.phasegate.kube.EventRecorder;
import dev.phasegate.kube.EventSeries;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.KubeControlPlane.AuditEntry;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.MutableClock;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.ServiceAccountOperator;
import dev.phasegate.testing.WithKubeControlPlane;
import dev.phasegate.testing.WithPostgres;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operator, installed from deploy/operator.yaml, runs in-process with a real token of its ServiceAccount, so the
 * real API server enforces every RBAC rule; migrations run against a real PostgreSQL, and the real Deployment
 * controller (with the pod stand-in) computes the rollouts the CodeDeploy phase waits for.
 */
@WithKubeControlPlane
@WithPostgres
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorAsServiceAccountIT {

    private static final String NS = ServiceAccountOperator.NAMESPACE;
    private static final String OPERATOR_USER = ServiceAccountOperator.USER;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /**
     * Granted but not used by an Observe and a Patch migration run to Succeeded: the reconciler reads
     * SchemaMigrations through its informer (list/watch); get is what the operator SDK uses to re-read the object
     * when a finalizer patch meets a conflict (409), which a clean run does not hit (docs/install.md says so).
     * leases update: the Fabric8 lease lock renews with patch, but JOSDK refuses to start leader election unless a
     * SelfSubjectRulesReview shows get, create and update. Any other unused rule fails the test.
     */
    private static final Set<String> KNOWN_UNUSED = Set.of("phasegate.dev/schemamigrations:get",
            "coordination.k8s.io/leases:update");
    /** Allowed to every authenticated user (system:basic-user), not by our RBAC: JOSDK's check of the Lease rules. */
    private static final String RULES_REVIEW = "authorization.k8s.io/selfsubjectrulesreviews:create";

    static KubeControlPlane kube;
    static PostgresDatabase db;
    static KubeFixtures fx;
    static ServiceAccountOperator operator;

    @BeforeAll
    static void installAndStartOperator() {
        operator = ServiceAccountOperator.install(kube);
        fx = new KubeFixtures(kube.adminClient());
    }

    @AfterAll
    static void stopOperator() {
        if (operator != null) {
            operator.close();
        }
    }

    @Test
    @Order(1)
    void observeModeMigrationRunsEveryPhaseToSucceeded() throws Exception {
        sql("CREATE TABLE orders (id bigserial PRIMARY KEY, status int NOT NULL DEFAULT 0)");
        sql("INSERT INTO orders (status) SELECT g % 3 FROM generate_series(1, 2000) g");
        fx.secret(NS, "orders-db", db);
        deployment("orders-api", "api", "registry.example/orders-api:1.0", 2);
        awaitRolledOut("orders-api", "registry.example/orders-api:1.0", 2);

        fx.migration(NS, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: orders-status-v2}
                spec:
                  database: {secretRef: {name: orders-db}}
                  application: {deployment: orders-api, container: api, image: "registry.example/orders-api:2.0", mode: Observe}
                  compatibleSchema:
                    sql: |
                      ALTER TABLE orders ADD COLUMN status_v2 text;
                      CREATE INDEX CONCURRENTLY orders_status_v2_idx ON orders (status_v2);
                    rollbackSql: |
                      DROP INDEX CONCURRENTLY IF EXISTS orders_status_v2_idx;
                      ALTER TABLE orders DROP COLUMN IF EXISTS status_v2;
                  backfill:
                    table: orders
                    keyColumn: id
                    set: "status_v2 = status::text"
                    where: "status_v2 IS NULL"
                    batchSize: 500
                    pauseBetweenBatches: 0s
                  cleanup:
                    sql: ALTER TABLE orders DROP COLUMN status;
                """);

        awaitStatus("orders-status-v2", s -> s.phase == MigrationPhase.CodeDeploy && s.reason == Reason.WaitingForRollout);
        assertThat(columns("orders")).contains("status_v2", "status");

        // GitOps changes the image; the real Deployment controller rolls it out with the stand-in's pods.
        kube.adminClient().apps().deployments().inNamespace(NS).withName("orders-api").edit(d -> {
            d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("registry.example/orders-api:2.0");
            return d;
        });

        SchemaMigrationStatus done = awaitStatus("orders-status-v2", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(done.phases).filteredOn(p -> p.name == PhaseName.Backfill)
                .allSatisfy(p -> assertThat(p.state).isEqualTo(PhaseState.Succeeded));
        assertThat(columns("orders")).contains("status_v2").doesNotContain("status");
        assertThat(count("SELECT count(*) FROM orders WHERE status_v2 IS NULL")).isZero();
        assertThat(kube.kubectl("get", "events", "-n", NS, "--field-selector",
                "involvedObject.name=orders-status-v2", "-o", "jsonpath={.items[*].reason}").orThrow())
                .contains("Succeeded");

        // What a person sees, from the real kubectl: the CRD's printer columns and kubectl describe.
        List<String> table = kube.kubectl("get", "smig", "orders-status-v2", "-n", NS).orThrow().lines().toList();
        assertThat(table.get(0).split("\\s+")).containsExactly("NAME", "PHASE", "STATE", "REASON", "NEXT", "AGE");
        assertThat(table.get(1).split("\\s+")).startsWith("orders-status-v2", "Succeeded", done.state.name());
        String describe = kube.kubectl("describe", "smig", "orders-status-v2", "-n", NS).orThrow();
        assertThat(describe).contains("Conditions:", "Ready", "Events:", "Succeeded");
    }

    @Test
    @Order(2)
    void patchModeMigrationsSucceedRepeatedlyAndKubectlWaitSeesThem() throws Exception {
        sql("CREATE TABLE invoices (id bigserial PRIMARY KEY, total int)");
        fx.secret(NS, "invoices-db", db);
        deployment("invoices-api", "api", "registry.example/invoices-api:1", 1);
        awaitRolledOut("invoices-api", "registry.example/invoices-api:1", 1);

        // Each Patch of the Deployment triggers a reconcile while the status write of the previous one may still be
        // in flight: real watch latency and resourceVersion conflicts, several times over.
        for (int i = 2; i <= 4; i++) {
            String name = "invoices-v" + i;
            fx.migration(NS, """
                    apiVersion: phasegate.dev/v1alpha1
                    kind: SchemaMigration
                    metadata: {name: %s}
                    spec:
                      database: {secretRef: {name: invoices-db}}
                      application: {deployment: invoices-api, image: "registry.example/invoices-api:%d", mode: Patch}
                      compatibleSchema:
                        sql: ALTER TABLE invoices ADD COLUMN c%d text;
                    """.formatted(name, i, i));
            java.util.concurrent.CompletableFuture<KubeControlPlane.KubectlResult> wait =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> kube.kubectl("wait",
                            "--for=condition=Ready", "--timeout=120s", "smig/" + name, "-n", NS));

            awaitStatus(name, s -> s.phase == MigrationPhase.Succeeded);
            awaitRolledOut("invoices-api", "registry.example/invoices-api:" + i, 1);
            assertThat(columns("invoices")).contains("c" + i);
            KubeControlPlane.KubectlResult waited = wait.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(waited.exitCode()).as(waited.toString()).isZero();
            assertThat(waited.stdout()).contains(name + " condition met");
        }
    }

    @Test
    @Order(3)
    void whatTheSchemaCannotExpressIsInvalidSpecFromTheOperator() throws Exception {
        fx.secret(NS, "odd-db", db);
        // Valid for the CRD's OpenAPI schema and CEL rules (a time zone is a string to them), so the API server
        // stores it; only the operator knows the IANA zones.
        fx.migration(NS, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: odd-zone}
                spec:
                  database: {secretRef: {name: odd-db}}
                  backfill: {table: t, keyColumn: id, set: "b = a", where: "b IS NULL"}
                  windows: [{start: "01:00", end: "05:00", timeZone: Mars/Olympus_Mons}]
                """);
        SchemaMigrationStatus s = awaitStatus("odd-zone", st -> st.reason == Reason.InvalidSpec);
        assertThat(s.message).contains("spec.windows[0]", "Mars/Olympus_Mons");
        assertThat(s.phase).isEqualTo(MigrationPhase.Pending);
        assertThat(kube.kubectl("describe", "smig", "odd-zone", "-n", NS).orThrow()).contains("InvalidSpec");
    }

    @Test
    @Order(5)
    void aMigrationCompletesWhileAnotherWriterKeepsChangingTheObject() throws Exception {
        sql("CREATE TABLE refunds (id bigserial PRIMARY KEY, total int)");
        fx.secret(NS, "refunds-db", db);
        String name = "refunds-v2";
        // Another writer keeps changing the object (as kubectl annotate or a GitOps controller would), so the
        // operator's reads are often older than the object; its writes from those are refused (409, proven
        // deterministically by kube/StatusWriterIT) and it must still get through.
        java.util.concurrent.atomic.AtomicBoolean bumping = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger bumps = new java.util.concurrent.atomic.AtomicInteger();
        Thread annotator = new Thread(() -> {
            while (bumping.get()) {
                try {
                    kube.adminClient().resources(SchemaMigration.class).inNamespace(NS).withName(name).edit(m -> {
                        m.getMetadata().getAnnotations().put("example.com/bump", String.valueOf(bumps.get()));
                        return m;
                    });
                    bumps.incrementAndGet();
                } catch (RuntimeException notYetOrConflict) {
                    // created a moment later, or our own edit met the operator's write: try again
                }
                org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(50)).until(() -> true);
            }
        }, "annotator");
        fx.migration(NS, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: %s, annotations: {example.com/bump: "0"}}
                spec:
                  database: {secretRef: {name: refunds-db}}
                  application: {deployment: invoices-api, image: "registry.example/invoices-api:5", mode: Patch}
                  compatibleSchema:
                    sql: ALTER TABLE refunds ADD COLUMN reason text;
                  waits: {afterCompatibleSchema: 3s}
                """.formatted(name));
        annotator.start();
        try {
            awaitStatus(name, st -> st.phase == MigrationPhase.Succeeded);
        } finally {
            bumping.set(false);
            annotator.join();
        }
        assertThat(bumps.get()).as("the object changed under the operator").isGreaterThan(5);
        assertThat(columns("refunds")).containsOnlyOnce("reason");
        long refused = kube.auditEntries().stream().filter(e -> OPERATOR_USER.equals(e.user())
                && "schemamigrations".equals(e.resource()) && "status".equals(e.subresource())
                && name.equals(e.name()) && e.code() == 409).count();
        System.out.printf("%s: %d changes by another writer, %d stale status writes refused%n", name, bumps.get(),
                refused);
    }

    @Test
    @Order(6)
    void aRepeatedNoteRaisesTheCountOfOneEventOnTheRealApiServer() {
        SchemaMigration m = fx.get(NS, "refunds-v2");
        MutableClock clock = new MutableClock(java.time.Instant.parse("2026-12-02T10:00:00Z"));
        // The operator's own recorder and credentials: the merge patch of count must pass RBAC and validation.
        EventRecorder recorder = new EventRecorder(kube.serviceAccountClient("phasegate-system", "phasegate"), clock);
        EventSeries series = new EventSeries(m.getMetadata().getName());
        for (int i = 1; i <= 8; i++) {
            recorder.record(m, Note.warning(Reason.RunnerBusy, "attempt " + i + ": the runner lock is held"), series);
            clock.advance(Duration.ofSeconds(10));
        }
        List<io.fabric8.kubernetes.api.model.Event> events = kube.adminClient().v1().events().inNamespace(NS)
                .withField("involvedObject.name", m.getMetadata().getName()).list().getItems().stream()
                .filter(e -> "RunnerBusy".equals(e.getReason())).toList();
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.getCount()).isBetween(7, 8);
            assertThat(e.getMessage()).startsWith("attempt 7");
        });
        String describe = kube.kubectl("describe", "smig", m.getMetadata().getName(), "-n", NS).orThrow();
        assertThat(describe).containsPattern("RunnerBusy\\s+.*x[78] over");
    }

    @Test
    @Order(10)
    void theOperatorGotNo403AndUsedEveryRuleItsRoleGrants() {
        // An existing cluster (PHASEGATE_TEST_KUBECONFIG) keeps its audit log where tests cannot read it.
        org.junit.jupiter.api.Assumptions.assumeTrue(kube.hasAuditLog(), "no audit log of an attached cluster");
        // Authenticated as the ServiceAccount by its own token: the test's impersonated kubectl auth can-i is not it.
        List<AuditEntry> mine = kube.auditEntries().stream()
                .filter(e -> OPERATOR_USER.equals(e.user()) && e.impersonatedUser() == null).toList();
        assertThat(mine).as("the operator's requests are in the audit log").isNotEmpty();
        assertThat(mine).filteredOn(e -> e.code() == 403).as("requests the operator's RBAC refused").isEmpty();

        Set<String> used = new TreeSet<>();
        mine.stream().filter(e -> e.resource() != null && e.code() < 400).forEach(e -> used.add(grant(e.apiGroup(),
                e.subresource() == null ? e.resource() : e.resource() + "/" + e.subresource(), e.verb())));
        Set<String> granted = new TreeSet<>();
        List<PolicyRule> rules = new ArrayList<>(kube.adminClient().rbac().roles().inNamespace(NS)
                .withName("phasegate").get().getRules());
        rules.addAll(kube.adminClient().rbac().roles().inNamespace("phasegate-system")
                .withName("phasegate-leader-election").get().getRules());
        for (PolicyRule rule : rules) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        granted.add(grant(group, resource, verb));
                    }
                }
            }
        }
        used.remove(RULES_REVIEW);
        assertThat(used).as("everything the operator did is granted (else it would have got a 403)")
                .isSubsetOf(granted);
        Set<String> unused = new TreeSet<>(granted);
        unused.removeAll(used);
        assertThat(unused).as("rules of deploy/operator.yaml that no request of a full migration used")
                .isSubsetOf(KNOWN_UNUSED);
    }

    private static String grant(String group, String resource, String verb) {
        return (group == null ? "" : group) + "/" + resource + ":" + verb;
    }

    // ---------------------------------------------------------------- helpers

    private static void deployment(String name, String container, String image, int replicas) {
        Deployment d = new DeploymentBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec().withReplicas(replicas)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName(container).withImage(image).endContainer().endSpec()
                .endTemplate().endSpec().build();
        kube.adminClient().apps().deployments().inNamespace(NS).resource(d).create();
    }

    private static void awaitRolledOut(String name, String image, int replicas) {
        await(name + " rolled out to " + image).atMost(TIMEOUT).untilAsserted(() -> {
            Deployment d = kube.adminClient().apps().deployments().inNamespace(NS).withName(name).get();
            assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo(image);
            assertThat(d.getStatus().getObservedGeneration()).isEqualTo(d.getMetadata().getGeneration());
            assertThat(d.getStatus().getUpdatedReplicas()).isEqualTo(replicas);
            assertThat(d.getStatus().getReplicas()).isEqualTo(replicas);
            assertThat(d.getStatus().getAvailableReplicas()).isEqualTo(replicas);
        });
    }

    private static SchemaMigrationStatus awaitStatus(String name, Predicate<SchemaMigrationStatus> p) {
        SchemaMigrationStatus[] last = new SchemaMigrationStatus[1];
        try {
            await("status of " + name).atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> {
                SchemaMigration m = fx.get(NS, name);
                last[0] = m == null ? null : m.getStatus();
                return last[0] != null && last[0].phase != null && p.test(last[0]);
            });
        } catch (RuntimeException e) {
            throw new AssertionError("last status of " + name + ": " + describe(last[0]), e);
        }
        return last[0];
    }

    private static String describe(SchemaMigrationStatus s) {
        return s == null ? "none" : s.phase + " " + s.state + " " + s.reason + ": " + s.message;
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
