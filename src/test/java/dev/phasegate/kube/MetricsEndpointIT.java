package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.SchemaMigration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * /q/metrics of the packaged application (CDI wiring, QOSDK's metrics bean replaced by ours): phasegate's series per
 * migration are there, and JOSDK's are controller-level only, so no framework series names a migration.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class MetricsEndpointIT {
    @Inject
    KubernetesClient client;

    @TestHTTPResource("/q/metrics")
    URL metrics;

    @Test
    void theEndpointHasOurSeriesPerMigrationAndNoFrameworkSeriesPerResource() throws Exception {
        List<String> names = List.of("metrics-a", "metrics-b", "metrics-c");
        for (String name : names) {
            client.resources(SchemaMigration.class).inNamespace("default").resource(client
                    .getKubernetesSerialization().unmarshal("""
                            apiVersion: phasegate.dev/v1alpha1
                            kind: SchemaMigration
                            metadata: {name: %s, namespace: default}
                            spec:
                              database: {secretRef: {name: missing-secret}}
                              compatibleSchema: {sql: "ALTER TABLE t ADD COLUMN c int;"}
                            """.formatted(name), SchemaMigration.class)).create();
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            String text = scrape();
            for (String name : names) {
                assertThat(text.lines()).as("status series of %s", name).anyMatch(l -> l.startsWith(
                        "phasegate_migration_status{migration=\"" + name + "\",namespace=\"default\",")
                        && l.contains("state=\"Blocked\"") && l.endsWith(" 1.0"));
            }
            assertThat(text).contains("operator_sdk_reconciliations_started_total");
        });
        String text = scrape();
        for (String name : names) {
            assertThat(text.lines().filter(l -> !l.startsWith("#") && l.contains(name)))
                    .as("series that name %s", name)
                    .allMatch(l -> l.startsWith("phasegate_"), "are phasegate's")
                    .hasSizeLessThanOrEqualTo(5);
        }
    }

    private String scrape() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                metrics.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }
}
