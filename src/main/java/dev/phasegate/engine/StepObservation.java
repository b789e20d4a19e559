package dev.phasegate.engine;

import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import java.util.List;

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

    /**
     * The plan step before anything runs ended: status.lint holds the result. {@code block} says why the migration
     * may not start (an ERROR finding spec.lint.allow does not list: the rule, the statement, the fix); null when
     * it may.
     */
    record Planned(String summary, String block) implements StepObservation {
        public boolean blocked() {
            return block != null;
        }
    }

    /** A step ended without finishing; retryable failures are tried again after a cool-down. */
    record Failed(PhaseName phase, boolean rollback, int statementsDone, Reason reason, String message,
            boolean retryable) implements StepObservation {
    }

    /**
     * The consistency check before Cleanup ended (it reports progress as a Running step of Backfill). Without a
     * failure: {@code mismatchedRows} rows disagree with spec.backfill.set, {@code exampleKeys} the first few of
     * them. With one: why it could not count; {@code retryable} false when the spec must change (set unreadable).
     */
    record Verified(long mismatchedRows, List<String> exampleKeys, String compared, Reason failure, String message,
            boolean retryable) implements StepObservation {
        public Verified {
            exampleKeys = exampleKeys == null ? List.of() : List.copyOf(exampleKeys);
        }

        public static Verified counted(long mismatchedRows, List<String> exampleKeys, String compared) {
            return new Verified(mismatchedRows, exampleKeys, compared, null, null, false);
        }

        public static Verified failed(Reason failure, String message, boolean retryable) {
            return new Verified(0, List.of(), null, failure, message, retryable);
        }

        public boolean counted() {
            return failure == null;
        }
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
