package dev.phasegate.engine;

import static dev.phasegate.api.PhaseName.Backfill;
import static dev.phasegate.api.PhaseName.Cleanup;
import static dev.phasegate.engine.MigrationEngineTest.CLEANUP;
import static dev.phasegate.engine.MigrationEngineTest.EXPAND;
import static dev.phasegate.engine.MigrationEngineTest.NEW_IMAGE;
import static dev.phasegate.engine.MigrationEngineTest.OLD_IMAGE;
import static dev.phasegate.engine.MigrationEngineTest.completed;
import static dev.phasegate.engine.MigrationEngineTest.consistent;
import static dev.phasegate.engine.MigrationEngineTest.messages;
import static dev.phasegate.engine.MigrationEngineTest.rolledOut;
import static dev.phasegate.engine.MigrationEngineTest.runSql;
import static dev.phasegate.engine.MigrationEngineTest.running;
import static dev.phasegate.engine.MigrationEngineTest.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseState;
import dev.phasegate.api.Reason;
import dev.phasegate.api.VerifySpec;
import dev.phasegate.engine.MigrationEngineTest.Migration;
import dev.phasegate.engine.MigrationEngineTest.SpecBuilder;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The consistency check between Backfill and Cleanup: when it runs, and how its count holds or releases Cleanup. */
class ConsistencyGateTest {
    static final String COMPARED = "status_v2 IS DISTINCT FROM (status::text)";
    static final List<String> KEYS = List.of("5", "17", "23", "40", "41");

    static StepObservation stale(long rows) {
        return StepObservation.Verified.counted(rows, KEYS, COMPARED);
    }

