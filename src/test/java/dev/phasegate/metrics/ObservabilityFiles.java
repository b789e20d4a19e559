package dev.phasegate.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The PromQL that deploy/grafana's dashboard and the chart's PrometheusRule run, and the metric names in it. */
final class ObservabilityFiles {
    static final Path DASHBOARD = Path.of("deploy", "grafana", "phasegate-dashboard.json");
    static final Path CHART_DASHBOARD = Path.of("helm", "phasegate", "dashboards", "phasegate-dashboard.json");
    static final Path CHART = Path.of("helm", "phasegate");
    private static final Pattern METRIC = Pattern.compile("\\bphasegate_[a-z0-9_]+");

    private ObservabilityFiles() {
    }

    /** Every query of the dashboard: panel targets and template variables. */
    static List<String> dashboardQueries() {
        try {
            JsonNode root = new ObjectMapper().readTree(DASHBOARD.toFile());
            List<String> out = new ArrayList<>();
            root.path("panels").forEach(p -> p.path("targets").forEach(t -> out.add(t.path("expr").asText())));
            root.path("templating").path("list").forEach(v -> {
                if (v.path("query").has("query")) {
                    out.add(v.path("query").path("query").asText());
                }
            });
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The chart's PrometheusRule as rendered with alerts on and default thresholds. */
    static GenericKubernetesResource renderedRules() {
        String yaml = new Helm(CHART).template().withName("phasegate").withNamespace("phasegate-system")
                .set("metrics.alerts.enabled", true).call();
        KubernetesSerialization serialization = new KubernetesSerialization();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.contains("kind: PrometheusRule")) {
                return serialization.unmarshal(doc, GenericKubernetesResource.class);
            }
        }
        throw new AssertionError("no PrometheusRule rendered:\n" + yaml);
    }

    /** Alert name to expression, from the rendered PrometheusRule. */
    @SuppressWarnings("unchecked")
    static Map<String, String> alertExpressions() {
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, Object> spec = (Map<String, Object>) renderedRules().getAdditionalProperties().get("spec");
        for (Map<String, Object> group : (List<Map<String, Object>>) spec.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                out.put((String) rule.get("alert"), String.valueOf(rule.get("expr")));
            }
        }
        return out;
    }

    /** The phasegate_* metric names an expression selects (series names as scraped: _total, _bucket, ...). */
    static Set<String> metricNames(String expr) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    /** The series names of a Prometheus text exposition. */
    static Set<String> scrapedNames(String exposition) {
        Set<String> names = new TreeSet<>();
        exposition.lines().filter(l -> !l.isBlank() && !l.startsWith("#"))
                .map(l -> l.split("[{ ]", 2)[0]).forEach(names::add);
        return names;
    }
}
