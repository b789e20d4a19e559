package dev.phasegate.testing;

import dev.phasegate.kube.OperatorLease;
import dev.phasegate.kube.SchemaMigrationReconciler;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One operator replica in a JVM of its own, as a pod would run it: its own API client (a ServiceAccount token), leader
 * election on the shared Lease, the production reconciler. Tests start two and kill one with SIGKILL.
 * Arguments: identity watchedNamespace leaseNamespace leaseMillis; API server URL, CA data and token come from
 * PHASEGATE_TEST_KUBE_URL, PHASEGATE_TEST_KUBE_CA and PHASEGATE_TEST_KUBE_TOKEN.
 */
public final class OperatorProcessMain {
    private OperatorProcessMain() {
    }

    public static void main(String[] args) {
        String identity = args[0];
        String watched = args[1];
        String leaseNamespace = args[2];
        Duration lease = Duration.ofMillis(Long.parseLong(args[3]));
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(System.getenv("PHASEGATE_TEST_KUBE_URL"))
                .withCaCertData(System.getenv("PHASEGATE_TEST_KUBE_CA"))
                .withOauthToken(System.getenv("PHASEGATE_TEST_KUBE_TOKEN")).withNamespace(leaseNamespace).build();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        SchemaMigrationReconciler reconciler = new SchemaMigrationReconciler(client, Clock.systemUTC(),
                new SchemaMigrationReconciler.Options(Duration.ofMillis(200), Duration.ofSeconds(1)));
        Operator operator = new Operator(o -> o.withKubernetesClient(client)
                .withUseSSAToPatchPrimaryResource(false)
                .withLeaderElectionConfiguration(OperatorLease.of(OperatorLease.DEFAULT_NAME, leaseNamespace,
                        identity, lease, lease.multipliedBy(2).dividedBy(3), lease.dividedBy(6), true)));
        operator.register(reconciler, c -> c.settingNamespaces(watched));
        operator.start();
        System.out.println("started " + identity);
    }

    /** Starts a replica with the test's classpath and Java; its output goes to logFile. */
    public static Process start(KubeControlPlane kube, String token, String identity, String watched,
            String leaseNamespace, Duration lease, Path logFile) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                OperatorProcessMain.class.getName(), identity, watched, leaseNamespace,
                String.valueOf(lease.toMillis())));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("PHASEGATE_TEST_KUBE_URL", kube.apiServerUrl());
        pb.environment().put("PHASEGATE_TEST_KUBE_CA", kube.caCertData());
        pb.environment().put("PHASEGATE_TEST_KUBE_TOKEN", token);
        pb.redirectErrorStream(true);
        pb.redirectOutput(logFile.toFile());
        return pb.start();
    }
}
