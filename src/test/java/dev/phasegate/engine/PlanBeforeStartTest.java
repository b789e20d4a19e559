package dev.phasegate.engine;

import static dev.phasegate.api.PhaseName.CompatibleSchema;
import static dev.phasegate.engine.MigrationEngineTest.CLEANUP;
import static dev.phasegate.engine.MigrationEngineTest.EXPAND;
import static dev.phasegate.engine.MigrationEngineTest.rolledOut;
import static dev.phasegate.engine.MigrationEngineTest.runSql;
import static dev.phasegate.engine.MigrationEngineTest.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.MigrationEngineTest.Migration;
import org.junit.jupiter.api.Test;

/** Every migration is linted and planned, read-only, before its first change; an ERROR blocks it right there. */
class PlanBeforeStartTest {

    private static final String BLOCK = "the SQL safety lint blocks this migration: drop-column (ERROR) at Cleanup"
            + " statement 1 ALTER TABLE orders: ...";

    @Test
    void theFirstStepIsTheReadOnlyPlanAndACleanPlanStartsTheExpandInTheSameRound() {
        Migration m = Migration.of(spec().expand(EXPAND)).unplanned();
        Decision d = m.decide();
        assertThat(d.phase()).isEqualTo(MigrationPhase.Pending);
        assertThat(d.step()).contains(new Step.Plan());
        assertThat(d.message()).isEqualTo("before anything runs: linting and planning every phase against the"
                + " database");

        d = m.laterSeconds(1).decide(MigrationEngineTest.running(CompatibleSchema, 0, 0, "reading the catalog"));
        assertThat(d.step()).isEmpty();
        assertThat(d.state()).isEqualTo(MigrationState.Running);
        assertThat(d.phase()).isEqualTo(MigrationPhase.Pending);

        d = m.laterSeconds(1).decide(new StepObservation.Planned("0 error(s), 0 of them not allowed", null));
        assertThat(d.acknowledgeStep()).isTrue();
        assertThat(d.phase()).isEqualTo(MigrationPhase.CompatibleSchema);
        assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
        assertThat(d.notes()).extracting(Note::message).containsExactly("phase CompatibleSchema started");
    }

    @Test
    void anErrorInCleanupBlocksBeforeTheExpandAndAnEditPlansAgain() {
        Migration m = Migration.of(spec().expand(EXPAND).cleanup(CLEANUP)).unplanned();
        m.decide();
        Decision d = m.laterSeconds(1).decide(new StepObservation.Planned("1 error(s), 1 of them not allowed", BLOCK));
        assertThat(d.phase()).isEqualTo(MigrationPhase.Pending);
        assertThat(d.state()).isEqualTo(MigrationState.Blocked);
        assertThat(d.reason()).isEqualTo(Reason.LintFailed);
        assertThat(d.message()).startsWith(BLOCK).contains("nothing was run");
        assertThat(d.step()).isEmpty();
        assertThat(d.recheckAt()).as("waits for the edit, not a timer").isEmpty();
        assertThat(d.degraded()).isTrue();
        assertThat(m.phase(CompatibleSchema).startedAt).isNull();
        assertThat(d.notes()).singleElement().satisfies(n -> {
            assertThat(n.warning()).isTrue();
            assertThat(n.reason()).isEqualTo(Reason.LintFailed);
        });

        d = m.edit(s -> s.cleanup.sql = "ALTER TABLE orders DROP COLUMN status; -- reviewed").decide();
        assertThat(d.step()).as("the edit is planned again").contains(new Step.Plan());
        d = m.decide(new StepObservation.Planned("0 error(s)", null));
        assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
    }

    @Test
    void aMigrationThatStartsWithItsCodeDeployIsBlockedBeforeTheDeploymentIsTouched() {
        Migration m = Migration.of(spec().patch().cleanup(CLEANUP)).unplanned().deployment(rolledOut(
                MigrationEngineTest.OLD_IMAGE));
        assertThat(m.decide().step()).contains(new Step.Plan());
        Decision d = m.decide(new StepObservation.Planned("1 error(s)", BLOCK));
        assertThat(d.reason()).isEqualTo(Reason.LintFailed);
        assertThat(d.step()).as("no image patch").isEmpty();

        m.edit(s -> s.lint = allowDropColumn());
        assertThat(m.decide().step()).contains(new Step.Plan());
        d = m.decide(new StepObservation.Planned("1 error(s), 0 of them not allowed", null));
        assertThat(d.phase()).isEqualTo(MigrationPhase.CodeDeploy);
        assertThat(d.step()).hasValueSatisfying(s -> assertThat(s).isInstanceOf(Step.PatchImage.class));
        assertThat(m.phase(PhaseName.CompatibleSchema).state).isEqualTo(dev.phasegate.api.PhaseState.Skipped);
    }

    @Test
    void aScriptThatDoesNotParseWaitsForTheEditAndAnUnreachableDatabaseIsAskedAgain() {
        Migration m = Migration.of(spec().expand(EXPAND)).unplanned();
        m.decide();
        Decision d = m.decide(new StepObservation.Failed(CompatibleSchema, false, 0, Reason.SqlError,
                "spec.cleanup.sql statement 1: syntax error at or near \"DROPP\"; fix it in the spec", false));
        assertThat(d.state()).isEqualTo(MigrationState.Blocked);
        assertThat(d.reason()).isEqualTo(Reason.SqlError);
        assertThat(d.message()).startsWith("before anything runs: spec.cleanup.sql statement 1");
        assertThat(d.recheckAt()).isEmpty();

        m.edit(s -> s.compatibleSchema.sql = EXPAND + "\n");
        m.decide();
        d = m.decide(new StepObservation.Failed(CompatibleSchema, false, 0, Reason.DatabaseUnavailable,
                "connection refused", true));
        assertThat(d.reason()).isEqualTo(Reason.DatabaseUnavailable);
        assertThat(d.recheckAt()).isPresent();
        assertThat(m.laterSeconds(30).decide().step()).contains(new Step.Plan());
    }

    private static dev.phasegate.api.LintSpec allowDropColumn() {
        dev.phasegate.api.LintSpec lint = new dev.phasegate.api.LintSpec();
        dev.phasegate.api.LintAllow allow = new dev.phasegate.api.LintAllow();
        allow.rule = "drop-column";
        allow.reason = "the column has been unused since release 1.9";
        lint.allow.add(allow);
        return lint;
    }
}
