package dev.phasegate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's alert rules and the dashboard's queries are valid PromQL and valid rule files, checked by Prometheus's
 * own rule loader and PromQL parser (.ci/promql-check: the code `promtool check rules` runs, built from its Go module
 * by .ci/promql-check.sh). A broken expression must fail the same check, so the check is known to look.
 */
class AlertRulesTest {
    static final Path CHECKER = Path.of(System.getenv().getOrDefault("PHASEGATE_PROMQL_CHECK",
            System.getProperty("user.home") + "/.cache/phasegate/promql-check/" + pinnedVersion() + "/promql-check"));

    @TempDir
    Path dir;

    @Test
    void theChartsAlertRulesPassPrometheussRuleLoader() throws Exception {
        Map<String, Object> spec = spec();
        Result r = check(spec);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains(": 6 rules found").startsWith("SUCCESS");
    }

    @Test
    void aBrokenExpressionFailsTheSameCheck() throws Exception {
        Map<String, Object> spec = spec();
        rules(spec).get(0).put("expr", "phasegate_migration_status{state=\"Blocked\"} ==");
        Result r = check(spec);
        assertThat(r.exit()).as(r.output()).isNotZero();
        assertThat(r.output()).startsWith("FAILED").contains("PhasegateMigrationBlocked");
    }

    @Test
    void theDashboardsQueriesParseAsPromQL() throws Exception {
        List<Map<String, Object>> recording = new ArrayList<>();
        int n = 0;
        for (String q : ObservabilityFiles.dashboardQueries()) {
            if (q.startsWith("label_values(")) {
                continue; // a Grafana function, not PromQL; its selector is checked as one below
            }
            Map<String, Object> rule = new LinkedHashMap<>();
            rule.put("record", "phasegate:dashboard_query_" + n++);
            // Grafana's variables, as Grafana would put them in.
            rule.put("expr", q.replace("$__rate_interval", "5m").replace("$namespace", ".*")
                    .replace("$migration", ".*"));
            recording.add(rule);
        }
        recording.add(Map.of("record", "phasegate:dashboard_variable", "expr", "phasegate_migration_status"));
        Result r = check(Map.of("groups", List.of(Map.of("name", "dashboard", "rules", recording))));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains(": " + recording.size() + " rules found").startsWith("SUCCESS");
        assertThat(recording).hasSizeGreaterThan(10);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec() {
        return (Map<String, Object>) ObservabilityFiles.renderedRules().getAdditionalProperties().get("spec");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rules(Map<String, Object> spec) {
        return (List<Map<String, Object>>) ((List<Map<String, Object>>) spec.get("groups")).get(0).get("rules");
    }

    record Result(int exit, String output) {
    }

    /** The Prometheus module version .ci/promql-check/go.mod pins, which names the checker's cache directory. */
    static String pinnedVersion() {
        try {
            return Files.readAllLines(Path.of(".ci", "promql-check", "go.mod")).stream().map(String::strip)
                    .filter(l -> l.startsWith("github.com/prometheus/prometheus ")).map(l -> l.split("\\s+")[1])
                    .findFirst().orElseThrow();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Runs the checker on the groups, written as a plain Prometheus rules file. */
    private Result check(Map<String, Object> groups) throws IOException, InterruptedException {
        assertThat(CHECKER).as("the rule checker: build it with `make promql-check` (.ci/promql-check.sh)")
                .isExecutable();
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, new KubernetesSerialization().asYaml(groups));
        Process p = new ProcessBuilder(CHECKER.toString(), file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the checker finished").isTrue();
        return new Result(p.exitValue(), out + "\n--- rules file ---\n" + Files.readString(file));
    }
}
