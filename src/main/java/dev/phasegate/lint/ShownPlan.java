package dev.phasegate.lint;

import dev.phasegate.api.LintStatus;
import dev.phasegate.api.PhaseName;
import java.util.List;
import java.util.Optional;

/**
 * The plan status.lint shows, as the lint computed it: before which phase and when, its lines in phase order and how
 * many statements were left out of them.
 */
public record ShownPlan(PhaseName before, String checkedAt, List<PlanLine> lines, int omitted) {

    public ShownPlan {
        lines = List.copyOf(lines);
    }

    /** The plan a status shows (after a restart, the operator's only record of the last one); null for none. */
    public static ShownPlan of(LintStatus shown) {
        if (shown == null || shown.plan == null) {
            return null;
        }
        // A line no phase begins (a status written by another version) cannot be compared, so it is left out.
        return new ShownPlan(shown.before, shown.checkedAt, shown.plan.stream().map(PlanLine::shown)
                .flatMap(Optional::stream).toList(), shown.planOmitted == null ? 0 : shown.planOmitted);
    }

    /** Writes the lines' text and the count left out into status.lint. */
    public void writeTo(LintStatus status) {
        lines.forEach(l -> status.plan.add(l.text()));
        status.planOmitted = omitted > 0 ? omitted : null;
    }

    /** Whether the backfill is planned (its line is always shown). */
    public boolean backfill() {
        return lines.stream().anyMatch(l -> l.phase() == PhaseName.Backfill);
    }

    /** The SQL statements planned, shown or left out (the backfill's line is none). */
    public int statements() {
        return (int) lines.stream().filter(l -> l.phase() != PhaseName.Backfill).count() + omitted;
    }
}
