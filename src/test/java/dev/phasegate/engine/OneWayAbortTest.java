package dev.phasegate.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.DatabaseSpec;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.api.SecretRef;
import dev.phasegate.api.SqlPhaseSpec;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** An abort after a one-way Cleanup applied statements must not undo the expand under the new code. */
class OneWayAbortTest {
    static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    final MigrationEngine engine = new MigrationEngine();

    @Test
    void abortAfterAOneWayCleanupAppliedIsRefusedAndNothingIsRolledBack() {
        SchemaMigrationStatus status = runUntilCleanupFailsAfterOneStatement(spec(null));
        SchemaMigrationSpec abort = spec(null);
        abort.abort = true;
        Decision d = engine.decide(abort, status, Observations.none(), T0.plusSeconds(60));
        assertThat(d.phase()).isEqualTo(MigrationPhase.Failed);
        assertThat(d.reason()).isEqualTo(Reason.RollbackFailed);
        assertThat(d.message()).contains("one-way", "Nothing was rolled back", "rollbackSql");
        assertThat(d.step()).isEmpty();
        assertThat(d.notes()).anyMatch(n -> n.reason() == Reason.RollbackFailed);

        SchemaMigrationStatus refused = StatusBuilder.build(status, d, 2, T0.plusSeconds(60), null, null);
        Decision again = engine.decide(abort, refused, Observations.none(), T0.plusSeconds(70));
        assertThat(again.step()).as("still nothing rolled back").isEmpty();
        assertThat(again.notes()).as("no repeated Event").isEmpty();
    }

    @Test
    void withCleanupRollbackSqlTheAbortRollsBackNewestFirst() {
        SchemaMigrationStatus status = runUntilCleanupFailsAfterOneStatement(spec("ALTER TABLE t ADD COLUMN old int"));
        SchemaMigrationSpec abort = spec("ALTER TABLE t ADD COLUMN old int");
        abort.abort = true;
        Decision d = engine.decide(abort, status, Observations.none(), T0.plusSeconds(60));
        assertThat(d.phase()).isIn(MigrationPhase.RollingBack, MigrationPhase.Failed, MigrationPhase.RolledBack);
        assertThat(d.reason()).isNotEqualTo(Reason.RollbackFailed);
    }

    /** CompatibleSchema succeeds, Cleanup (two statements) fails for good after applying the first. */
    private SchemaMigrationStatus runUntilCleanupFailsAfterOneStatement(SchemaMigrationSpec spec) {
        SchemaMigrationStatus s = null;
        Instant t = T0;
        Observations obs = Observations.none();
        for (int i = 0; i < 20; i++) {
            Decision d = engine.decide(spec, s, obs, t);
            s = StatusBuilder.build(s, d, 1, t, null, null);
            t = t.plusSeconds(1);
            obs = Observations.none();
            if (d.step().isPresent() && d.step().get() instanceof Step.Plan) {
                obs = obs.withStep(new StepObservation.Planned("0 error(s)", null));
            }
            if (d.step().isPresent() && d.step().get() instanceof Step.RunSql run) {
                obs = run.phase() == PhaseName.Cleanup
                        ? obs.withStep(new StepObservation.Failed(PhaseName.Cleanup, false, 1, Reason.SqlError,
                                "statement 2 failed", false))
                        : obs.withStep(new StepObservation.Completed(run.phase(), false, 1, "done"));
            }
            if (s.phase == MigrationPhase.Failed || s.phase == MigrationPhase.RollingBack) {
                return s;
            }
        }
        throw new AssertionError("did not reach the Cleanup failure: " + s.phase + " " + s.reason);
    }

    private static SchemaMigrationSpec spec(String cleanupRollback) {
        SchemaMigrationSpec s = new SchemaMigrationSpec();
        s.database = new DatabaseSpec();
        s.database.secretRef = new SecretRef("db");
        s.compatibleSchema = new SqlPhaseSpec("ALTER TABLE t ADD COLUMN v2 int;", "ALTER TABLE t DROP COLUMN v2;");
        s.cleanup = new SqlPhaseSpec("ALTER TABLE t DROP COLUMN old; ALTER TABLE t DROP COLUMN other;",
                cleanupRollback);
        return s;
    }
}
