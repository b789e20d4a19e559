package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The packaged Quarkus application (CDI wiring, configuration, QOSDK registration) against the Fabric8 mock API
 * server: a SchemaMigration gets a status from the operator that Quarkus started.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class OperatorAppIT {
    @Inject
    KubernetesClient client;

    @Inject
    OperatorLease lease;

    @Test
    void theApplicationReconcilesSchemaMigrations() {
        SchemaMigration m = client.getKubernetesSerialization().unmarshal("""
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: app-smoke, namespace: default}
                spec:
                  database: {secretRef: {name: missing-secret}}
                  compatibleSchema: {sql: "ALTER TABLE t ADD COLUMN c int;"}
                """, SchemaMigration.class);
        client.resources(SchemaMigration.class).inNamespace("default").resource(m).create();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            SchemaMigration seen = client.resources(SchemaMigration.class).inNamespace("default")
                    .withName("app-smoke").get();
            assertThat(seen.getStatus()).isNotNull();
            assertThat(seen.getStatus().reason).isEqualTo(Reason.SecretNotFound);
            assertThat(seen.getStatus().message).contains("missing-secret");
        });
    }

    @Test
    void theLeaseBeanCarriesTheDeployedDefaults() {
        // quarkus-operator-sdk activates this bean's leader election in the prod profile only (tests run one
        // operator); what is checked here is that the application builds it from its configuration.
        assertThat(lease.getLeaseName()).isEqualTo("phasegate-operator");
        assertThat(lease.getLeaseNamespace()).as("the pod's own namespace, from its ServiceAccount").isEmpty();
        assertThat(lease.getLeaseDuration()).isEqualTo(Duration.ofSeconds(15));
        assertThat(lease.getRenewDeadline()).isEqualTo(Duration.ofSeconds(10));
        assertThat(lease.getRetryPeriod()).isEqualTo(Duration.ofSeconds(2));
        // A replica that lost the Lease stops, closing its sessions: through our callback, which exits from a thread
        // of its own; the SDK's own exit would deadlock on SIGTERM (it runs inside the shutdown hook).
        assertThat(lease.isExitOnStopLeading()).isFalse();
        assertThat(lease.getLeaderCallbacks()).as("the lost-Lease exit").isPresent();
    }
}
