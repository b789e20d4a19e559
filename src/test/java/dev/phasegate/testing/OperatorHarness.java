package dev.phasegate.testing;

import dev.phasegate.kube.SchemaMigrationReconciler;
import dev.phasegate.metrics.MigrationMetrics;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;

/**
 * The operator in-process against the Fabric8 mock API server in CRUD mode. The mock server stores and watches
 * objects but runs no controllers (tests play the Deployment controller), does no schema validation and no
 * server-side apply; the CRD from crds/ is applied so it knows the resource's scope and status subresource.
 * {@link #onCluster} runs the same operator against a real API server instead.
 */
public final class OperatorHarness implements AutoCloseable {
    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final String[] namespaces;
    private Operator operator;
    private SchemaMigrationReconciler reconciler;

    private OperatorHarness(KubernetesClient client, String... namespaces) {
        this.server = null;
        this.client = client;
        this.namespaces = namespaces;
    }

    /**
     * The operator against a real API server through client (e.g. a ServiceAccount's token), watching only the
     * given namespaces, as deploy/operator.yaml's Role grants no more. close() leaves the client open.
     */
    public static OperatorHarness onCluster(KubernetesClient client, String... namespaces) {
        return new OperatorHarness(client, namespaces);
    }

    public OperatorHarness() {
        namespaces = new String[0];
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        try (InputStream crd = new FileInputStream(crdFile().toFile())) {
            client.apiextensions().v1().customResourceDefinitions()
                    .resource(client.getKubernetesSerialization().unmarshal(crd, CustomResourceDefinition.class))
                    .create();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path crdFile() {
        Path p = Path.of("crds", "schemamigrations.phasegate.dev-v1.yml");
        return p.toFile().exists() ? p : Path.of(System.getProperty("phasegate.home", "."), p.toString());
    }

    /** Starts the operator with the given clock and options; stop() ends it, as a crash or restart would. */
    public OperatorHarness start(Clock clock, SchemaMigrationReconciler.Options options) {
        return start(new SchemaMigrationReconciler(client, clock, options), Metrics.NOOP);
    }

    /** As above, with phasegate's and JOSDK's metrics in registry, wired as the application wires them. */
    public OperatorHarness start(Clock clock, SchemaMigrationReconciler.Options options, MeterRegistry registry) {
        return start(new SchemaMigrationReconciler(client, clock, options, new MigrationMetrics(registry, clock)),
                MicrometerMetrics.withoutPerResourceMetrics(registry));
    }

    private OperatorHarness start(SchemaMigrationReconciler r, Metrics metrics) {
        reconciler = r;
        operator = new Operator(o -> o.withKubernetesClient(client)
                .withMetrics(metrics)
                .withUseSSAToPatchPrimaryResource(false)
                .withCloseClientOnStop(false)
                .withReconciliationTerminationTimeout(Duration.ofSeconds(2)));
        if (namespaces.length == 0) {
            operator.register(reconciler);
        } else {
            operator.register(reconciler, c -> c.settingNamespaces(namespaces));
        }
        operator.start();
        return this;
    }

    public OperatorHarness start() {
        return start(Clock.systemUTC(), new SchemaMigrationReconciler.Options(Duration.ofMillis(100),
                Duration.ofSeconds(1)));
    }

    public void stop() {
        if (operator != null) {
            operator.stop();
            operator = null;
        }
        if (reconciler != null) {
            reconciler.close();
            reconciler = null;
        }
    }

    public KubernetesClient client() {
        return client;
    }

    /** The API server's URL, for a kubectl-free look with curl. */
    public String url() {
        return client.getConfiguration().getMasterUrl();
    }

    @Override
    public void close() {
        stop();
        if (server != null) {
            client.close();
            server.destroy();
        }
    }
}
