package dev.phasegate.engine;

import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;

/** What the executor reports about this migration's long-running work. */
public sealed interface StepObservation {

    /** Nothing runs and no result waits to be recorded. */
    record Idle() implements StepObservation {
    }

    /** A step is running; detail says what it waits for, if anything. */
    record Running(PhaseName phase, boolean rollback, int statementsDone, int statementsTotal, Reason waitingOn,
            String detail) implements StepObservation {
    }

    /** A step finished; its result waits to be recorded in status. */
    record Completed(PhaseName phase, boolean rollback, int statementsDone, String detail) implements StepObservation {
    }

    /** A step ended without finishing; retryable failures are tried again after a cool-down. */
    record Failed(PhaseName phase, boolean rollback, int statementsDone, Reason reason, String message,
            boolean retryable) implements StepObservation {
    }

    static StepObservation idle() {
        return new Idle();
    }

    default boolean isFor(PhaseName phase, boolean rollback) {
        if (this instanceof Running r) {
            return r.phase() == phase && r.rollback() == rollback;
        }
        if (this instanceof Completed c) {
            return c.phase() == phase && c.rollback() == rollback;
        }
        if (this instanceof Failed f) {
            return f.phase() == phase && f.rollback() == rollback;
        }
        return false;
    }
}
