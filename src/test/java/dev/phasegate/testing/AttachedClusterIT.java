package dev.phasegate.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

/**
 * {@link KubeControlPlane#attach}, the path PHASEGATE_TEST_KUBECONFIG takes to an existing cluster, proven against a
 * cluster that exists here: the shared control plane, reached only through its kubeconfig file.
 */
@WithKubeControlPlane
class AttachedClusterIT {

    @Test
    void attachedClusterServesKubectlClientsTokensAndImpersonationAndOutlivesClose(KubeControlPlane running) {
        KubeControlPlane attached = KubeControlPlane.attach(running.kubeconfig());
        try {
            assertThat(attached.isLocal()).isFalse();
            assertThat(attached.hasAuditLog()).isFalse();
            assertThat(attached.kubeconfig()).isEqualTo(running.kubeconfig().toAbsolutePath());
            assertThat(attached.apiServerUrl()).isEqualTo(running.apiServerUrl());
            assertThat(attached.kubectl("get", "namespace", "default", "-o", "jsonpath={.metadata.name}").orThrow())
                    .isEqualTo("default");
            assertThat(attached.adminClient().namespaces().withName("kube-system").get()).isNotNull();

            // A ServiceAccount's own token through the attached cluster's address and CA, with no admin identity.
            String ns = "default";
            String sa = "attach-probe";
            attached.adminClient().serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder()
                    .withNewMetadata().withName(sa).endMetadata().build()).createOr(r -> r.update());
            assertThatThrownBy(() -> attached.serviceAccountClient(ns, sa).secrets().inNamespace(ns).list())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
            assertThatThrownBy(() -> attached.impersonating("nobody").pods().inNamespace(ns).list())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
        } finally {
            attached.close();
        }
        assertThat(running.isRunning()).as("closing an attached cluster stops nothing").isTrue();
        assertThat(running.adminClient().namespaces().withName("default").get()).isNotNull();
    }
}
