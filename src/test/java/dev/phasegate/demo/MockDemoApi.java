package dev.phasegate.demo;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.OperatorHarness;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;

/**
 * `make demo`: the Fabric8 mock API server in-process (CRUD mode: no controllers, no validation), the operator
 * against it, and the demo playing GitOps and the Deployment controller.
 */
final class MockDemoApi implements DemoApi {
    private final OperatorHarness kube = new OperatorHarness();
    private final KubeFixtures fx = new KubeFixtures(kube.client());
    private int step;
    private long nextAt;

    @Override
    public KubernetesClient client() {
        return kube.client();
    }

    @Override
    public void announce() {
        Demo.say("in-process Kubernetes API (Fabric8 mock server, CRUD mode) at " + kube.url());
    }

    @Override
    public void prepare(String namespace) {
        kube.start();
    }

    @Override
    public void createDeployment(String namespace, String name, String container, String image, int replicas) {
        fx.deployment(namespace, name, container, image, replicas);
    }

    @Override
    public void playRollout(String ns, String deployment, String container, String image, SchemaMigrationStatus s) {
        if (s.phase != MigrationPhase.CodeDeploy || System.nanoTime() < nextAt) {
            return;
        }
        Deployment d = kube.client().apps().deployments().inNamespace(ns).withName(deployment).get();
        String current = d.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals(container)).findFirst().map(c -> c.getImage()).orElse("");
        if (step == 0 && s.reason == Reason.WaitingForRollout) {
            Demo.say("(GitOps) syncing image " + image + " into Deployment " + deployment);
            fx.setImage(ns, deployment, container, image);
            step = 1;
        } else if (step <= 1 && image.equals(current)) {
            Demo.say("(controller) 1 of 3 pods updated");
            fx.partialRollout(ns, deployment, 1);
            step = 2;
        } else if (step == 2) {
            Demo.say("(controller) all 3 pods updated and available; old ReplicaSet scaled to 0");
            fx.completeRollout(ns, deployment);
            step = 3;
        }
        nextAt = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    }

    @Override
    public void showResult(String namespace, String name) {
        Demo.say("(kubectl get/describe need a real API server: make demo-cluster)");
    }

    @Override
    public void close() {
        kube.close();
    }
}
