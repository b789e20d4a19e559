package dev.phasegate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.ApprovalStatus;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.KubeControlPlane.KubectlResult;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.ServiceAccountOperator;
import dev.phasegate.testing.WithKubeControlPlane;
import dev.phasegate.testing.WithPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Four-eyes approvals on the real API server: deploy/four-eyes.yaml's admission policies judge requests from
 * impersonated users (alice writes migrations, bob reviews them), and the operator, running as its ServiceAccount,
 * starts an approved phase against a real PostgreSQL. The kubectl plugin and the documented one-liners run too.
 */
@WithKubeControlPlane
@WithPostgres
class FourEyesIT {

    private static final String NS = ServiceAccountOperator.NAMESPACE;
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Path PLUGIN_DIR = Path.of("deploy", "kubectl-plugin").toAbsolutePath();

    static KubeControlPlane kube;
    static PostgresDatabase db;
    static KubeFixtures fx;
    static ServiceAccountOperator operator;

    @BeforeAll
    static void installPoliciesAndOperator() {
        operator = ServiceAccountOperator.install(kube);
        fx = new KubeFixtures(kube.adminClient());
        kube.kubectl("apply", "-f", "deploy/four-eyes.yaml").orThrow();
        kube.kubectlWithInput("""
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata: {name: migration-writer}
                rules:
                  - apiGroups: [phasegate.dev]
                    resources: [schemamigrations]
                    verbs: [get, list, watch, create, update, patch, delete]
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata: {name: migration-writers}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: migration-writer}
                subjects:
                  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
                  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}
                """, "apply", "-f", "-").orThrow();
        await("RBAC and the policies take effect").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(kube.kubectl("auth", "can-i", "create", "schemamigrations.phasegate.dev", "-n", NS,
                    "--as=bob").stdout().trim()).isEqualTo("yes");
            KubectlResult probe = probeCreate();
            assertThat(probe.stdout()).as(probe.toString()).isEqualTo("alice");
        });
        fx.secret(NS, "orders-db", db);
    }

    /** Admission policies are loaded asynchronously: a probe create shows the mutating one at work. */
    private static KubectlResult probeCreate() {
        return kube.kubectlWithInput(migration("probe", "", "[]", "SELECT 1;"), "create", "--dry-run=server",
                "-o", "jsonpath={.metadata.annotations.phasegate\\.dev/author}", "-f", "-", "--as=alice");
    }

    @AfterAll
    static void removePolicies() {
        if (operator != null) {
            operator.close();
        }
        // The control plane is shared: later test classes create migrations as admin without these policies.
        kube.kubectl("delete", "-f", "deploy/four-eyes.yaml", "--ignore-not-found").orThrow();
        kube.kubectl("delete", "clusterrolebinding", "migration-writers", "--ignore-not-found").orThrow();
        kube.kubectl("delete", "clusterrole", "migration-writer", "--ignore-not-found").orThrow();
    }

    @Test
    void theAuthorCannotApproveAForgedApproverIsRefusedAndAnotherPersonsApprovalStartsThePhase() throws Exception {
        db.execute("CREATE TABLE fe_orders (id bigserial PRIMARY KEY)");
        // alice claims to be mallory: the mutating policy records who really sent the request.
        as("alice", "apply", "-f", "-").input(migration("fe-expand", "phasegate.dev/author: mallory",
                "[CompatibleSchema]", "ALTER TABLE fe_orders ADD COLUMN note text;")).orThrow();
        assertThat(annotations("fe-expand")).containsEntry("phasegate.dev/author", "alice");

        SchemaMigrationStatus waiting = awaitStatus("fe-expand", s -> s.reason == Reason.AwaitingApproval);
        assertThat(waiting.message).contains("CompatibleSchema needs approval, awaited since",
                "someone other than its author alice", "kubectl phasegate approve fe-expand CompatibleSchema");
        assertThat(kube.kubectl("wait", "smig/fe-expand", "-n", NS, "--for=condition=ActionRequired",
                "--timeout=30s").exitCode()).as("the documented wait for 'needs a person'").isZero();
        await().atMost(TIMEOUT).until(() -> kube.kubectl("get", "events", "-n", NS, "--field-selector",
                "involvedObject.name=fe-expand,reason=AwaitingApproval", "-o", "name").orThrow().contains("event"));

        KubectlResult self = as("alice", "annotate", "smig", "fe-expand",
                "approval.phasegate.dev/CompatibleSchema=generation=1,by=alice").run();
        assertThat(self.exitCode()).as(self.toString()).isNotZero();
        assertThat(self.stderr()).contains("four-eyes: alice created this migration and cannot approve it");

        KubectlResult forged = as("alice", "annotate", "smig", "fe-expand",
                "approval.phasegate.dev/CompatibleSchema=generation=1,by=bob").run();
        assertThat(forged.exitCode()).as(forged.toString()).isNotZero();
        assertThat(forged.stderr()).contains("an approval records who gives it: alice may only write",
                "generation=<N>,by=alice");

        KubectlResult bobForAlice = as("bob", "annotate", "smig", "fe-expand",
                "approval.phasegate.dev/CompatibleSchema=generation=1,by=alice").run();
        assertThat(bobForAlice.exitCode()).as("bob cannot write alice's name either").isNotZero();

        KubectlResult authorChange = as("alice", "annotate", "--overwrite", "smig", "fe-expand",
                "phasegate.dev/author=carol").run();
        assertThat(annotations("fe-expand")).as("the author stays whoever created it: " + authorChange)
                .containsEntry("phasegate.dev/author", "alice");
        assertThat(kube.adminClient().resources(SchemaMigration.class).inNamespace(NS).withName("fe-expand").get()
                .getStatus().reason).isEqualTo(Reason.AwaitingApproval);
        assertThat(db.columns("fe_orders")).doesNotContain("note");

        // bob approves with the plugin, through kubectl's own plugin lookup, as himself.
        KubectlResult approved = plugin("phasegate", "approve", "fe-expand", "CompatibleSchema", "-n", NS,
                "--as=bob");
        assertThat(approved.exitCode()).as(approved.toString()).isZero();
        assertThat(approved.stdout()).contains("approved CompatibleSchema of fe-expand at generation 1 as bob");

        SchemaMigrationStatus done = awaitStatus("fe-expand", s -> s.phase == MigrationPhase.Succeeded);
        ApprovalStatus approval = done.phases.stream().filter(p -> p.name == PhaseName.CompatibleSchema)
                .findFirst().orElseThrow().approval;
        assertThat(approval.approvedBy).isEqualTo("bob");
        assertThat(approval.generation).isEqualTo(1L);
        assertThat(db.columns("fe_orders")).contains("note");
        assertThat(kube.kubectl("wait", "smig/fe-expand", "-n", NS, "--for=condition=Ready", "--timeout=30s")
                .exitCode()).isZero();
        assertThat(plugin("phasegate", "status", "fe-expand", "-n", NS).stdout())
                .contains("fe-expand: phase Succeeded", "author: alice", "CompatibleSchema: Succeeded", "bob");
    }

    @Test
    void aSpecEditAfterTheApprovalVoidsItAndTheStatusSaysSo() throws Exception {
        db.execute("CREATE TABLE fe_invoices (id bigserial PRIMARY KEY, legacy text)");
        as("alice", "apply", "-f", "-").input(migration("fe-cleanup", "", "[Cleanup]",
                "ALTER TABLE fe_invoices ADD COLUMN total numeric;")
                + "  waits: {afterCompatibleSchema: 1h}\n"
                + "  cleanup: {sql: \"ALTER TABLE fe_invoices DROP COLUMN legacy;\"}\n").orThrow();
        SchemaMigrationStatus waiting = awaitStatus("fe-cleanup", s -> s.reason == Reason.AwaitingApproval);
        assertThat(waiting.message).contains("Cleanup (one-way) needs approval", "its minimum wait runs until");

        // bob approves with the documented one-liner (no plugin).
        String user = as("bob", "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").run().orThrow();
        as("bob", "annotate", "smig", "fe-cleanup", "--overwrite",
                "approval.phasegate.dev/Cleanup=generation=1,by=" + user).orThrow();
        SchemaMigrationStatus approved = awaitStatus("fe-cleanup", s -> s.reason == Reason.WaitingPeriod);
        assertThat(cleanupApproval(approved).approvedBy).isEqualTo("bob");

        // alice changes the Cleanup SQL (allowed: Cleanup has not started) after bob approved it.
        as("alice", "patch", "smig", "fe-cleanup", "--type=merge", "-p",
                "{\"spec\":{\"cleanup\":{\"sql\":\"ALTER TABLE fe_invoices DROP COLUMN legacy, DROP COLUMN id;\"}}}")
                .orThrow();
        SchemaMigrationStatus voided = awaitStatus("fe-cleanup", s -> s.reason == Reason.AwaitingApproval);
        assertThat(voided.message).contains("the spec changed after bob approved generation 1",
                "To approve generation 2");
        assertThat(cleanupApproval(voided).voided).contains("the spec changed after bob approved generation 1");
        String describe = kube.kubectl("describe", "smig", "fe-cleanup", "-n", NS).orThrow();
        assertThat(describe).containsPattern("State: +AwaitingApproval").contains("Voided:",
                "the spec changed after bob");
        assertThat(db.columns("fe_invoices")).contains("legacy");

        // The SQL of a phase that started cannot change any more: the API server names the field.
        KubectlResult late = as("alice", "patch", "smig", "fe-cleanup", "--type=merge", "-p",
                "{\"spec\":{\"compatibleSchema\":{\"sql\":\"ALTER TABLE fe_invoices ADD COLUMN other int;\"}}}").run();
        assertThat(late.exitCode()).as(late.toString()).isNotZero();
        assertThat(late.stderr()).contains("spec.compatibleSchema.sql", "CompatibleSchema has started");
        // Nor can the approval requirement be dropped to skip bob.
        KubectlResult drop = as("alice", "patch", "smig", "fe-cleanup", "--type=json", "-p",
                "[{\"op\":\"remove\",\"path\":\"/spec/approvalRequired\"}]").run();
        assertThat(drop.exitCode()).as(drop.toString()).isNotZero();
        assertThat(drop.stderr()).contains("spec.approvalRequired", "cannot be removed from approvalRequired");

        as("alice", "delete", "smig", "fe-cleanup").orThrow();
    }

    @Test
    void serverSideApplyKeepsTheAuthorAndThePluginPausesResumesAndAborts() throws Exception {
        String manifest = migration("fe-ssa", "", "[CompatibleSchema]", "SELECT 1;");
        as("alice", "apply", "--server-side", "-f", "-").input(manifest).orThrow();
        assertThat(annotations("fe-ssa")).containsEntry("phasegate.dev/author", "alice");
        // The same manager applies again without the annotation it never wrote: the author must survive.
        KubectlResult again = as("alice", "apply", "--server-side", "-f", "-")
                .input(manifest.replace("SELECT 1;", "SELECT 2;")).run();
        assertThat(again.exitCode()).as(again.toString()).isZero();
        assertThat(annotations("fe-ssa")).containsEntry("phasegate.dev/author", "alice");
        awaitStatus("fe-ssa", s -> s.reason == Reason.AwaitingApproval);

        assertThat(plugin("phasegate", "pause", "fe-ssa", "-n", NS, "--as=bob").exitCode()).isZero();
        awaitStatus("fe-ssa", s -> s.state == dev.phasegate.api.MigrationState.Paused
                || s.reason == Reason.AwaitingApproval && s.observedGeneration == 3);
        assertThat(kube.adminClient().resources(SchemaMigration.class).inNamespace(NS).withName("fe-ssa").get()
                .getSpec().paused).isTrue();
        assertThat(plugin("phasegate", "resume", "fe-ssa", "-n", NS, "--as=bob").exitCode()).isZero();
        assertThat(kube.adminClient().resources(SchemaMigration.class).inNamespace(NS).withName("fe-ssa").get()
                .getSpec().paused).isFalse();
        assertThat(plugin("phasegate", "abort", "fe-ssa", "-n", NS, "--as=bob").exitCode()).isZero();
        awaitStatus("fe-ssa", s -> s.phase == MigrationPhase.RolledBack);
        KubectlResult unknown = plugin("phasegate", "approve", "fe-ssa", "Contract", "-n", NS);
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.stderr()).contains("unknown phase 'Contract'");
        as("alice", "delete", "smig", "fe-ssa").orThrow();
    }

    private static ApprovalStatus cleanupApproval(SchemaMigrationStatus s) {
        return s.phases.stream().filter(p -> p.name == PhaseName.Cleanup).findFirst().orElseThrow().approval;
    }

    private static String migration(String name, String annotation, String approvalRequired, String expand) {
        return "apiVersion: phasegate.dev/v1alpha1\nkind: SchemaMigration\nmetadata:\n  name: " + name
                + "\n  namespace: " + NS + "\n"
                + (annotation.isEmpty() ? "" : "  annotations: {" + annotation + "}\n")
                + "spec:\n  database: {secretRef: {name: orders-db}}\n  approvalRequired: " + approvalRequired
                + "\n  compatibleSchema: {sql: \"" + expand + "\"}\n";
    }

    private static Map<String, String> annotations(String name) {
        return kube.adminClient().resources(SchemaMigration.class).inNamespace(NS).withName(name).get()
                .getMetadata().getAnnotations();
    }

    private static SchemaMigrationStatus awaitStatus(String name, Predicate<SchemaMigrationStatus> p) {
        return fx.awaitStatus(NS, name, p, TIMEOUT);
    }

    /** kubectl as an impersonated user, in the test namespace. */
    private static Kubectl as(String user, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("-n");
        all.add(NS);
        all.add("--as=" + user);
        return new Kubectl(all, null);
    }

    private record Kubectl(List<String> args, String stdin) {
        KubectlResult run() {
            return kube.kubectlWithInput(stdin, args.toArray(String[]::new));
        }

        String orThrow() {
            return run().orThrow();
        }

        Kubectl input(String text) {
            return new Kubectl(args, text);
        }
    }

    /**
     * Runs {@code kubectl ARGS} the way a person does: kubectl from PATH finds the plugin on PATH, and every kubectl
     * the plugin calls reads the same KUBECONFIG.
     */
    private static KubectlResult plugin(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(kube.kubectlBinary().toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("KUBECONFIG", kube.kubeconfig().toString());
        pb.environment().put("PATH", PLUGIN_DIR + ":" + kube.kubectlBinary().getParent() + ":/usr/bin:/bin");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        int code = p.waitFor();
        return new KubectlResult(command, code, new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }
}
