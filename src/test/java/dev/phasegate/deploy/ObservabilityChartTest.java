package dev.phasegate.deploy;

import static dev.phasegate.deploy.HelmChartTest.render;
import static dev.phasegate.deploy.HelmChartTest.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The chart's PodMonitor, PrometheusRule and dashboard ConfigMap: off by default, and right when switched on. */
@SuppressWarnings("unchecked")
class ObservabilityChartTest {
    static final Path DASHBOARD = Path.of("deploy", "grafana", "phasegate-dashboard.json");
    static final Path CHART_DASHBOARD = Path.of("helm", "phasegate", "dashboards", "phasegate-dashboard.json");

    @Test
    void nothingOfItRendersByDefault() {
        assertThat(render(values())).extracting(HasMetadata::getKind)
                .doesNotContain("PodMonitor", "PrometheusRule", "ConfigMap");
    }

    @Test
    void thePodMonitorScrapesTheOperatorsPod() {
        List<HasMetadata> objects = render(values("metrics.podMonitor.enabled", true,
                "metrics.podMonitor.labels.release", "kps"));
        GenericKubernetesResource pm = kind(objects, "PodMonitor");
        Deployment d = ManifestRules.one(objects, Deployment.class);
        assertThat(pm.getMetadata().getLabels()).containsEntry("release", "kps");
        assertThat(pm.get("spec", "selector", "matchLabels").equals(d.getSpec().getSelector().getMatchLabels()))
                .as("selects the operator's pods").isTrue();
        Map<String, Object> endpoint = ((List<Map<String, Object>>) pm.get("spec", "podMetricsEndpoints")).get(0);
        assertThat(endpoint).containsEntry("port", "http").containsEntry("path", "/q/metrics");
        assertThat(ManifestRules.operatorContainer(d).getPorts()).anyMatch(p -> "http".equals(p.getName()));
    }

    @Test
    void alertThresholdsComeFromValues() {
        GenericKubernetesResource rule = kind(render(values("metrics.alerts.enabled", true,
                "metrics.alerts.blockedFor", "2h", "metrics.alerts.watchdogCancels", 9,
                "metrics.alerts.approvalAwaitedFor", "3d")), "PrometheusRule");
        List<Map<String, Object>> rules = (List<Map<String, Object>>) ((List<Map<String, Object>>) rule.get("spec",
                "groups")).get(0).get("rules");
        assertThat(rules).extracting(r -> r.get("alert")).containsExactly("PhasegateMigrationBlocked",
                "PhasegateApprovalAwaited", "PhasegateHealthGateClosed", "PhasegateBackfillStalled", "PhasegateWatchdogCancelsPilingUp",
                "PhasegateMigrationFailed");
        assertThat(rules.get(0)).containsEntry("for", "2h");
        assertThat(rules.get(1)).containsEntry("for", "3d");
        assertThat((String) rules.get(4).get("expr")).endsWith("> 9");
        assertThat(rules).allSatisfy(r -> assertThat((Map<String, Object>) r.get("annotations"))
                .containsKeys("summary", "description"));
    }

    @Test
    void theDashboardConfigMapCarriesTheSameJsonAsDeployGrafana() throws Exception {
        String json = Files.readString(DASHBOARD);
        assertThat(Files.readString(CHART_DASHBOARD)).as("the chart's copy of the dashboard").isEqualTo(json);
        ConfigMap cm = ManifestRules.one(render(values("metrics.dashboard.enabled", true,
                "metrics.dashboard.namespace", "monitoring")), ConfigMap.class);
        assertThat(cm.getMetadata().getNamespace()).isEqualTo("monitoring");
        assertThat(cm.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(cm.getData().get("phasegate-dashboard.json")).isEqualTo(json.strip());
    }

    @Test
    void everythingOnAddsExactlyTheThreeObjects() {
        List<HasMetadata> plain = render(values());
        List<HasMetadata> all = render(values("metrics.podMonitor.enabled", true, "metrics.alerts.enabled", true,
                "metrics.dashboard.enabled", true));
        assertThat(all).hasSize(plain.size() + 3);
        assertThat(all).extracting(HasMetadata::getKind).contains("PodMonitor", "PrometheusRule", "ConfigMap");
    }

    private static GenericKubernetesResource kind(List<HasMetadata> objects, String kind) {
        return objects.stream().filter(o -> kind.equals(o.getKind())).map(GenericKubernetesResource.class::cast)
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind));
    }
}
