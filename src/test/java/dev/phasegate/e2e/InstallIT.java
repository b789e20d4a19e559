package dev.phasegate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseState;
import dev.phasegate.api.PhaseStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.kube.MigrationValidator;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.KubeControlPlane.KubectlResult;
import dev.phasegate.testing.WithKubeControlPlane;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Installs phasegate exactly as the README says, with the real kubectl against a real API server, and proves that the
 * API server itself refuses invalid SchemaMigrations, naming the field.
 */
@WithKubeControlPlane
class InstallIT {

    private static final KubernetesSerialization YAML = new KubernetesSerialization();
    private static final String OPERATOR_SA = "system:serviceaccount:phasegate-system:phasegate";
    private static KubectlResult crdApply;
    private static KubectlResult operatorApply;

    @BeforeAll
    static void install(KubeControlPlane kube) {
        crdApply = kube.kubectl("apply", "-f", "crds/");
        // The CRD must be established before objects of its kind can be sent; kubectl wait is what a person runs.
        kube.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                "crd/schemamigrations.phasegate.dev").orThrow();
        operatorApply = kube.kubectl("apply", "-f", "deploy/operator.yaml");
    }

    @Test
    void crdsApplyAndTheCrdIsEstablished(KubeControlPlane kube) {
        assertThat(crdApply.exitCode()).as(crdApply.toString()).isZero();
        assertThat(crdApply.stdout()).contains("customresourcedefinition.apiextensions.k8s.io/schemamigrations.phasegate.dev");
        assertThat(kube.kubectl("get", "crd", "schemamigrations.phasegate.dev", "-o",
                "jsonpath={.status.conditions[?(@.type==\"Established\")].status}").orThrow()).isEqualTo("True");
        // The short name and the served version are what users type.
        assertThat(kube.kubectl("api-resources", "--api-group=phasegate.dev", "--no-headers").orThrow())
                .contains("smig").contains("phasegate.dev/v1alpha1").contains("SchemaMigration");
        assertThat(kube.kubectl("get", "smig", "-A").exitCode()).isZero();
    }

    @Test
    void operatorManifestAppliesAndGrantsTheOperatorOnlyItsNamespace(KubeControlPlane kube) {
        assertThat(operatorApply.exitCode()).as(operatorApply.toString()).isZero();
        assertThat(operatorApply.stdout()).contains("namespace/phasegate-system", "serviceaccount/phasegate",
                "role.rbac.authorization.k8s.io/phasegate", "rolebinding.rbac.authorization.k8s.io/phasegate",
                "deployment.apps/phasegate");
        // Applying again changes nothing: the manifests are stable under kubectl apply (as GitOps re-applies them).
        KubectlResult again = kube.kubectl("apply", "-f", "deploy/operator.yaml");
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(again.stdout().lines()).allMatch(l -> l.endsWith(" unchanged"));

        // RBAC as the real authorizer evaluates it for the operator's ServiceAccount; the authorizer reads bindings
        // from an informer cache, so a binding just applied takes a moment to count.
        await("the operator's RoleBinding takes effect").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(canI("list", "schemamigrations.phasegate.dev", "default", kube)).isEqualTo("yes"));
        assertThat(canI("update", "schemamigrations.phasegate.dev", "default", kube, "--subresource=status"))
                .isEqualTo("yes");
        assertThat(canI("patch", "schemamigrations.phasegate.dev", "default", kube, "--subresource=status"))
                .as("status is written with a PUT under optimistic locking, never patched").isEqualTo("no");
        // Leader election: the Lease in the operator's own namespace, and nothing else there.
        assertThat(canI("patch", "leases.coordination.k8s.io", "phasegate-system", kube)).isEqualTo("yes");
        assertThat(canI("delete", "leases.coordination.k8s.io", "phasegate-system", kube)).isEqualTo("no");
        assertThat(canI("get", "secrets", "phasegate-system", kube)).isEqualTo("no");
        // The finalizer: deletion cancels the running statement before the object goes.
        assertThat(canI("patch", "schemamigrations.phasegate.dev", "default", kube)).isEqualTo("yes");
        assertThat(canI("update", "schemamigrations.phasegate.dev", "default", kube)).isEqualTo("no");
        assertThat(canI("list", "secrets", "default", kube)).isEqualTo("no");
        assertThat(canI("list", "schemamigrations.phasegate.dev", "kube-system", kube)).isEqualTo("no");
    }

    private static String canI(String verb, String resource, String ns, KubeControlPlane kube, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("auth", "can-i", verb, resource, "-n", ns, "--as=" + OPERATOR_SA));
        args.addAll(List.of(more));
        // kubectl auth can-i exits 1 for "no"; its answer is on stdout either way.
        return kube.kubectl(args.toArray(String[]::new)).stdout().trim();
    }

    @Test
    void aValidMigrationIsAccepted(KubeControlPlane kube) {
        KubectlResult r = apply(kube, "valid", """
                  database: {secretRef: {name: db}}
                  application: {deployment: web, image: "web:2", mode: Patch}
                  backfill: {table: t, keyColumn: id, set: "b = a", where: "b IS NULL", batchSize: 1, pauseBetweenBatches: 20ms}
                  locks: {retries: 100, lockTimeout: 500ms}
                  health: {maxConnectionUsage: 1}
                  windows: [{start: "22:00", end: "24:00", days: [Sat]}]
                """);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("schemamigration.phasegate.dev/valid created");
        kube.kubectl("delete", "smig", "valid", "-n", "default").orThrow();
    }

    static Stream<Arguments> invalidMigrations() {
        return Stream.of(
                Arguments.of("enum", """
                          database: {secretRef: {name: db}}
                          application: {deployment: web, image: "web:2", mode: Replace}
                        """, List.of("spec.application.mode", "Unsupported value: \"Replace\"", "\"Observe\"", "\"Patch\"")),
                Arguments.of("required-database", """
                          paused: true
                        """, List.of("spec.database", "Required value")),
                Arguments.of("required-nested", """
                          database: {secretRef: {}}
                        """, List.of("spec.database.secretRef.name", "Required value")),
                Arguments.of("required-phase-sql", """
                          database: {secretRef: {name: db}}
                          cleanup: {rollbackSql: "SELECT 1"}
                        """, List.of("spec.cleanup.sql", "Required value")),
                Arguments.of("minimum", """
                          database: {secretRef: {name: db}}
                          backfill: {table: t, keyColumn: id, set: "b = a", where: "b IS NULL", batchSize: 0}
                        """, List.of("spec.backfill.batchSize", "should be greater than or equal to 1")),
                Arguments.of("maximum", """
                          database: {secretRef: {name: db}}
                          locks: {retries: 101}
                        """, List.of("spec.locks.retries", "should be less than or equal to 100")),
                Arguments.of("fraction-maximum", """
                          database: {secretRef: {name: db}}
                          health: {maxConnectionUsage: 1.5}
                        """, List.of("spec.health.maxConnectionUsage", "should be less than or equal to 1")),
                Arguments.of("duration-pattern", """
                          database: {secretRef: {name: db}}
                          backfill: {table: t, keyColumn: id, set: "b = a", where: "b IS NULL", pauseBetweenBatches: "5 minutes"}
                        """, List.of("spec.backfill.pauseBetweenBatches", "should match")),
                Arguments.of("window-pattern", """
                          database: {secretRef: {name: db}}
                          windows: [{start: "25:00", end: "06:00"}]
                        """, List.of("spec.windows[0].start", "should match")),
                Arguments.of("type", """
                          database: {secretRef: {name: db}}
                          backfill: {table: t, keyColumn: id, set: "b = a", where: "b IS NULL", batchSize: lots}
                        """, List.of("spec.backfill.batchSize", "integer")),
                // kubectl asks for strict field validation by default, so a typo is refused instead of pruned.
                Arguments.of("unknown-field", """
                          database: {secretRef: {name: db}}
                          compatibleSchema: {sql: "SELECT 1", rollbakSql: "SELECT 2"}
                        """, List.of("unknown field", "spec.compatibleSchema.rollbakSql")),
                Arguments.of("fraction-zero", """
                          database: {secretRef: {name: db}}
                          health: {maxConnectionUsage: 0}
                        """, List.of("spec.health.maxConnectionUsage", "should be greater than 0")));
    }

    /**
     * What the CRD's CEL rules ({@code x-kubernetes-validations}) refuse: each case breaks one rule of an otherwise
     * valid spec, and the operator's own validator (the second line, for objects stored before a rule existed)
     * refuses it too.
     */
    static Stream<Arguments> celRefusals() {
        String backfill = "backfill: {table: t, keyColumn: id, set: \"b = a\", where: \"b IS NULL\"";
        return Stream.of(
                Arguments.of("nothing-to-do", """
                          database: {secretRef: {name: db}}
                          paused: true
                        """, List.of("spec: Invalid value", "nothing to do", "spec.compatibleSchema")),
                Arguments.of("verify-both", """
                          database: {secretRef: {name: db}}
                          %s, verify: {skip: "new column differs", override: "checked by hand"}}
                        """.formatted(backfill), List.of("spec.backfill.verify", "mutually exclusive")),
                Arguments.of("verify-empty", """
                          database: {secretRef: {name: db}}
                          %s, verify: {}}
                        """.formatted(backfill), List.of("spec.backfill.verify", "set skip or override")),
                Arguments.of("verify-blank-reason", """
                          database: {secretRef: {name: db}}
                          %s, verify: {override: "  "}}
                        """.formatted(backfill), List.of("spec.backfill.verify.override", "needs a reason")),
                Arguments.of("verify-blank-skip", """
                          database: {secretRef: {name: db}}
                          %s, verify: {skip: ""}}
                        """.formatted(backfill), List.of("spec.backfill.verify.skip", "needs a reason")),
                Arguments.of("blank-set", """
                          database: {secretRef: {name: db}}
                          backfill: {table: t, keyColumn: id, set: "", where: "b IS NULL"}
                        """, List.of("spec.backfill.set", "is empty: give the assignments")),
                Arguments.of("target-batch-zero", """
                          database: {secretRef: {name: db}}
                          %s, targetBatchDuration: 0s}
                        """.formatted(backfill), List.of("spec.backfill.targetBatchDuration", "must be more than 0")),
                Arguments.of("min-above-max", """
                          database: {secretRef: {name: db}}
                          %s, minBatchSize: 10, maxBatchSize: 5}
                        """.formatted(backfill), List.of("spec.backfill.minBatchSize", "must not exceed maxBatchSize")),
                Arguments.of("min-above-default-max", """
                          database: {secretRef: {name: db}}
                          %s, minBatchSize: 200000}
                        """.formatted(backfill), List.of("spec.backfill.minBatchSize", "must not exceed maxBatchSize")),
                Arguments.of("lock-not-shorter", """
                          database: {secretRef: {name: db}}
                          cleanup: {sql: "SELECT 1"}
                          locks: {lockTimeout: 2m, statementTimeout: 1m30s}
                        """, List.of("spec.locks.lockTimeout", "shorter than statementTimeout")),
                Arguments.of("lock-not-shorter-than-default", """
                          database: {secretRef: {name: db}}
                          cleanup: {sql: "SELECT 1"}
                          locks: {lockTimeout: 45m}
                        """, List.of("spec.locks.lockTimeout", "shorter than statementTimeout")),
                Arguments.of("duration-zero", """
                          database: {secretRef: {name: db}}
                          cleanup: {sql: "SELECT 1"}
                          locks: {maxBlockedWait: 0ms}
                        """, List.of("spec.locks.maxBlockedWait", "must be more than 0")),
                Arguments.of("health-duration-zero", """
                          database: {secretRef: {name: db}}
                          cleanup: {sql: "SELECT 1"}
                          health: {maxTransactionAge: "0"}
                        """, List.of("spec.health.maxTransactionAge", "must be more than 0")),
                Arguments.of("table-name", """
                          database: {secretRef: {name: db}}
                          backfill: {table: "orders; DROP TABLE x", keyColumn: id, set: "b = a", where: "b IS NULL"}
                        """, List.of("spec.backfill.table", "must be a table name")),
                Arguments.of("key-column", """
                          database: {secretRef: {name: db}}
                          backfill: {table: shop.orders, keyColumn: "id desc", set: "b = a", where: "b IS NULL"}
                        """, List.of("spec.backfill.keyColumn", "must be a column name")),
                Arguments.of("blank-guard", """
                          database: {secretRef: {name: db}}
                          backfill: {table: t, keyColumn: id, set: "b = a", where: " "}
                        """, List.of("spec.backfill.where", "is empty")),
                Arguments.of("blank-sql", """
                          database: {secretRef: {name: db}}
                          compatibleSchema: {sql: "  "}
                        """, List.of("spec.compatibleSchema.sql", "is empty", "remove the phase")),
                Arguments.of("deployment-name", """
                          database: {secretRef: {name: db}}
                          application: {deployment: Orders_API, image: "web:2"}
                        """, List.of("spec.application.deployment", "Kubernetes object name")),
                Arguments.of("blank-image", """
                          database: {secretRef: {name: db}}
                          application: {deployment: web, image: ""}
                        """, List.of("spec.application.image", "is empty")),
                Arguments.of("secret-name", """
                          database: {secretRef: {name: Orders-DB}}
                          cleanup: {sql: "SELECT 1"}
                        """, List.of("spec.database.secretRef.name", "Kubernetes object name")),
                Arguments.of("window-day", """
                          database: {secretRef: {name: db}}
                          cleanup: {sql: "SELECT 1"}
                          windows: [{start: "01:00", end: "05:00", days: [Sat, Funday]}]
                        """, List.of("spec.windows[0].days", "use Mon, Tue")),
                Arguments.of("lint-unknown-rule", """
                          database: {secretRef: {name: db}}
                          cleanup: {sql: "SELECT 1"}
                          lint: {allow: [{rule: no-such-rule, reason: "because"}]}
                        """, List.of("spec.lint.allow[0].rule", "is not a lint rule id")),
                Arguments.of("lint-blank-reason", """
                          database: {secretRef: {name: db}}
                          cleanup: {sql: "SELECT 1"}
                          lint: {allow: [{rule: truncate, reason: " "}]}
                        """, List.of("spec.lint.allow[0].reason", "say why this rule may be broken")),
                Arguments.of("sync-without-expand", """
                          database: {secretRef: {name: db}}
                          %s, sync: Trigger}
                        """.formatted(backfill), List.of("spec.backfill.sync", "spec.compatibleSchema")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("celRefusals")
    void celRulesRefuseWhatTheOperatorWouldCallInvalidSpec(String name, String spec, List<String> expected,
            KubeControlPlane kube) {
        theApiServerRefusesAnInvalidMigrationNamingTheField(name, spec, expected, kube);
        assertThat(MigrationValidator.validate(parse(name, spec).getSpec()))
                .as("the operator refuses it too, for objects stored before the rule existed").isNotEmpty();
    }

    /** Edges CEL lets through on purpose; the operator refuses them with InvalidSpec. */
    @Test
    void whatCelCannotCompareIsLeftToTheOperator(KubeControlPlane kube) {
        // Days are beyond CEL's duration(): the API server stores it, the operator's validator refuses it.
        String spec = """
                  database: {secretRef: {name: db}}
                  cleanup: {sql: "SELECT 1"}
                  locks: {lockTimeout: 1d, statementTimeout: 1h}
                """;
        KubectlResult r = apply(kube, "days-timeout", spec);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        kube.kubectl("delete", "smig", "days-timeout", "-n", "default").orThrow();
        assertThat(MigrationValidator.validate(parse("days-timeout", spec).getSpec()))
                .anySatisfy(p -> assertThat(p).contains("spec.locks.lockTimeout", "shorter than statementTimeout"));
    }

    /**
     * A phase that has started keeps its SQL: the API server refuses the edit, naming the field; a phase held for a
     * fix (it failed having applied nothing) may be edited, since that edit is the retry.
     */
    @Test
    void theSqlOfAStartedPhaseCannotBeEdited(KubeControlPlane kube) {
        String spec = """
                  database: {secretRef: {name: db}}
                  compatibleSchema: {sql: "ALTER TABLE t ADD COLUMN c int;"}
                  cleanup: {sql: "ALTER TABLE t DROP COLUMN b;"}
                """;
        assertThat(apply(kube, "kept-sql", spec).exitCode()).isZero();
        // Before the phase starts its script may change.
        String applied = spec.replace("ADD COLUMN c int", "ADD COLUMN c bigint");
        KubectlResult early = apply(kube, "kept-sql", applied);
        assertThat(early.exitCode()).as(early.toString()).isZero();
        // The status the operator writes before the first statement of CompatibleSchema runs.
        PhaseStatus running = phase(PhaseName.CompatibleSchema, PhaseState.Running);
        running.startedAt = "2026-12-01T10:00:00Z";
        writeStatus(kube, "kept-sql", MigrationPhase.CompatibleSchema, running);
        KubectlResult edit = apply(kube, "kept-sql", applied.replace("ADD COLUMN c bigint", "ADD COLUMN d int"));
        assertThat(edit.exitCode()).as(edit.toString()).isNotZero();
        assertThat(edit.stderr()).contains("spec.compatibleSchema.sql", "CompatibleSchema has started");
        KubectlResult removed = apply(kube, "kept-sql", """
                  database: {secretRef: {name: db}}
                  cleanup: {sql: "ALTER TABLE t DROP COLUMN b;"}
                """);
        assertThat(removed.exitCode()).as("removing the phase is an edit too: " + removed).isNotZero();
        // Cleanup has not started: its SQL may still change, and so may everything else.
        KubectlResult cleanup = apply(kube, "kept-sql", applied.replace("DROP COLUMN b", "DROP COLUMN b, DROP COLUMN e")
                + "  paused: true\n");
        assertThat(cleanup.exitCode()).as(cleanup.toString()).isZero();
        // Held for a fix: the operator asks for exactly this edit.
        running.awaitingSpecFix = Reason.SqlError;
        writeStatus(kube, "kept-sql", MigrationPhase.CompatibleSchema, running);
        KubectlResult fix = apply(kube, "kept-sql", applied.replace("ADD COLUMN c bigint", "ADD COLUMN d int"));
        assertThat(fix.exitCode()).as(fix.toString()).isZero();
        // Once succeeded, never again.
        PhaseStatus done = phase(PhaseName.CompatibleSchema, PhaseState.Succeeded);
        done.startedAt = running.startedAt;
        writeStatus(kube, "kept-sql", MigrationPhase.Cleanup, done);
        KubectlResult late = apply(kube, "kept-sql", applied);
        assertThat(late.exitCode()).as(late.toString()).isNotZero();
        assertThat(late.stderr()).contains("spec.compatibleSchema.sql");
        kube.kubectl("delete", "smig", "kept-sql", "-n", "default").orThrow();
    }

    private static void writeStatus(KubeControlPlane kube, String name, MigrationPhase phase, PhaseStatus first) {
        kube.adminClient().resources(SchemaMigration.class).inNamespace("default").withName(name)
                .editStatus(m -> {
                    SchemaMigrationStatus st = new SchemaMigrationStatus();
                    st.phase = phase;
                    st.phases = List.of(first, phase(PhaseName.Cleanup, PhaseState.Pending));
                    m.setStatus(st);
                    return m;
                });
    }

    private static PhaseStatus phase(PhaseName name, PhaseState state) {
        PhaseStatus p = new PhaseStatus(name);
        p.state = state;
        return p;
    }

    /** Every SchemaMigration in examples/ passes the API server's schema and CEL rules (a server-side dry run). */
    @Test
    void theExamplesAreAccepted(KubeControlPlane kube) throws IOException {
        List<Path> examples;
        try (Stream<Path> files = Files.list(Path.of("examples"))) {
            examples = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(examples).isNotEmpty();
        for (Path example : examples) {
            SchemaMigration m = YAML.unmarshal(Files.readString(example), SchemaMigration.class);
            String ns = m.getMetadata().getNamespace();
            if (ns != null) {
                kube.kubectlWithInput("apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + "}\n",
                        "apply", "-f", "-").orThrow();
            }
            KubectlResult r = kube.kubectl("apply", "--dry-run=server", "-f", example.toString());
            assertThat(r.exitCode()).as(r.toString()).isZero();
            // configured/unchanged: an existing cluster (PHASEGATE_TEST_KUBECONFIG) may already hold the example.
            assertThat(r.stdout()).containsPattern("(created|configured|unchanged) \\(server dry run\\)");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidMigrations")
    void theApiServerRefusesAnInvalidMigrationNamingTheField(String name, String spec, List<String> expected,
            KubeControlPlane kube) {
        KubectlResult r = apply(kube, "invalid-" + name, spec);
        assertThat(r.exitCode()).as(r.toString()).isNotZero();
        assertThat(r.stderr()).as(r.toString()).contains(expected);
        assertThat(kube.kubectl("get", "smig", "invalid-" + name, "-n", "default", "--ignore-not-found", "-o", "name")
                .orThrow()).as("nothing was stored").isEmpty();
    }

    private static KubectlResult apply(KubeControlPlane kube, String name, String spec) {
        return kube.kubectlWithInput(manifest(name, spec), "apply", "-f", "-");
    }

    private static SchemaMigration parse(String name, String spec) {
        return YAML.unmarshal(manifest(name, spec), SchemaMigration.class);
    }

    private static String manifest(String name, String spec) {
        return """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata:
                  name: %s
                  namespace: default
                spec:
                %s""".formatted(name, spec);
    }
}
