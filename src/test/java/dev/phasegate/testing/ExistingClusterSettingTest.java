package dev.phasegate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Which cluster the real-cluster tests use: the local control plane unless a setting names an existing one. */
class ExistingClusterSettingTest {

    @Test
    void onlyAnExplicitSettingRedirectsTheTests() {
        String before = System.getProperty("phasegate.test.kubeconfig");
        try {
            System.clearProperty("phasegate.test.kubeconfig");
            if (System.getenv("PHASEGATE_TEST_KUBECONFIG") == null) {
                assertThat(KubeControlPlane.existingClusterKubeconfig()).as("KUBECONFIG alone changes nothing").isEmpty();
            }
            System.setProperty("phasegate.test.kubeconfig", "/clusters/kind.yaml");
            assertThat(KubeControlPlane.existingClusterKubeconfig()).contains(Path.of("/clusters/kind.yaml"));
            System.setProperty("phasegate.test.kubeconfig", "KUBECONFIG");
            String env = System.getenv("KUBECONFIG");
            Path expected = env != null && !env.isBlank() ? Path.of(env.split(java.io.File.pathSeparator)[0])
                    : Path.of(System.getProperty("user.home"), ".kube", "config");
            assertThat(KubeControlPlane.existingClusterKubeconfig()).contains(expected);
        } finally {
            if (before == null) {
                System.clearProperty("phasegate.test.kubeconfig");
            } else {
                System.setProperty("phasegate.test.kubeconfig", before);
            }
        }
    }
}
