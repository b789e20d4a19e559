package dev.phasegate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.WithKubeControlPlane;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The chart's observability values on the real API server: the dashboard ConfigMap installs as rendered, and the
 * PodMonitor is refused by a cluster without prometheus-operator's CRDs (which is why it is off by default).
 */
@WithKubeControlPlane
class ObservabilityInstallIT {
    private static final Path CHART = Path.of("helm", "phasegate");

    @Test
    void theDashboardConfigMapInstallsAndAPodMonitorNeedsItsCrd(KubeControlPlane kube) throws Exception {
        Release release = new Helm(CHART).install().withName("phasegate").withNamespace("phasegate-obs")
                .createNamespace().withKubeConfig(kube.kubeconfig()).set("metrics.dashboard.enabled", true).call();
        assertThat(release.getStatus()).isEqualTo("deployed");
        ConfigMap cm = kube.adminClient().configMaps().inNamespace("phasegate-obs").withName("phasegate-dashboard")
                .get();
        assertThat(cm).as("the dashboard ConfigMap").isNotNull();
        assertThat(cm.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(cm.getData().get("phasegate-dashboard.json"))
                .isEqualTo(Files.readString(Path.of("deploy", "grafana", "phasegate-dashboard.json")).strip());
        Helm.uninstall("phasegate").withNamespace("phasegate-obs").withKubeConfig(kube.kubeconfig()).call();

        assertThatThrownBy(() -> new Helm(CHART).install().withName("phasegate-pm").withNamespace("phasegate-pm")
                .createNamespace().withKubeConfig(kube.kubeconfig()).set("metrics.podMonitor.enabled", true).call())
                .hasMessageContaining("PodMonitor");
    }
}
