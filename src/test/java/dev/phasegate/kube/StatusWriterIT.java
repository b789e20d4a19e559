package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.WithKubeControlPlane;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** On the real API server: a status decided from an object that has changed since is refused, never stored. */
@WithKubeControlPlane
class StatusWriterIT {
    private static final String NS = "default";
    static KubeControlPlane kube;

    @BeforeAll
    static void crd() {
        kube.kubectl("apply", "-f", "crds/").orThrow();
        kube.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/schemamigrations.phasegate.dev")
                .orThrow();
    }

    @Test
    void aDecisionFromAStaleReadIsRefusedAndAFreshOneLands() {
        KubernetesClient client = kube.adminClient();
        kube.kubectlWithInput("""
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: stale-write}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema: {sql: "ALTER TABLE t ADD COLUMN c int;"}
                """, "apply", "-n", NS, "-f", "-").orThrow();
        StatusWriter writer = new StatusWriter(client);
        SchemaMigration read = get(client);
        assertThat(writer.write(read, status(MigrationPhase.CompatibleSchema, "first"), true, null))
                .isEqualTo(StatusWriter.Outcome.WRITTEN);

        // The reconcile that comes next reads from a cache that has not caught up: the object before that write.
        SchemaMigration stale = read;
        assertThat(writer.write(stale, status(MigrationPhase.Pending, "from a stale read"), true, null))
                .isEqualTo(StatusWriter.Outcome.STALE);
        assertThat(get(client).getStatus().message).as("the newer status stays").isEqualTo("first");

        // Someone else changes the object (an annotation): a decision from before that is stale as well.
        SchemaMigration beforeEdit = get(client);
        client.resources(SchemaMigration.class).inNamespace(NS).withName("stale-write").edit(m -> {
            m.getMetadata().getAnnotations().put("example.com/touched", "yes");
            return m;
        });
        assertThat(writer.write(beforeEdit, status(MigrationPhase.CodeDeploy, "second"), true, null))
                .isEqualTo(StatusWriter.Outcome.STALE);
        assertThat(writer.write(get(client), status(MigrationPhase.CodeDeploy, "second"), true, null))
                .isEqualTo(StatusWriter.Outcome.WRITTEN);
        assertThat(get(client).getStatus().message).isEqualTo("second");

        // An unchanged status with nothing to fence is not sent, so even a stale read passes; with a step to start
        // (fence) the same write goes out and the server refuses it.
        SchemaMigration current = get(client);
        client.resources(SchemaMigration.class).inNamespace(NS).withName("stale-write").edit(m -> {
            m.getMetadata().getAnnotations().put("example.com/touched", "again");
            return m;
        });
        assertThat(writer.write(current, current.getStatus(), false, null)).isEqualTo(StatusWriter.Outcome.WRITTEN);
        assertThat(writer.write(current, current.getStatus(), true, null)).isEqualTo(StatusWriter.Outcome.STALE);
        client.resources(SchemaMigration.class).inNamespace(NS).withName("stale-write").delete();
        assertThat(writer.write(beforeEdit, status(MigrationPhase.CodeDeploy, "gone"), true, null))
                .isIn(StatusWriter.Outcome.GONE, StatusWriter.Outcome.STALE);
    }

    private static SchemaMigration get(KubernetesClient client) {
        return client.resources(SchemaMigration.class).inNamespace(NS).withName("stale-write").get();
    }

    private static SchemaMigrationStatus status(MigrationPhase phase, String message) {
        SchemaMigrationStatus s = new SchemaMigrationStatus();
        s.phase = phase;
        s.message = message;
        return s;
    }
}
