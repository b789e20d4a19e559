package dev.phasegate.testing;

import static org.awaitility.Awaitility.await;

import dev.phasegate.kube.OperatorLease;
import dev.phasegate.kube.SchemaMigrationReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.time.Clock;
import java.time.Duration;

/**
 * The operator installed from crds/ and deploy/operator.yaml on the real control plane, running in-process with a
 * real token of its ServiceAccount, so the API server enforces every RBAC rule it is given; with the pod stand-in
 * in its namespace, so the real Deployment controller completes rollouts.
 */
public final class ServiceAccountOperator implements AutoCloseable {
    /** The namespace deploy/operator.yaml's Role grants. */
    public static final String NAMESPACE = "default";
    public static final String USER = "system:serviceaccount:phasegate-system:phasegate";

    private final Operator operator;
    private final SchemaMigrationReconciler reconciler;
    private final PodReadinessStandIn standIn;
    private final KubeControlPlane kube;

    private ServiceAccountOperator(Operator operator, SchemaMigrationReconciler reconciler,
            PodReadinessStandIn standIn, KubeControlPlane kube) {
        this.operator = operator;
        this.reconciler = reconciler;
        this.standIn = standIn;
        this.kube = kube;
    }

    /** kubectl apply of crds/ and deploy/operator.yaml, returning once the operator's Role is in effect. */
    public static void applyManifests(KubeControlPlane kube) {
        kube.kubectl("apply", "-f", "crds/").orThrow();
        kube.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/schemamigrations.phasegate.dev")
                .orThrow();
        kube.kubectl("apply", "-f", "deploy/operator.yaml").orThrow();
        // The RBAC authorizer reads bindings from a cache: wait until the operator's Role counts before it starts.
        await("the operator's RoleBinding takes effect").atMost(Duration.ofSeconds(30)).until(() -> "yes".equals(
                kube.kubectl("auth", "can-i", "watch", "schemamigrations.phasegate.dev", "-n", NAMESPACE,
                        "--as=" + USER).stdout().trim()));
    }

    public static ServiceAccountOperator install(KubeControlPlane kube) {
        applyManifests(kube);
        KubernetesClient asOperator = kube.serviceAccountClient("phasegate-system", "phasegate");
        SchemaMigrationReconciler reconciler = new SchemaMigrationReconciler(asOperator, Clock.systemUTC(),
                new SchemaMigrationReconciler.Options(Duration.ofMillis(200), Duration.ofSeconds(1)));
        // With leader election as deployed, so that the Lease rules are exercised (and judged) like the others; not
        // exiting the JVM when it stops leading, since the test runner shares it.
        Operator operator = new Operator(o -> o.withKubernetesClient(asOperator)
                .withUseSSAToPatchPrimaryResource(false)
                .withCloseClientOnStop(false)
                .withReconciliationTerminationTimeout(Duration.ofSeconds(2))
                .withLeaderElectionConfiguration(OperatorLease.of(OperatorLease.DEFAULT_NAME, "phasegate-system",
                        "in-process", Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2), false)));
        // deploy/operator.yaml sets QUARKUS_OPERATOR_SDK_NAMESPACES=default; the Role grants nothing cluster-wide.
        operator.register(reconciler, c -> c.settingNamespaces(NAMESPACE));
        operator.start();
        return new ServiceAccountOperator(operator, reconciler,
                PodReadinessStandIn.start(kube.adminClient(), NAMESPACE), kube);
    }

    @Override
    public void close() {
        operator.stop();
        reconciler.close();
        standIn.close();
        // The control plane is shared by test classes: the next operator must not wait for this one's Lease.
        kube.adminClient().leases().inNamespace("phasegate-system").withName(OperatorLease.DEFAULT_NAME).delete();
    }
}
