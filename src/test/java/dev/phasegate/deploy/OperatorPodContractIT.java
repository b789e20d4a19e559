package dev.phasegate.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What deploy/operator.yaml and the Helm chart promise about the running application, checked against the packaged
 * Quarkus app and the Fabric8 mock API server (which enforces no RBAC):
 * <ul>
 * <li>the probe endpoints the manifests use exist and answer UP;</li>
 * <li>the watched-namespace setting the manifests pass (QUARKUS_OPERATOR_SDK_NAMESPACES; here the equivalent
 * property) confines the operator to those namespaces;</li>
 * <li>every API request the operator made while reconciling is covered by a grant in the manifests' Roles (only the
 * code paths this test reaches: Deployment patch and the pod list before Cleanup are not reached here).</li>
 * </ul>
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(OperatorPodContractIT.WatchShopOnly.class)
class OperatorPodContractIT {
    static final String TEST_AGENT = "phasegate-contract-test";

    public static class WatchShopOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.operator-sdk.namespaces", "shop");
        }
    }

    @KubernetesTestServer
    KubernetesServer server;

    @TestHTTPResource("/q/health/started")
    URL started;
    @TestHTTPResource("/q/health/live")
    URL live;
    @TestHTTPResource("/q/health/ready")
    URL ready;
    @TestHTTPResource("/q/metrics")
    URL metrics;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** The test's own client, told apart from the operator's requests by its user agent. */
    private KubernetesClient client;

    @BeforeEach
    void testClient() {
        client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(server.getClient().getConfiguration())
                .withUserAgent(TEST_AGENT).build()).build();
    }

    @AfterEach
    void closeClient() {
        client.close();
    }

    @Test
    void probeEndpointsAnswerUp() throws Exception {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (URL probe : new URL[] {started, live, ready}) {
                HttpResponse<String> r = get(probe);
                assertThat(r.statusCode()).as("%s: %s", probe, r.body()).isEqualTo(200);
                assertThat(r.body()).as(probe.toString()).contains("\"status\": \"UP\"");
            }
        });
        // Readiness includes the operator SDK's informer check, so a pod whose RBAC stops its informers is unready.
        assertThat(get(ready).body()).contains("Quarkus Operator SDK health check");
        assertThat(get(metrics).statusCode()).isEqualTo(200);
    }

    @Test
    void reconcilesOnlyTheWatchedNamespacesWithTheGrantedVerbs() throws Exception {
        create("shop", "watched");
        create("elsewhere", "not-watched");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            SchemaMigration seen = client.resources(SchemaMigration.class).inNamespace("shop").withName("watched")
                    .get();
            assertThat(seen.getStatus()).isNotNull();
            assertThat(seen.getStatus().reason).isEqualTo(Reason.SecretNotFound);
        });
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            SchemaMigration other = client.resources(SchemaMigration.class).inNamespace("elsewhere")
                    .withName("not-watched").get();
            assertThat(other.getStatus() == null ? null : other.getStatus().reason).as("not reconciled").isNull();
        });

        Set<String> seen = new TreeSet<>();
        List<String> outside = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.getKubernetesMockServer().takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
            if (TEST_AGENT.equals(request.getHeader("User-Agent"))) {
                continue;
            }
            Optional<ApiCallAudit> call = ApiCallAudit.of(request.getMethod(), request.getPath());
            if (call.isEmpty() || call.get().group().equals("apiextensions.k8s.io")) {
                continue; // discovery/version, and the CRD that only the test profile applies (crd.apply)
            }
            seen.add(call.get().grant());
            if (!"shop".equals(call.get().namespace())) {
                outside.add(request.getMethod() + " " + request.getPath());
            }
        }
        assertThat(outside).as("operator requests outside the watched namespace").isEmpty();
        assertThat(seen).as("operator requests, as RBAC grants").isSubsetOf(ManifestRules.OPERATOR_GRANTS)
                .contains("phasegate.dev/schemamigrations:list", "phasegate.dev/schemamigrations:watch",
                        "phasegate.dev/schemamigrations/status:update", "apps/deployments:list",
                        "apps/deployments:watch", "/secrets:get", "/events:create");
    }

    private void create(String namespace, String name) {
        SchemaMigration m = client.getKubernetesSerialization().unmarshal("""
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: %s, namespace: %s}
                spec:
                  database: {secretRef: {name: no-such-secret}}
                  application: {deployment: orders-api, image: "registry.example/orders-api:2.0"}
                  compatibleSchema: {sql: "ALTER TABLE t ADD COLUMN c int;"}
                """.formatted(name, namespace), SchemaMigration.class);
        client.resources(SchemaMigration.class).inNamespace(namespace).resource(m).create();
    }

    private HttpResponse<String> get(URL url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url.toString())).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
