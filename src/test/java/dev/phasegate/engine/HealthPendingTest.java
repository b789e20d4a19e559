package dev.phasegate.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.DatabaseSpec;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SecretRef;
import dev.phasegate.api.SqlPhaseSpec;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Before the first health check finishes, a phase waits quietly; a real failure still blocks it loudly. */
class HealthPendingTest {
    static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
    /** The read-only plan before anything runs has passed; the health gate decides what comes next. */
    static final StepObservation PLANNED = new StepObservation.Planned("0 error(s)", null);

    @Test
    void aPendingGateWaitsWithoutAWarning() {
        Decision d = new MigrationEngine().decide(spec(), null,
                Observations.none().withHealth(HealthGate.pending("first check not done")).withStep(PLANNED), NOW);
        assertThat(d.state()).isEqualTo(MigrationState.Waiting);
        assertThat(d.reason()).isEqualTo(Reason.Starting);
        assertThat(d.step()).isEmpty();
        assertThat(d.recheckAt()).contains(NOW.plusSeconds(1));
        assertThat(d.notes()).noneMatch(Note::warning);
    }

    @Test
    void aFailedProbeBlocksWithAWarning() {
        Decision d = new MigrationEngine().decide(spec(), null,
                Observations.none().withHealth(HealthGate.closed(Reason.ProbeFailed, "permission denied"))
                        .withStep(PLANNED), NOW);
        assertThat(d.state()).isEqualTo(MigrationState.Blocked);
        assertThat(d.reason()).isEqualTo(Reason.ProbeFailed);
        assertThat(d.message()).contains("permission denied");
        assertThat(d.notes()).anyMatch(n -> n.warning() && n.reason() == Reason.ProbeFailed);
    }

    private static SchemaMigrationSpec spec() {
        SchemaMigrationSpec s = new SchemaMigrationSpec();
        s.database = new DatabaseSpec();
        s.database.secretRef = new SecretRef("db");
        s.compatibleSchema = new SqlPhaseSpec("ALTER TABLE t ADD COLUMN c int;", null);
        return s;
    }
}
