package dev.phasegate.testing;

import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/** Creates the objects a migration needs, and plays the Deployment controller the mock API server lacks. */
public final class KubeFixtures {
    private final KubernetesClient client;

    public KubeFixtures(KubernetesClient client) {
        this.client = client;
    }

    public Secret secret(String ns, String name, String jdbcUrl, String user, String password) {
        return client.secrets().inNamespace(ns).resource(new SecretBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withStringData(Map.of("jdbcUrl", jdbcUrl, "username", user, "password", password))
                .build()).createOr(r -> r.update());
    }

    public Secret secret(String ns, String name, PostgresDatabase db) {
        return secret(ns, name, db.jdbcUrl(), db.user(), db.password());
    }

    /** A Deployment whose rollout of image is complete (as the controller would report it). */
    public Deployment deployment(String ns, String name, String container, String image, int replicas) {
        createDeployment(ns, name, container, image, replicas);
        return completeRollout(ns, name);
    }

    /** A Deployment without status, for the real Deployment controller to roll out (pods labelled app=name). */
    public Deployment createDeployment(String ns, String name, String container, String image, int replicas) {
        return client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewSpec().withReplicas(replicas)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName(container).withImage(image).endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
    }

    /** Changes the pod template's image, as a GitOps sync would. */
    public Deployment setImage(String ns, String name, String container, String image) {
        return client.apps().deployments().inNamespace(ns).withName(name).edit(d -> {
            d.getSpec().getTemplate().getSpec().getContainers().stream()
                    .filter(c -> c.getName().equals(container)).forEach(c -> c.setImage(image));
            d.getMetadata().setGeneration(generation(d) + 1);
            return d;
        });
    }

    /** Reports the rollout as partly done: some replicas updated, old ones still there. */
    public Deployment partialRollout(String ns, String name, int updated) {
        Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
        int desired = d.getSpec().getReplicas();
        return status(d, new DeploymentStatusBuilder().withObservedGeneration(generation(d))
                .withReplicas(desired + updated).withUpdatedReplicas(updated).withAvailableReplicas(desired)
                .withReadyReplicas(desired).build());
    }

    public Deployment completeRollout(String ns, String name) {
        Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
        int desired = d.getSpec().getReplicas();
        return status(d, new DeploymentStatusBuilder().withObservedGeneration(generation(d)).withReplicas(desired)
                .withUpdatedReplicas(desired).withAvailableReplicas(desired).withReadyReplicas(desired).build());
    }

    public Deployment progressDeadlineExceeded(String ns, String name) {
        Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
        int desired = d.getSpec().getReplicas();
        DeploymentCondition c = new DeploymentCondition();
        c.setType("Progressing");
        c.setStatus("False");
        c.setReason("ProgressDeadlineExceeded");
        c.setMessage("ReplicaSet has timed out progressing.");
        return status(d, new DeploymentStatusBuilder().withObservedGeneration(generation(d))
                .withReplicas(desired + 1).withUpdatedReplicas(1).withAvailableReplicas(desired)
                .withConditions(List.of(c)).build());
    }

    private Deployment status(Deployment d, DeploymentStatus s) {
        d.setStatus(s);
        return client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).resource(d).updateStatus();
    }

    private static long generation(Deployment d) {
        return d.getMetadata().getGeneration() == null ? 1 : d.getMetadata().getGeneration();
    }

    /** A pod of the Deployment (same labels) running image, e.g. an old pod still terminating. */
    public void pod(String ns, String name, String app, String container, String image) {
        client.pods().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).withLabels(Map.of("app", app)).endMetadata()
                .withNewSpec().addNewContainer().withName(container).withImage(image).endContainer().endSpec()
                .build()).create();
    }

    public SchemaMigration migration(String ns, String yaml) {
        SchemaMigration m = client.getKubernetesSerialization().unmarshal(yaml, SchemaMigration.class);
        m.getMetadata().setNamespace(ns);
        return client.resources(SchemaMigration.class).inNamespace(ns).resource(m).create();
    }

    public SchemaMigration get(String ns, String name) {
        return client.resources(SchemaMigration.class).inNamespace(ns).withName(name).get();
    }

    /** Waits until the migration's status satisfies p and returns that status. */
    public SchemaMigrationStatus awaitStatus(String ns, String name, Predicate<SchemaMigrationStatus> p,
            Duration atMost) {
        SchemaMigrationStatus[] last = new SchemaMigrationStatus[1];
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(100))
                .alias("status of " + ns + "/" + name)
                .until(() -> {
                    SchemaMigration m = get(ns, name);
                    last[0] = m == null ? null : m.getStatus();
                    return last[0] != null && last[0].phase != null && p.test(last[0]);
                });
        return last[0];
    }

    /** Deletes the migration and waits until the API server no longer has it. */
    public void delete(String ns, String name) {
        client.resources(SchemaMigration.class).inNamespace(ns).withName(name).delete();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> get(ns, name) == null);
    }
}
