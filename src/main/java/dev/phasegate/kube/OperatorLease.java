package dev.phasegate.kube;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The Kubernetes Lease that lets one operator replica act while the others wait (quarkus-operator-sdk picks this bean
 * up in the prod profile). Two replicas are what a rolling upgrade briefly runs anyway; without the Lease both would
 * reconcile, and only the runner lock in each database would stop them from running the same phase at once.
 * A replica that loses the Lease exits ({@link #exitingCallbacks}), so its sessions close and their locks go with it.
 */
@Singleton
public class OperatorLease extends LeaderElectionConfiguration {
    public static final String DEFAULT_NAME = "phasegate-operator";

    @Inject
    public OperatorLease(
            @ConfigProperty(name = "phasegate.leader-election.lease-name", defaultValue = DEFAULT_NAME) String name,
            @ConfigProperty(name = "phasegate.leader-election.lease-namespace") Optional<String> namespace,
            @ConfigProperty(name = "phasegate.leader-election.lease-duration", defaultValue = "15s")
            Duration leaseDuration,
            @ConfigProperty(name = "phasegate.leader-election.renew-deadline", defaultValue = "10s")
            Duration renewDeadline,
            @ConfigProperty(name = "phasegate.leader-election.retry-period", defaultValue = "2s")
            Duration retryPeriod) {
        // No namespace: the one the pod runs in (from its ServiceAccount), where deploy/ grants the Lease rules.
        super(name, namespace.filter(n -> !n.isBlank()).orElse(null), leaseDuration, renewDeadline, retryPeriod,
                null, exitingCallbacks(() -> System.exit(1)), false);
    }

    /**
     * Runs exit when the replica stops leading, on a thread of its own. The SDK's own exit (exitOnStopLeading) calls
     * System.exit in the callback, which on SIGTERM runs inside the shutdown hook that stops the operator: exit then
     * waits for that hook forever and the pod hangs until it is killed. From its own thread the exit only waits while
     * a shutdown is under way, and ends the JVM when the Lease was really lost.
     */
    static LeaderCallbacks exitingCallbacks(Runnable exit) {
        return new LeaderCallbacks(() -> {
        }, () -> {
            Thread t = new Thread(exit, "phasegate-lost-lease-exit");
            t.setDaemon(true);
            t.start();
        }, identity -> {
        });
    }

    /**
     * For processes that are not the Quarkus application (tests, the demo): explicit namespace and timings.
     * exitOnStopLeading false only where the operator shares its JVM with other work (a test runner), which a lost
     * Lease must not end.
     */
    public static LeaderElectionConfiguration of(String name, String namespace, String identity, Duration leaseDuration,
            Duration renewDeadline, Duration retryPeriod, boolean exitOnStopLeading) {
        return new LeaderElectionConfiguration(name, namespace, leaseDuration, renewDeadline, retryPeriod, identity,
                null, exitOnStopLeading);
    }
}
