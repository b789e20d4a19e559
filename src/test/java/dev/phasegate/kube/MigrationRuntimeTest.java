package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.StepRunner;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MigrationRuntimeTest {

    @Test
    void batchProgressTriggersAReconcileEveryFewSecondsButWaitsAndTheEndAtOnce() throws Exception {
        MigrationRuntime runtime = new MigrationRuntime("shop/orders-v2");
        Instant[] now = {Instant.parse("2026-12-02T10:00:00Z")};
        List<String> triggered = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch recorded = new CountDownLatch(1);
        try (StepRunner runner = new StepRunner()) {
            StepRunner.Step step = runner.start("uid", running(null, "starting"), ctx -> {
                try {
                    recorded.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int batch = 1; batch <= 200; batch++) { // 20 s of batches, one every 100 ms
                    // Batches counted in statementsDone, as the Backfiller reports them.
                    ctx.progress().accept(new StepObservation.Running(PhaseName.Backfill, false, batch, 0,
                            batch == 50 ? Reason.LockWaiters : null, "batch " + batch));
                    now[0] = now[0].plusMillis(100);
                }
                return new StepObservation.Completed(PhaseName.Backfill, false, 0, "done");
            }, () -> {
                if (runtime.reportNow(now[0])) {
                    triggered.add(runtime.observe("uid") instanceof StepObservation.Running r ? r.detail() : "end");
                }
            });
            runtime.started(step);
            recorded.countDown();
            await().atMost(Duration.ofSeconds(10)).until(step::finished);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> triggered.contains("end"));
        assertThat(triggered).as("the first batch, the wait starting and ending, every 5 s after that, the end")
                .containsExactly("batch 1", "batch 50", "batch 51", "batch 101", "batch 151", "end");
    }

    private static StepObservation.Running running(Reason waitingOn, String detail) {
        return new StepObservation.Running(PhaseName.Backfill, false, 0, 0, waitingOn, detail);
    }

    @Test
    void eachStatementOfAScriptIsReportedAtOnce() throws Exception {
        MigrationRuntime runtime = new MigrationRuntime("shop/orders-v2");
        Instant now = Instant.parse("2026-12-02T10:00:00Z");
        List<String> triggered = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch recorded = new CountDownLatch(1);
        try (StepRunner runner = new StepRunner()) {
            StepRunner.Step step = runner.start("uid", running(null, "starting"), ctx -> {
                try {
                    recorded.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int statement = 0; statement < 3; statement++) { // all within the same instant
                    ctx.progress().accept(new StepObservation.Running(PhaseName.CompatibleSchema, false, statement, 3,
                            null, "statement " + (statement + 1) + "/3"));
                }
                return new StepObservation.Completed(PhaseName.CompatibleSchema, false, 3, "done");
            }, () -> {
                if (runtime.reportNow(now)) {
                    triggered.add(runtime.observe("uid") instanceof StepObservation.Running r ? r.detail() : "end");
                }
            });
            runtime.started(step);
            recorded.countDown();
            await().atMost(Duration.ofSeconds(10)).until(step::finished);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> triggered.contains("end"));
        assertThat(triggered).containsExactly("statement 1/3", "statement 2/3", "statement 3/3", "end");
    }
}
