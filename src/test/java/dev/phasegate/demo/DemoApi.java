package dev.phasegate.demo;

import dev.phasegate.api.SchemaMigrationStatus;
import io.fabric8.kubernetes.client.KubernetesClient;

/** The Kubernetes API a demo runs on, with the operator started against it and the app's Deployment rollout. */
interface DemoApi extends AutoCloseable {
    /** A client with full rights, for the demo's own objects (Secret, Deployment, the migration) and its timeline. */
    KubernetesClient client();

    /** Lines that say what runs where (and how a person can look at it). */
    void announce();

    /** Readies namespace for a migration there and starts the operator. */
    void prepare(String namespace);

    /** Creates the app's Deployment running image and returns once it is rolled out. */
    void createDeployment(String namespace, String name, String container, String image, int replicas);

    /** Plays what happens outside the operator during CodeDeploy; called on every poll of the status. */
    void playRollout(String namespace, String deployment, String container, String image, SchemaMigrationStatus s);

    /** After the timeline: what a person would look at next. */
    void showResult(String namespace, String name);

    @Override
    void close();
}
