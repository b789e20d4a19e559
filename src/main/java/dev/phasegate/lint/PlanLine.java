package dev.phasegate.lint;

import dev.phasegate.api.PhaseName;
import java.util.Optional;

/**
 * One line of status.lint.plan: the text a reviewer reads, next to the phase of its statement for the code that
 * compares or counts lines. The text is written here and read back only from a status written before a restart,
 * which keeps no phase of its own; both directions live here so that they change together.
 */
public record PlanLine(PhaseName phase, String text) {

    /** The line of one plan entry: phase, statement number, what it does, its lock, work and estimate. */
    public static PlanLine of(PlanEntry e) {
        return new PlanLine(e.phase(), e.phase() + " " + e.statement() + " " + e.summary() + ": " + e.lock() + ", "
                + e.work() + ", " + e.estimate());
    }

    /** A line status showed, with its phase as {@link #of} wrote it; empty when no phase begins it. */
    public static Optional<PlanLine> shown(String text) {
        for (PhaseName p : PhaseName.values()) {
            if (text != null && text.startsWith(p.name() + " ")) {
                return Optional.of(new PlanLine(p, text));
            }
        }
        return Optional.empty();
    }

    boolean comesAtOrAfter(PhaseName before) {
        return phase.ordinal() >= before.ordinal();
    }
}
