package dev.phasegate.engine;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.api.RollbackStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the engine decided: where the migration is, what it waits for and why, which step to start (if any), and
 * what a person should be told.
 */
public record Decision(
        MigrationPhase phase,
        MigrationState state,
        Reason reason,
        String message,
        Optional<Instant> waitUntil,
        Optional<Instant> recheckAt,
        List<PhaseStatus> phases,
        RollbackStatus rollback,
        Optional<Step> step,
        boolean acknowledgeStep,
        boolean degraded,
        List<Note> notes) {

    /** When the reconciler should look again without an event: the earliest deadline. */
    public Optional<Instant> nextDeadline() {
        if (waitUntil.isPresent() && recheckAt.isPresent()) {
            return Optional.of(waitUntil.get().isBefore(recheckAt.get()) ? waitUntil.get() : recheckAt.get());
        }
        return waitUntil.isPresent() ? waitUntil : recheckAt;
    }
}
