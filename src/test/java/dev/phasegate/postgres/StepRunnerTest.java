package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.PhaseName;
import dev.phasegate.engine.StepObservation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StepRunnerTest {

    private static final StepObservation STARTING = new StepObservation.Running(PhaseName.CompatibleSchema, false,
            0, 0, null, "reading the catalog");

    @Test
    void aBoundedRunnerRunsAtMostItsThreadsAtOnceAndQueuesTheRestInOrder() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        List<StepRunner.Step> steps = new ArrayList<>();
        try (StepRunner runner = new StepRunner("test-plan", 2)) {
            for (int i = 0; i < 6; i++) {
                steps.add(runner.start("m" + i, STARTING, ctx -> {
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    running.decrementAndGet();
                    return new StepObservation.Completed(PhaseName.CompatibleSchema, false, 0, "done");
                }, () -> { }));
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> running.get() == 2);
            assertThat(steps).filteredOn(s -> !s.finished()).hasSize(6);
            release.countDown();
            for (StepRunner.Step s : steps) {
                assertThat(s.awaitFinished(Duration.ofSeconds(10))).isTrue();
            }
        }
        assertThat(most.get()).isEqualTo(2);
    }
}
