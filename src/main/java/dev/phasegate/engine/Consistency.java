package dev.phasegate.engine;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseState;
import dev.phasegate.api.PhaseStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigrationSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The consistency check between Backfill and Cleanup: when to count the rows whose targets disagree with
 * spec.backfill.set, and whether that count holds Cleanup. Old code that updates a row after new code wrote it leaves
 * a stale new column that an {@code IS NULL} guard never revisits; Cleanup would then drop the only correct copy.
 */
public final class Consistency {
    /** "Right before Cleanup": an older count is taken again once every other gate is open. */
    static final Duration MAX_AGE = Duration.ofMinutes(10);
    /** While Cleanup is held, a fix by hand shows up within this; each count is a full (batched) read of the table. */
    static final Duration RECHECK = Duration.ofMinutes(10);
    /** After a count that could not finish (database down, timeouts, an unreadable set). */
    static final Duration FAILED_RECHECK = Duration.ofSeconds(30);

    private Consistency() {
    }

    /** What the gate found. */
    sealed interface Verdict {
    }

    /** Cleanup may go on; {@code note} is worth an Event when Cleanup starts (skip or override), else null. */
    record Pass(String note) implements Verdict {
    }

    /** No usable count: run the check. */
    record Verify(String why) implements Verdict {
    }

    /** Cleanup must wait. */
    record Hold(Reason reason, String message, Instant recheckAt) implements Verdict {
    }

    /** The latest count: this round's result or the one recorded in status.backfill. */
    record Latest(Instant at, StepObservation.Verified result) {
    }

    /** Whether the check guards this migration at all: a finished backfill and a Cleanup still to start. */
    static boolean applies(SchemaMigrationSpec spec, PhaseStatus backfill, PhaseStatus cleanup) {
        return spec.backfill != null && PhaseSpecs.hasWork(spec, PhaseName.Cleanup)
                && backfill.state == PhaseState.Succeeded && cleanup.startedAt == null;
    }

    /**
     * The verdict for a migration whose check {@link #applies}. {@code beforeStart}: every other gate of Cleanup is
     * open, so the count must also be recent; otherwise (right after the backfill, during the wait) any count taken
     * after the latest backfill run will do, and is repeated only while it holds Cleanup.
     */
    static Verdict judge(SchemaMigrationSpec spec, PhaseStatus backfill, Latest latest, Instant now,
            boolean beforeStart) {
        BackfillSpec b = spec.backfill;
        if (b.verify != null && !blank(b.verify.skip)) {
            return new Pass("consistency check skipped (spec.backfill.verify.skip): " + b.verify.skip);
        }
        Instant backfillStart = Times.parse(backfill.startedAt);
        // Strictly after: a count taken in the round that (re)started the backfill describes the old data.
        boolean current = latest != null && (backfillStart == null || latest.at().isAfter(backfillStart));
        if (!current) {
            return new Verify("no count since the backfill " + (backfill.attempts > 1 ? "ran" : "finished"));
        }
        StepObservation.Verified v = latest.result();
        Duration age = Duration.between(latest.at(), now);
        String override = b.verify == null || blank(b.verify.override) ? null : b.verify.override;
        if (!v.counted()) {
            if (override != null) {
                return new Pass("consistency check could not count (" + v.message() + "); Cleanup goes on by"
                        + " spec.backfill.verify.override: " + override);
            }
            if (age.compareTo(FAILED_RECHECK) >= 0) {
                return new Verify("the last check could not count");
            }
            return new Hold(v.failure(), "Cleanup holds: the consistency check could not count the rows that"
                    + " disagree with spec.backfill.set: " + v.message()
                    + (v.retryable() ? "" : ". Fix spec.backfill.set, or set spec.backfill.verify.skip with a reason")
                    + "; checked again at " + Times.format(latest.at().plus(FAILED_RECHECK)),
                    latest.at().plus(FAILED_RECHECK));
        }
        if (beforeStart && age.compareTo(MAX_AGE) > 0) {
            return new Verify("the last count is older than " + MAX_AGE.toMinutes() + " minutes");
        }
        if (v.mismatchedRows() == 0) {
            return new Pass(null);
        }
        String found = v.mismatchedRows() + " row(s) of " + b.table + " disagree with spec.backfill.set ("
                + v.compared() + ")" + (v.exampleKeys().isEmpty() ? "" : ", e.g. " + b.keyColumn + " "
                        + String.join(", ", v.exampleKeys()));
        if (override != null) {
            return new Pass(found + "; Cleanup goes on by spec.backfill.verify.override: " + override);
        }
        if (age.compareTo(RECHECK) >= 0) {
            return new Verify("Cleanup is held and the last count is " + RECHECK.toMinutes() + " minutes old");
        }
        Instant recheck = latest.at().plus(RECHECK);
        return new Hold(Reason.Inconsistent, "Cleanup holds: " + found + " (counted at " + Times.format(latest.at())
                + "). Rows written by new code and then updated by old code during the rollout keep a stale value"
                + " that the guard (" + b.where + ") skips, and Cleanup would drop the only correct copy. Change"
                + " spec.backfill.where to a guard that finds them, e.g. " + v.compared() + ", and the backfill runs"
                + " again; or, if the columns are meant to differ, set spec.backfill.verify.override (go on once) or"
                + " spec.backfill.verify.skip (never check) to a reason. Counted again at " + Times.format(recheck),
                recheck);
    }

    /** A result to record in status.backfill; a check stopped by pause or abort says nothing about the data. */
    static boolean worthRecording(StepObservation.Verified v) {
        return v.counted() || (v.failure() != Reason.Paused && v.failure() != Reason.Aborting);
    }

    /** status.backfill with the check's result recorded at {@code at} (the reconciler writes it). */
    public static BackfillStatus recorded(BackfillStatus base, StepObservation.Verified v, Instant at) {
        if (!worthRecording(v)) {
            return base;
        }
        BackfillStatus s = base == null ? new BackfillStatus() : base.copy();
        s.verifiedAt = Times.format(at);
        s.mismatchedRows = v.counted() ? v.mismatchedRows() : null;
        s.mismatchedKeys = v.counted() && !v.exampleKeys().isEmpty() ? new ArrayList<>(v.exampleKeys()) : null;
        s.verification = v.counted() ? "compared " + v.compared() : "could not count: " + v.message();
        return s;
    }

    /**
     * The count recorded in status.backfill, if any. Status keeps a failed count's message, not its reason: the
     * caller passes the reason status showed, so a database outage is not shown as Inconsistent on the next round.
     */
    static Latest stored(BackfillStatus s, Reason shownReason) {
        if (s == null || s.verifiedAt == null) {
            return null;
        }
        Instant at = Times.parse(s.verifiedAt);
        if (s.mismatchedRows != null) {
            String compared = s.verification != null && s.verification.startsWith("compared ")
                    ? s.verification.substring("compared ".length()) : s.verification;
            return new Latest(at, StepObservation.Verified.counted(s.mismatchedRows,
                    s.mismatchedKeys == null ? List.of() : s.mismatchedKeys, compared));
        }
        String message = s.verification != null && s.verification.startsWith("could not count: ")
                ? s.verification.substring("could not count: ".length()) : s.verification;
        return new Latest(at, StepObservation.Verified.failed(shownReason == null ? Reason.Inconsistent : shownReason,
                message, true));
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
