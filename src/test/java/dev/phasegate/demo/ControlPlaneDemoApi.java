package dev.phasegate.demo;

import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.kube.SchemaMigrationReconciler;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.OperatorHarness;
import dev.phasegate.testing.PodReadinessStandIn;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;

/**
 * `make demo-cluster`: the real control plane (etcd, kube-apiserver, kube-controller-manager), phasegate installed
 * with the real kubectl as the README says, the operator in-process with its ServiceAccount's token (RBAC enforced),
 * and the real Deployment controller rolling out the app (a stand-in marks its pods Ready: there is no kubelet).
 */
final class ControlPlaneDemoApi implements DemoApi {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final KubeControlPlane kube;
    private final boolean owned;
    private OperatorHarness operator;
    private PodReadinessStandIn standIn;
    private boolean gitOpsSynced;
    /** The Deployment's generation the sync made: statuses the controller wrote for an older one are not its rollout. */
    private long syncedGeneration;
    private String lastRollout = "";

    /** Uses kube; close() stops it only when owned. */
    ControlPlaneDemoApi(KubeControlPlane kube, boolean owned) {
        this.kube = kube;
        this.owned = owned;
    }

    @Override
    public KubernetesClient client() {
        return kube.adminClient();
    }

    @Override
    public void announce() {
        Demo.say("real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) at " + kube.apiServerUrl());
        Demo.say("look at it while it runs: export KUBECONFIG=" + kube.kubeconfig());
        Demo.say("  then: " + kube.kubectlBinary() + " get smig -A -w");
    }

    @Override
    public void prepare(String namespace) {
        if (client().namespaces().withName(namespace).get() == null) {
            client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
                    .build()).create();
        }
        step("kubectl apply -f crds/", kube.kubectl("apply", "-f", "crds/").orThrow());
        kube.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/schemamigrations.phasegate.dev")
                .orThrow();
        // The README's install, with the places marked WATCHED NAMESPACE set to the migration's namespace.
        step("kubectl apply -f deploy/operator.yaml (WATCHED NAMESPACE: " + namespace + ")",
                kube.kubectlWithInput(watching(namespace), "apply", "-f", "-").orThrow());
        String operatorUser = "system:serviceaccount:phasegate-system:phasegate";
        // The RBAC authorizer reads bindings from a cache: the operator starts once its Role counts.
        await("the operator's RoleBinding in " + namespace).atMost(READY_TIMEOUT).until(() -> "yes".equals(
                kube.kubectl("auth", "can-i", "watch", "schemamigrations.phasegate.dev", "-n", namespace,
                        "--as=" + operatorUser).stdout().trim()));
        standIn = PodReadinessStandIn.start(client(), namespace);
        operator = OperatorHarness.onCluster(kube.serviceAccountClient("phasegate-system", "phasegate"), namespace)
                .start(Clock.systemUTC(), new SchemaMigrationReconciler.Options(Duration.ofMillis(200),
                        Duration.ofSeconds(1)));
        Demo.say("operator started in-process as " + operatorUser + " (a TokenRequest token: every RBAC rule applies)");
    }

    /** deploy/operator.yaml with each place marked WATCHED NAMESPACE set to namespace. */
    private static String watching(String namespace) {
        try {
            String manifest = Files.readString(Path.of("deploy", "operator.yaml"));
            String ns = Matcher.quoteReplacement(namespace);
            return manifest.replaceAll("(?m)^(\\s*namespace: )default(\\s+# WATCHED NAMESPACE)", "$1" + ns + "$2")
                    .replaceAll("(?m)^(\\s*- name: QUARKUS_OPERATOR_SDK_NAMESPACES\\s*\\n\\s*value: )\"default\"",
                            "$1\"" + ns + "\"");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void step(String what, String kubectlOutput) {
        Demo.say(what);
        kubectlOutput.lines().forEach(l -> System.out.println("        " + l));
    }

    @Override
    public void createDeployment(String namespace, String name, String container, String image, int replicas) {
        Deployment d = new DeploymentBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withReplicas(replicas).withProgressDeadlineSeconds(120)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName(container).withImage(image).endContainer().endSpec()
                .endTemplate().endSpec().build();
        client().apps().deployments().inNamespace(namespace).resource(d).createOr(r -> r.update());
        await(name + " rolled out").atMost(READY_TIMEOUT).until(() -> {
            DeploymentStatus s = client().apps().deployments().inNamespace(namespace).withName(name).get().getStatus();
            return s != null && Objects.equals(s.getAvailableReplicas(), replicas)
                    && Objects.equals(s.getUpdatedReplicas(), replicas) && Objects.equals(s.getReplicas(), replicas);
        });
    }

    @Override
    public void playRollout(String ns, String deployment, String container, String image, SchemaMigrationStatus s) {
        // After the GitOps sync the controller's progress is shown to the end: the operator may see the rollout
        // complete and move on between two polls of the demo.
        if (s.phase != MigrationPhase.CodeDeploy && !gitOpsSynced) {
            return;
        }
        if (!gitOpsSynced && s.reason == Reason.WaitingForRollout) {
            Demo.say("(GitOps) syncing image " + image + " into Deployment " + deployment);
            Deployment synced = client().apps().deployments().inNamespace(ns).withName(deployment).edit(d -> {
                d.getSpec().getTemplate().getSpec().getContainers().stream()
                        .filter(c -> c.getName().equals(container)).forEach(c -> c.setImage(image));
                return d;
            });
            syncedGeneration = synced.getMetadata().getGeneration();
            // The finished rollout reads like the one before the sync: without this, it could be taken for a repeat.
            lastRollout = "";
            gitOpsSynced = true;
        }
        // What the real Deployment controller reports, as it changes; after the sync, only about the synced spec.
        DeploymentStatus st = client().apps().deployments().inNamespace(ns).withName(deployment).get().getStatus();
        if (st != null && (!gitOpsSynced || st.getObservedGeneration() != null
                && st.getObservedGeneration() >= syncedGeneration)) {
            String line = "(Deployment controller) " + deployment + ": " + n(st.getUpdatedReplicas()) + " updated, "
                    + n(st.getAvailableReplicas()) + " available, " + n(st.getReplicas()) + " total";
            if (!line.equals(lastRollout)) {
                Demo.say(line);
                lastRollout = line;
            }
        }
    }

    private static int n(Integer i) {
        return i == null ? 0 : i;
    }

    @Override
    public void showResult(String namespace, String name) {
        System.out.println();
        System.out.println("$ kubectl -n " + namespace + " get smig");
        System.out.print(kube.kubectl("get", "smig", "-n", namespace).orThrow());
        System.out.println();
        System.out.println("$ kubectl -n " + namespace + " describe smig " + name);
        System.out.print(kube.kubectl("describe", "smig", name, "-n", namespace).orThrow());
        long hold = Long.getLong("phasegate.demo.holdSeconds", 0);
        if (hold > 0) {
            System.out.println();
            Demo.say("the cluster stays up " + hold + " s more: export KUBECONFIG=" + kube.kubeconfig());
            try {
                Thread.sleep(Duration.ofSeconds(hold).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        if (operator != null) {
            operator.close();
        }
        if (standIn != null) {
            standIn.close();
        }
        if (owned) {
            kube.close();
        }
    }
}