    /** Expand, rollout, backfill done; the engine has just asked for the first count. */
    static Migration backfilled(SpecBuilder spec) {
        Migration m = Migration.of(spec);
        m.deployment(rolledOut(OLD_IMAGE));
        m.decide();
        m.laterSeconds(30).decide(completed(PhaseName.CompatibleSchema, 2));
        m.deployment(rolledOut(NEW_IMAGE)).laterSeconds(30).decide();
        m.laterSeconds(30).decide();
        Decision d = m.laterSeconds(30).decide(new StepObservation.Completed(Backfill, false, 0, "10000 rows"));
        assertThat(m.phase(Backfill).state).isEqualTo(PhaseState.Succeeded);
        assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);
        assertThat(d.state()).isEqualTo(MigrationState.Running);
        assertThat(d.reason()).isEqualTo(Reason.Verifying);
        assertThat(d.step()).contains(new Step.VerifyBackfill());
        return m;
    }

    static SpecBuilder full() {
        return spec().expand(EXPAND).observe().backfill().cleanup(CLEANUP);
    }

    @Test
    void staleRowsHoldCleanupUntilTheBackfillRunsAgainWithACorrectingGuard() {
        Migration m = backfilled(full());

        Decision d = m.laterSeconds(20).decide(running(Backfill, 3, 0, "checked 3000 of ~10000 rows"));
        assertThat(d.reason()).isEqualTo(Reason.Verifying);
        assertThat(d.message()).contains("3000 of ~10000");
        assertThat(d.step()).isEmpty();

        d = m.laterSeconds(20).decide(stale(112));
        assertThat(d.acknowledgeStep()).isTrue();
        assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);
        assertThat(d.state()).isEqualTo(MigrationState.Blocked);
        assertThat(d.reason()).isEqualTo(Reason.Inconsistent);
        assertThat(d.degraded()).isTrue();
        assertThat(d.step()).isEmpty();
        assertThat(d.message()).contains("112 row(s) of orders", "id 5, 17, 23, 40, 41", COMPARED,
                "status_v2 IS NULL", "spec.backfill.where", "spec.backfill.verify.override", "spec.backfill.verify.skip");
        assertThat(d.recheckAt()).contains(m.now.plus(Consistency.RECHECK));
        assertThat(d.notes()).anySatisfy(n -> {
            assertThat(n.warning()).isTrue();
            assertThat(n.reason()).isEqualTo(Reason.Inconsistent);
        });
        assertThat(m.status.backfill.mismatchedRows).isEqualTo(112);
        assertThat(m.status.backfill.mismatchedKeys).containsExactlyElementsOf(KEYS);
        assertThat(m.status.backfill.verification).contains(COMPARED);
        assertThat(m.phase(Cleanup).state).isEqualTo(PhaseState.Pending);

        d = m.later(Duration.ofMinutes(5)).decide();
        assertThat(d.reason()).as("held between counts, without counting again").isEqualTo(Reason.Inconsistent);
        assertThat(d.step()).isEmpty();
        assertThat(d.notes()).as("one Event per count, not per reconcile").isEmpty();

        d = m.later(Duration.ofMinutes(5)).decide();
        assertThat(d.step()).as("a fix by hand shows up at the next count").contains(new Step.VerifyBackfill());

        m.edit(s -> s.backfill.where = COMPARED);
        d = m.laterSeconds(1).decide(running(Backfill, 1, 0, "checked 1000 rows"));
        assertThat(d.step()).as("the running count describes the old guard: stop it first")
                .contains(new Step.Cancel());
        d = m.laterSeconds(1).decide(StepObservation.Verified.failed(Reason.Aborting, "stopped", true));
        assertThat(d.acknowledgeStep()).isTrue();
        assertThat(d.phase()).isEqualTo(MigrationPhase.Backfill);
        assertThat(d.reason()).isEqualTo(Reason.BackfillRunning);
        assertThat(d.step()).contains(new Step.RunBackfill());
        assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("runs again", COMPARED));
        assertThat(m.phase(Backfill).state).isEqualTo(PhaseState.Running);
        assertThat(m.phase(Backfill).attempts).isEqualTo(2);
        assertThat(m.phase(Backfill).specHash).isEqualTo(PhaseSpecs.hash(m.spec, Backfill));

        d = m.laterSeconds(30).decide(new StepObservation.Completed(Backfill, false, 0, "112 rows"));
        assertThat(d.step()).as("the count before the re-run does not count").contains(new Step.VerifyBackfill());
        d = m.laterSeconds(30).decide(consistent());
        assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
        assertThat(m.status.backfill.mismatchedRows).isZero();
    }

    @Test
    void aCountThatEndsInTheRoundOfAnEditDescribesTheOldDataAndIsTakenAgain() {
        Migration m = backfilled(full());
        m.edit(s -> s.backfill.where = COMPARED);
        Decision d = m.laterSeconds(30).decide(StepObservation.Verified.counted(0, List.of(), COMPARED));
        assertThat(d.step()).contains(new Step.RunBackfill());
        assertThat(m.status.backfill.mismatchedRows).isZero();
        d = m.laterSeconds(30).decide(new StepObservation.Completed(Backfill, false, 0, "0 rows"));
        assertThat(d.step()).contains(new Step.VerifyBackfill());
    }

    @Test
    void anEditOfTheBackfillAfterCleanupStartedRerunsNothing() {
        Migration m = backfilled(full());
        m.laterSeconds(30).decide(consistent());
        assertThat(m.phase(Cleanup).state).isEqualTo(PhaseState.Running);
        m.edit(s -> s.backfill.where = COMPARED);
        Decision d = m.laterSeconds(5).decide(running(Cleanup, 0, 1, "ALTER TABLE"));
        assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);
        assertThat(d.step()).isEmpty();
        assertThat(m.phase(Backfill).state).isEqualTo(PhaseState.Succeeded);
    }

    @Test
    void anOverrideLetsCleanupGoOnAndSaysWhyInAnEvent() {
        Migration m = backfilled(full());
        assertThat(m.laterSeconds(30).decide(stale(3)).reason()).isEqualTo(Reason.Inconsistent);

        m.edit(s -> s.backfill.verify = new VerifySpec(null, "INC-42: the 3 rows were checked by hand"));
        Decision d = m.laterSeconds(30).decide();
        assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
        assertThat(d.notes()).anySatisfy(n -> {
            assertThat(n.warning()).isTrue();
            assertThat(n.reason()).isEqualTo(Reason.Inconsistent);
            assertThat(n.message()).contains("3 row(s)", "INC-42");
        });
    }

    @Test
    void aSkippedCheckNeverCountsAndSaysSoWhenCleanupStarts() {
        SpecBuilder spec = full();
        spec.build().backfill.verify = new VerifySpec("price_v2 is rounded by the new code on purpose", null);
        Migration m = Migration.of(spec);
        m.deployment(rolledOut(OLD_IMAGE));
        m.decide();
        m.laterSeconds(30).decide(completed(PhaseName.CompatibleSchema, 2));
        m.deployment(rolledOut(NEW_IMAGE)).laterSeconds(30).decide();
        m.laterSeconds(30).decide();
        Decision d = m.laterSeconds(30).decide(new StepObservation.Completed(Backfill, false, 0, "10000 rows"));
        assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
        assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("skipped", "rounded by the new code"));
    }

    @Test
    void withoutCleanupNothingIsDroppedSoNothingIsCounted() {
        Migration m = Migration.of(spec().expand(EXPAND).backfill());
        m.decide();
        m.laterSeconds(30).decide(completed(PhaseName.CompatibleSchema, 2));
        Decision d = m.laterSeconds(30).decide(new StepObservation.Completed(Backfill, false, 0, "10000 rows"));
        assertThat(d.phase()).isEqualTo(MigrationPhase.Succeeded);
    }

    @Test
    void aCountDuringTheWaitHoldsAtOnceAndANewCountIsTakenRightBeforeCleanup() {
        Migration m = backfilled(full().waits("0s", "0s", "7d"));
        Decision d = m.laterSeconds(30).decide(consistent());
        assertThat(d.reason()).isEqualTo(Reason.WaitingPeriod);
        assertThat(d.step()).isEmpty();

        d = m.later(Duration.ofDays(7)).decide();
        assertThat(d.reason()).isEqualTo(Reason.Verifying);
        assertThat(d.step()).contains(new Step.VerifyBackfill());
        d = m.laterSeconds(30).decide(stale(2));
        assertThat(d.reason()).as("rows old code touched during the wait are found before the drop")
                .isEqualTo(Reason.Inconsistent);
        assertThat(m.phase(Cleanup).state).isEqualTo(PhaseState.Pending);
    }

    @Test
    void aCountThatCannotReadSetHoldsAndSaysWhatToDo() {
        Migration m = backfilled(full());
        Decision d = m.laterSeconds(30).decide(StepObservation.Verified.failed(Reason.Inconsistent,
                "spec.backfill.set assigns to (a, b)...; the consistency check needs one column per assignment",
                false));
        assertThat(d.state()).isEqualTo(MigrationState.Blocked);
        assertThat(d.reason()).isEqualTo(Reason.Inconsistent);
        assertThat(d.message()).contains("could not count", "one column per assignment", "spec.backfill.verify.skip");
        assertThat(m.status.backfill.verification).contains("could not count");
        assertThat(m.status.backfill.mismatchedRows).isNull();

        d = m.later(Consistency.FAILED_RECHECK).decide();
        assertThat(d.step()).contains(new Step.VerifyBackfill());
    }

    @Test
    void aCountCutShortByTheDatabaseHoldsWithItsReasonAndIsRetried() {
        Migration m = backfilled(full());
        Decision d = m.laterSeconds(30).decide(StepObservation.Verified.failed(Reason.DatabaseUnavailable,
                "consistency check: connection refused", true));
        assertThat(d.state()).isEqualTo(MigrationState.Blocked);
        assertThat(d.reason()).isEqualTo(Reason.DatabaseUnavailable);
        assertThat(d.degraded()).isFalse();
        d = m.laterSeconds(10).decide();
        assertThat(d.reason()).as("still the outage, not a finding").isEqualTo(Reason.DatabaseUnavailable);
        assertThat(d.degraded()).isFalse();
        assertThat(m.later(Consistency.FAILED_RECHECK).decide().step()).contains(new Step.VerifyBackfill());
    }

    @Test
    void aPausedCountIsForgottenAndTakenAgainWhenResumed() {
        Migration m = backfilled(full());
        m.edit(s -> s.paused = true);
        Decision d = m.laterSeconds(5).decide(StepObservation.Verified.failed(Reason.Paused, "stopped", true));
        assertThat(d.acknowledgeStep()).isTrue();
        assertThat(d.state()).isEqualTo(MigrationState.Paused);
        assertThat(m.status.backfill).isNull();

        m.edit(s -> s.paused = false);
        assertThat(m.laterSeconds(5).decide().step()).contains(new Step.VerifyBackfill());
    }

    @Test
    void anAbortCancelsARunningCountThenRollsBack() {
        Migration m = backfilled(full());
        m.edit(s -> s.abort = true);
        Decision d = m.laterSeconds(5).decide(running(Backfill, 2, 0, "checked 2000 rows"));
        assertThat(d.step()).contains(new Step.Cancel());
        d = m.laterSeconds(1).decide(StepObservation.Verified.failed(Reason.Aborting, "stopped", true));
        assertThat(d.acknowledgeStep()).isTrue();
        assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
    }

    @Test
    void aCrashOfTheCountIsTreatedLikeAFailedCount() {
        Migration m = backfilled(full());
        Decision d = m.laterSeconds(30).decide(new StepObservation.Failed(Backfill, false, 0, Reason.SqlError,
                "internal error: NullPointerException", true));
        assertThat(d.acknowledgeStep()).isTrue();
        assertThat(d.reason()).isEqualTo(Reason.SqlError);
        assertThat(m.phase(Backfill).state).isEqualTo(PhaseState.Succeeded);
    }

    @Test
    void optingOutOrOverridingNeedsAReason() {
        java.util.function.Function<VerifySpec, List<String>> problems = v -> {
            var spec = full().build();
            spec.backfill.verify = v;
            return SpecValidator.validate(spec);
        };
        assertThat(problems.apply(new VerifySpec("new code rounds on purpose", null))).isEmpty();
        assertThat(problems.apply(new VerifySpec(null, "INC-42"))).isEmpty();
        assertThat(problems.apply(new VerifySpec(" ", null)))
                .anySatisfy(p -> assertThat(p).contains("spec.backfill.verify.skip needs a reason"));
        assertThat(problems.apply(new VerifySpec(null, "")))
                .anySatisfy(p -> assertThat(p).contains("spec.backfill.verify.override needs a reason"));
        assertThat(problems.apply(new VerifySpec()))
                .anySatisfy(p -> assertThat(p).contains("set skip or override"));
        assertThat(problems.apply(new VerifySpec("a", "b"))).anySatisfy(p -> assertThat(p).contains("not both"));
    }
}
