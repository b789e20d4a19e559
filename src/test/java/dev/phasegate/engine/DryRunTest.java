package dev.phasegate.engine;

import static dev.phasegate.api.PhaseName.CompatibleSchema;
import static dev.phasegate.engine.MigrationEngineTest.EXPAND;
import static dev.phasegate.engine.MigrationEngineTest.runSql;
import static dev.phasegate.engine.MigrationEngineTest.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.MigrationEngineTest.Migration;
import org.junit.jupiter.api.Test;

/** spec.dryRun: one read-only plan step, then the end (Planned), until it is turned off. */
class DryRunTest {

    @Test
    void aDryRunPlansOnceEndsPlannedAndRunsForRealWhenTurnedOff() {
        Migration m = Migration.of(spec().expand(EXPAND));
        m.spec.dryRun = true;
        Decision d = m.decide();
        assertThat(d.step()).contains(new Step.Plan());
        assertThat(d.phase()).isEqualTo(MigrationPhase.Pending);
        assertThat(d.message()).contains("nothing will run");

        d = m.laterSeconds(1).decide(MigrationEngineTest.running(CompatibleSchema, 0, 0, "dry run"));
        assertThat(d.step()).isEmpty();
        assertThat(d.state()).isEqualTo(MigrationState.Running);

        d = m.laterSeconds(1).decide(new StepObservation.Planned("1 error(s), 1 of them not allowed",
                "the SQL safety lint blocks this migration: create-index-not-concurrently"));
        assertThat(d.phase()).isEqualTo(MigrationPhase.Planned);
        assertThat(d.state()).isEqualTo(MigrationState.Done);
        assertThat(d.reason()).isEqualTo(Reason.Planned);
        assertThat(d.acknowledgeStep()).isTrue();
        assertThat(d.message()).contains("dry run, nothing was run: 1 error(s)", "Set spec.dryRun to false");
        assertThat(d.notes()).singleElement().satisfies(n -> assertThat(n.warning()).isTrue());

        d = m.laterSeconds(60).decide();
        assertThat(d.phase()).as("an end").isEqualTo(MigrationPhase.Planned);
        assertThat(d.step()).isEmpty();

        d = m.edit(s -> s.dryRun = false).decide();
        assertThat(d.step()).as("planned again: the catalog may have changed since the dry run")
                .contains(new Step.Plan());
        d = m.decide(new StepObservation.Planned("0 error(s)", null));
        assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
    }

    @Test
    void aDryRunThatCannotReachTheDatabaseIsBlockedAndTriesAgain() {
        Migration m = Migration.of(spec().expand(EXPAND));
        m.spec.dryRun = true;
        m.decide();
        Decision d = m.decide(new StepObservation.Failed(CompatibleSchema, false, 0, Reason.DatabaseUnavailable,
                "connection refused", true));
        assertThat(d.state()).isEqualTo(MigrationState.Blocked);
        assertThat(d.reason()).isEqualTo(Reason.DatabaseUnavailable);
        assertThat(d.recheckAt()).isPresent();
        assertThat(m.laterSeconds(60).decide().step()).contains(new Step.Plan());
    }
}
