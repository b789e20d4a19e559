package dev.phasegate.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import dev.phasegate.engine.BackfillPacer.Pace;
import dev.phasegate.engine.BackfillPacer.Signals;
import dev.phasegate.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackfillPacerTest {
    private static final Duration BATCH = Duration.ofMillis(200);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T14:00:00Z"));

    private static List<Duration> samples(int n, double millis) {
        return Collections.nCopies(n, Duration.ofNanos((long) (millis * 1_000_000)));
    }

    private BackfillPacer pacer(double baselineMs) {
        BackfillPacer p = new BackfillPacer(BackfillPacer.Settings.defaults(), clock);
        p.baseline(samples(50, baselineMs));
        return p;
    }

    /** At full speed, then halved by a breach. */
    private BackfillPacer slowedDown() {
        BackfillPacer p = pacer(1);
        batch(p, 1);
        batch(p, 30);
        return p;
    }

    /** One batch later, with the probe samples taken during it and its pause. */
    private Pace batch(BackfillPacer p, double probeMs) {
        clock.advance(Duration.ofMillis(500));
        return p.afterBatch(BATCH, samples(30, probeMs), Signals.NONE);
    }

    @Test
    void theBudgetIsTheGoalOverTheBaseline() {
        // max(1.25 x p99, p99 + 10 ms): the additive part wins for a fast probe, the factor for a slow one.
        assertThat(pacer(2).budget()).isEqualTo(Duration.ofMillis(12));
        assertThat(pacer(80).budget()).isEqualTo(Duration.ofMillis(100));
        BackfillPacer configured = new BackfillPacer(new BackfillPacer.Settings(Duration.ofMillis(3),
                Duration.ofSeconds(10)), clock);
        configured.baseline(samples(50, 2));
        assertThat(configured.budget()).isEqualTo(Duration.ofMillis(5));
    }

    @Test
    void startsAtFullSpeedAndStaysThereOnAQuietDatabase() {
        BackfillPacer p = pacer(1);
        Pace start = p.pace();
        assertThat(start.duty()).isEqualTo(1.0);
        assertThat(start.targetScale()).isEqualTo(1.0);
        assertThat(start.pause()).isZero();
        assertThat(start.why()).contains("starting at 100% of full speed", "baseline 1.0ms", "budget 11.0ms");
        for (int i = 0; i < 10; i++) {
            Pace quiet = batch(p, 1.2);
            assertThat(quiet.duty()).isEqualTo(1.0);
            assertThat(quiet.pause()).isZero();
        }
    }

    @Test
    void theFirstBatchOverBudgetHalvesThePaceRightAfterIt() {
        BackfillPacer p = pacer(1);
        // No pause of judgement before a decrease: 50 ms after the start, on the first batch's few samples.
        clock.advance(Duration.ofMillis(50));
        Pace slowed = p.afterBatch(BATCH, samples(5, 30), Signals.NONE);
        assertThat(slowed.duty()).isEqualTo(0.5);
        assertThat(slowed.targetScale()).isEqualTo(0.5);
        assertThat(slowed.pause()).isEqualTo(BATCH);
        assertThat(slowed.why()).contains("over budget 11.0ms", "slowed to 50%");
        // From there, up in additive steps (no doubling back to full speed).
        batch(p, 1);
        assertThat(batch(p, 1).duty()).isEqualTo(0.55, offset(1e-9));
    }

    @Test
    void halvesAtOnceWhenTheProbeP99ExceedsTheBudgetThenRecoversInSmallSteps() {
        BackfillPacer p = pacer(1);
        batch(p, 1); // full speed
        Pace slowed = batch(p, 30);
        assertThat(slowed.duty()).isEqualTo(0.5);
        assertThat(slowed.targetScale()).isEqualTo(0.5);
        assertThat(slowed.pause()).isEqualTo(BATCH);
        assertThat(slowed.why()).contains("probe p99 30.0ms over budget 11.0ms", "slowed to 50%");
        Pace again = batch(p, 30);
        assertThat(again.duty()).isEqualTo(0.25);
        assertThat(again.pause()).isEqualTo(BATCH.multipliedBy(3));

        // Headroom again: the batch length comes back first, then the duty cycle in additive steps.
        assertThat(batch(p, 1).targetScale()).isEqualTo(0.5);
        assertThat(batch(p, 1).targetScale()).isEqualTo(1.0);
        assertThat(batch(p, 1).duty()).isEqualTo(0.30, offset(1e-9));
        assertThat(batch(p, 1).duty()).isEqualTo(0.35, offset(1e-9));
    }

    @Test
    void stepsUpOnlyAfterAPauseOfJudgementAndOnFreshSamples() {
        BackfillPacer p = slowedDown();
        double duty = p.pace().duty();
        // Too soon after the change: no step, however good the samples.
        clock.advance(Duration.ofMillis(100));
        assertThat(p.afterBatch(BATCH, samples(30, 1), Signals.NONE).duty()).isEqualTo(duty);
        // Too few samples since the change.
        BackfillPacer q = slowedDown();
        clock.advance(Duration.ofSeconds(1));
        assertThat(q.afterBatch(BATCH, samples(5, 1), Signals.NONE).duty()).isEqualTo(duty);
    }

    @Test
    void holdsBetweenHeadroomAndBudget() {
        BackfillPacer p = slowedDown();
        double duty = p.pace().duty();
        // Budget 11 ms, headroom up to 6 ms: 9 ms is neither over nor comfortably under.
        Pace held = batch(p, 9);
        assertThat(held.duty()).isEqualTo(duty);
        assertThat(held.why()).contains("holding");
    }

    @Test
    void oneStraySampleIsNotABreach() {
        BackfillPacer p = pacer(1);
        batch(p, 1);
        clock.advance(Duration.ofMillis(500));
        List<Duration> mostlyFast = new java.util.ArrayList<>(samples(150, 1));
        mostlyFast.add(Duration.ofMillis(500));
        assertThat(p.afterBatch(BATCH, mostlyFast, Signals.NONE).duty()).isEqualTo(1.0);
    }

    @Test
    void withTheDefaultLimitASessionOrTwoWaitingForRowsAreToleratedAndAQueueIsNot() {
        BackfillPacer p = pacer(1);
        batch(p, 1);
        clock.advance(Duration.ofMillis(500));
        int tolerated = BackfillPacer.ROW_WAITERS_TOLERATED;
        assertThat(p.afterBatch(BATCH, List.of(), new Signals(0, tolerated, 0, null, null)).duty()).isEqualTo(1.0);
        Pace queue = p.afterBatch(BATCH, List.of(), new Signals(0, tolerated + 1, 0, null, null));
        assertThat(queue.duty()).isEqualTo(0.5);
        assertThat(queue.why()).contains((tolerated + 1) + " session(s) queued behind our last batch");
    }

    @Test
    void slowsDownOnLockWaitersAndReplicaLagBeforeTheHealthGateWould() {
        BackfillPacer p = pacer(1);
        batch(p, 1);
        clock.advance(Duration.ofMillis(500));
        Pace waiters = p.afterBatch(BATCH, samples(30, 1), new Signals(1, 0, 0, null, null));
        assertThat(waiters.duty()).isEqualTo(0.5);
        assertThat(waiters.why()).contains("1 session(s) waiting for a lock on the table");
        // Sessions that waited for rows the batch had locked count alike, against the same limit.
        clock.advance(Duration.ofMillis(500));
        assertThat(p.afterBatch(BATCH, List.of(), new Signals(0, 2, 4, null, null)).duty()).isEqualTo(0.5);
        Pace rows = p.afterBatch(BATCH, List.of(), new Signals(0, 3, 4, null, null));
        assertThat(rows.duty()).isEqualTo(0.25);
        assertThat(rows.why()).contains("3 session(s) queued behind our last batch (for rows or locks it held)");
        // Lag under half the gate's limit is no reason; over half is.
        clock.advance(Duration.ofMillis(500));
        Signals lagging = new Signals(0, 0, 0, Duration.ofSeconds(4), Duration.ofSeconds(10));
        assertThat(p.afterBatch(BATCH, List.of(), lagging).duty()).isEqualTo(0.25);
        Pace lag = p.afterBatch(BATCH, List.of(),
                new Signals(0, 0, 0, Duration.ofSeconds(6), Duration.ofSeconds(10)));
        assertThat(lag.duty()).isEqualTo(0.125);
        assertThat(lag.why()).contains("replica lag 6s over half of maxReplicationLag 10s");
    }

    /** One batch of 100 ms whose probe stayed at its baseline, and whose longest row waiter at commit had waited so. */
    private Pace rowBatch(BackfillPacer p, long waitedMs) {
        clock.advance(Duration.ofMillis(100));
        return p.afterBatch(Duration.ofMillis(100), samples(10, 1),
                new Signals(0, 1, 0, null, null, Duration.ofMillis(waitedMs)));
    }

    @Test
    void batchesThatLeaveSessionsWaitingLongForRowsAreShortenedBeforeAnyPause() {
        BackfillPacer p = pacer(1); // budget 11 ms: 10 ms allowed over the baseline
        // Waits within the allowance, however many, are no reason.
        for (int i = 0; i < 30; i++) {
            assertThat(rowBatch(p, 9).targetScale()).isEqualTo(1.0);
        }
        // One long wait is not enough; two in a window where they are more than one batch in thirty-three are.
        assertThat(rowBatch(p, 40).targetScale()).isEqualTo(1.0);
        Pace shortened = rowBatch(p, 40);
        assertThat(shortened.targetScale()).isEqualTo(0.5);
        assertThat(shortened.duty()).isEqualTo(1.0);
        assertThat(shortened.pause()).isZero();
        assertThat(shortened.why()).isEqualTo("2 of the last 32 batches ended with a session waiting over 10.0ms"
                + " for rows they held; batches shortened to 50% of targetBatchDuration");
        rowBatch(p, 40);
        assertThat(rowBatch(p, 40).targetScale()).isEqualTo(0.25);
        // At the shortest batches, only the duty cycle is left.
        rowBatch(p, 40);
        Pace slowed = rowBatch(p, 40);
        assertThat(slowed.targetScale()).isEqualTo(BackfillPacer.MIN_TARGET_SCALE);
        assertThat(slowed.duty()).isEqualTo(0.5);
        assertThat(slowed.why()).endsWith("for rows they held; slowed to 50%");
    }

    @Test
    void rareLongRowWaitsDoNotCount() {
        BackfillPacer p = pacer(1);
        for (int i = 0; i < 70; i++) {
            // Two long waits in 70 batches: fewer than one in thirty-three.
            Pace pace = rowBatch(p, i == 10 || i == 69 ? 40 : 0);
            assertThat(pace.targetScale()).isEqualTo(1.0);
            assertThat(pace.duty()).isEqualTo(1.0);
        }
    }

    @Test
    void batchesShortenedForRowWaitsGrowBackOnlyAfterEnoughBatchesWithoutOne() {
        BackfillPacer p = pacer(1);
        rowBatch(p, 40);
        assertThat(rowBatch(p, 40).targetScale()).isEqualTo(0.5);
        // The probe has headroom after 0.5 s, as it would after a probe breach, but row waits are rare events.
        Pace held = null;
        for (int i = 1; i < BackfillPacer.ROW_WAIT_EVIDENCE; i++) {
            held = rowBatch(p, 0);
            assertThat(held.targetScale()).as("after %d quiet batches", i).isEqualTo(0.5);
        }
        assertThat(held.why()).isEqualTo("batches kept at 50% of targetBatchDuration until 20 in a row leave nobody"
                + " waiting long for rows");
        assertThat(rowBatch(p, 0).targetScale()).isEqualTo(1.0);
    }

    @Test
    void neverStopsAndNeverPausesLongerThanMaxPause() {
        BackfillPacer p = new BackfillPacer(new BackfillPacer.Settings(null, Duration.ofSeconds(2)), clock);
        p.baseline(samples(50, 1));
        Pace last = null;
        for (int i = 0; i < 20; i++) {
            last = batch(p, 50);
        }
        assertThat(last.duty()).isEqualTo(BackfillPacer.MIN_DUTY);
        assertThat(last.targetScale()).isEqualTo(BackfillPacer.MIN_TARGET_SCALE);
        assertThat(last.pause()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void needsABaselineFirst() {
        BackfillPacer p = new BackfillPacer(BackfillPacer.Settings.defaults(), clock);
        assertThatThrownBy(() -> p.afterBatch(BATCH, List.of(), Signals.NONE))
                .isInstanceOf(IllegalStateException.class);
    }
}
