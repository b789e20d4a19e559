package dev.phasegate.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Proves the real control plane harness: API server, RBAC, Deployment rollouts with the pod stand-in, audit, stop. */
@WithKubeControlPlane
class KubeControlPlaneIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    KubeControlPlane kube;

    @BeforeEach
    void onlyTheLocalControlPlane() {
        // These test the harness's own control plane (its version, audit log, processes), not a cluster it attached to.
        Assumptions.assumeTrue(kube.isLocal(), "PHASEGATE_TEST_KUBECONFIG names an existing cluster");
    }

    @Test
    void apiServerAnswersAtThePinnedVersion() {
        KubernetesClient admin = kube.adminClient();
        assertThat(admin.getKubernetesVersion().getGitVersion()).startsWith("v1.36.");
        assertThat(admin.namespaces().withName("default").get()).isNotNull();
        // The real kubectl, through the kubeconfig the harness wrote.
        String out = kube.kubectl("get", "namespace", "default", "-o", "jsonpath={.metadata.name}").orThrow();
        assertThat(out).isEqualTo("default");
        assertThat(kube.kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").orThrow())
                .isEqualTo(KubeControlPlane.ADMIN_USER);
    }

    @Test
    void rbacDeniesWhatIsNotGranted() {
        String ns = namespace("rbac");
        assertThatThrownBy(() -> kube.impersonating("nobody", "system:authenticated").pods().inNamespace(ns).list())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));

        // A ServiceAccount with its real token (TokenRequest API): exactly what its Role grants, nothing more.
        KubernetesClient admin = kube.adminClient();
        admin.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata()
                .withName("reader").endMetadata().build()).create();
        admin.rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName("pod-reader")
                .endMetadata().addNewRule().withApiGroups("").withResources("pods").withVerbs("list").endRule().build())
                .create();
        admin.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata()
                .withName("reader").endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", "pod-reader")
                .addNewSubject().withKind("ServiceAccount").withName("reader").withNamespace(ns).endSubject().build())
                .create();
        KubernetesClient reader = kube.serviceAccountClient(ns, "reader");
        assertThat(reader.pods().inNamespace(ns).list().getItems()).isEmpty();
        assertThatThrownBy(() -> reader.secrets().inNamespace(ns).list())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        assertThatThrownBy(() -> kube.impersonatingServiceAccount(ns, "reader").pods().inNamespace("default").list())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        assertThat(kube.impersonatingServiceAccount(ns, "reader").pods().inNamespace(ns).list().getItems()).isEmpty();
    }

    @Test
    void deploymentRollsOutThroughTheRealControllers() {
        String ns = namespace("rollout");
        KubernetesClient admin = kube.adminClient();
        try (PodReadinessStandIn standIn = PodReadinessStandIn.start(admin, ns)) {
            admin.apps().deployments().inNamespace(ns).resource(deployment("web", "example/web:1", 2, 600)).create();
            awaitRolledOut(ns, "web", "example/web:1", 2);

            admin.apps().deployments().inNamespace(ns).withName("web").edit(d -> {
                d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("example/web:2");
                return d;
            });
            awaitRolledOut(ns, "web", "example/web:2", 2);
            assertThat(standIn.marked()).isGreaterThanOrEqualTo(4);
        }
    }

    @Test
    void rolloutThatNeverBecomesReadyExceedsItsProgressDeadline() {
        String ns = namespace("deadline");
        KubernetesClient admin = kube.adminClient();
        try (PodReadinessStandIn standIn = PodReadinessStandIn.start(admin, ns,
                PodReadinessStandIn.exceptImages("example/broken:1"))) {
            admin.apps().deployments().inNamespace(ns).resource(deployment("api", "example/broken:1", 1, 2)).create();
            await("ProgressDeadlineExceeded").atMost(TIMEOUT).untilAsserted(() -> {
                Deployment d = admin.apps().deployments().inNamespace(ns).withName("api").get();
                assertThat(d.getStatus().getConditions()).filteredOn(c -> "Progressing".equals(c.getType()))
                        .extracting(DeploymentCondition::getStatus, DeploymentCondition::getReason)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("False", "ProgressDeadlineExceeded"));
            });
            assertThat(admin.pods().inNamespace(ns).list().getItems()).isNotEmpty()
                    .allSatisfy(p -> assertThat(p.getStatus().getPhase()).isEqualTo("Pending"));
        }
    }

    @Test
    void auditLogRecordsEveryRequestWithItsIdentityAndOutcome() {
        String probe = "audit-probe-" + UUID.randomUUID();
        assertThat(kube.adminClient().configMaps().inNamespace("default").withName(probe).get()).isNull();
        assertThatThrownBy(() -> kube.impersonating("nobody", "system:authenticated").configMaps().inNamespace("default")
                .withName(probe).get()).isInstanceOf(KubernetesClientException.class);

        await("audit entries for " + probe).atMost(TIMEOUT).untilAsserted(() -> {
            List<KubeControlPlane.AuditEntry> entries = kube.auditEntries().stream()
                    .filter(e -> probe.equals(e.name())).toList();
            assertThat(entries).extracting(KubeControlPlane.AuditEntry::effectiveUser, KubeControlPlane.AuditEntry::verb,
                    KubeControlPlane.AuditEntry::resource, KubeControlPlane.AuditEntry::code)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple(KubeControlPlane.ADMIN_USER, "get", "configmaps", 404),
                            org.assertj.core.groups.Tuple.tuple("nobody", "get", "configmaps", 403));
        });
        // The controller manager's requests are there too: the log is the server's, not the test client's.
        assertThat(kube.auditEntries()).anyMatch(e -> "system:kube-controller-manager".equals(e.user()));
    }

    @Test
    void closeStopsEveryProcessAndRemovesItsFiles() {
        // A control plane of its own: the shared one serves the other tests.
        KubeControlPlane own = KubeControlPlane.start();
        List<ProcessHandle> processes = own.processes();
        Path kubeconfig = own.kubeconfig();
        assertThat(processes).hasSize(3).allMatch(ProcessHandle::isAlive);
        assertThat(own.adminClient().namespaces().withName("default").get()).isNotNull();

        own.close();

        assertThat(processes).noneMatch(ProcessHandle::isAlive);
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                .map(a -> String.join(" ", a).contains(kubeconfig.getParent().toString())).orElse(false)))
                .as("no process still refers to the control plane's directory").isEmpty();
        assertThat(Files.exists(kubeconfig.getParent())).isFalse();
        assertThat(kube.isRunning()).as("the shared control plane is untouched").isTrue();
    }

    @Test
    void aKilledJvmLeavesNoComponentBehind() throws Exception {
        Path out = Files.createTempFile("phasegate-kube-child-", ".log");
        Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), ChildJvm.class.getName())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            await("the child JVM's control plane").atMost(Duration.ofSeconds(240))
                    .until(() -> !child.isAlive() || Files.readString(out).contains("PIDS "));
            String pidsLine = Files.readString(out).lines().filter(l -> l.startsWith("PIDS ")).findFirst()
                    .orElseThrow(() -> new AssertionError("child JVM failed:\n" + readQuietly(out)));
            List<ProcessHandle> components = java.util.Arrays.stream(pidsLine.substring(5).trim().split(" "))
                    .map(Long::parseLong).map(ProcessHandle::of).flatMap(java.util.Optional::stream).toList();
            assertThat(components).hasSize(3).allMatch(ProcessHandle::isAlive);

            // SIGKILL: no shutdown hook runs, as when surefire or a person kills a hung test JVM.
            child.destroyForcibly().waitFor();

            Path dir = Path.of(Files.readString(out).lines().filter(l -> l.startsWith("DIR ")).findFirst()
                    .orElseThrow().substring(4));
            await("components of the killed JVM exit").atMost(Duration.ofSeconds(30))
                    .until(() -> components.stream().noneMatch(ProcessHandle::isAlive));
            await("its files are removed").atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(dir));
        } finally {
            child.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }

    /** Starts a control plane and waits to be killed; see aKilledJvmLeavesNoComponentBehind. */
    static final class ChildJvm {
        public static void main(String[] args) throws InterruptedException {
            KubeControlPlane plane = KubeControlPlane.start();
            System.out.println("DIR " + plane.kubeconfig().getParent());
            System.out.println("PIDS " + String.join(" ", plane.processes().stream().map(p -> String.valueOf(p.pid())).toList()));
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private String namespace(String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        kube.adminClient().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata()
                .build()).create();
        return name;
    }

    private static Deployment deployment(String name, String image, int replicas, int progressDeadlineSeconds) {
        return new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(replicas).withProgressDeadlineSeconds(progressDeadlineSeconds)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("main").withImage(image).endContainer().endSpec()
                .endTemplate().endSpec().build();
    }

    private void awaitRolledOut(String ns, String name, String image, int replicas) {
        KubernetesClient admin = kube.adminClient();
        await(name + " rolled out to " + image).atMost(TIMEOUT).untilAsserted(() -> {
            Deployment d = admin.apps().deployments().inNamespace(ns).withName(name).get();
            assertThat(d.getStatus()).isNotNull();
            assertThat(d.getStatus().getObservedGeneration()).isEqualTo(d.getMetadata().getGeneration());
            assertThat(d.getStatus().getUpdatedReplicas()).isEqualTo(replicas);
            assertThat(d.getStatus().getReplicas()).isEqualTo(replicas);
            assertThat(d.getStatus().getAvailableReplicas()).isEqualTo(replicas);
            assertThat(d.getStatus().getConditions()).filteredOn(c -> "Progressing".equals(c.getType()))
                    .extracting(DeploymentCondition::getReason).containsExactly("NewReplicaSetAvailable");
            List<Pod> pods = admin.pods().inNamespace(ns).withLabel("app", name).list().getItems().stream()
                    .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
            assertThat(pods).hasSize(replicas).allSatisfy(p -> assertThat(p.getSpec().getContainers())
                    .extracting(Container::getImage).containsExactly(image));
        });
    }
}
