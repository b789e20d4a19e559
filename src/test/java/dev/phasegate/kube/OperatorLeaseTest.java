package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class OperatorLeaseTest {

    @Test
    void stoppingToLeadExitsFromAThreadOfItsOwnSoThatAShutdownHookCallingItIsNotBlocked() throws Exception {
        CountDownLatch shutdownDone = new CountDownLatch(1);
        AtomicReference<Thread> exitThread = new AtomicReference<>();
        // Stands in for System.exit during a shutdown: it waits until the shutdown hooks have finished.
        LeaderCallbacks callbacks = OperatorLease.exitingCallbacks(() -> {
            exitThread.set(Thread.currentThread());
            try {
                shutdownDone.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        Thread hook = new Thread(callbacks::onStopLeading, "shutdown-hook");
        hook.start();
        hook.join(Duration.ofSeconds(5).toMillis());

        assertThat(hook.isAlive()).as("the shutdown hook returned from onStopLeading").isFalse();
        shutdownDone.countDown();
        org.awaitility.Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> exitThread.get() != null);
        assertThat(exitThread.get().getName()).isEqualTo("phasegate-lost-lease-exit");
        assertThat(exitThread.get().isDaemon()).isTrue();
    }

    @Test
    void theApplicationsLeaseDoesNotLetTheSdkExitInsideItsCallback() {
        OperatorLease lease = new OperatorLease(OperatorLease.DEFAULT_NAME, Optional.empty(), Duration.ofSeconds(15),
                Duration.ofSeconds(10), Duration.ofSeconds(2));
        assertThat(lease.isExitOnStopLeading()).isFalse();
        assertThat(lease.getLeaderCallbacks()).isPresent();
    }
}
