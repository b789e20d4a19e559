package dev.phasegate.lint;

import dev.phasegate.api.PhaseName;
import java.util.List;
import java.util.Optional;

/**
 * What changed in the plan between two lint runs of one migration, for the phases still to come. The plan is computed
 * before anything runs and again at each SQL phase's start; days may pass in between, and a table that grew, an index
 * someone added or a server upgrade changes what a statement locks, scans or costs. The reviewer approved the first
 * plan, so a difference is worth an Event. Pure.
 */
public final class PlanChanges {

    private PlanChanges() {
    }

    /** The difference, described; empty when there was no earlier plan or nothing still to come changed. */
    public static Optional<String> describe(ShownPlan earlier, ShownPlan now) {
        if (earlier == null || now == null || now.before() == null || earlier.checkedAt() == null) {
            return Optional.empty();
        }
        List<String> was = from(earlier, now.before());
        List<String> is = from(now, now.before());
        if (was.equals(is) || was.isEmpty() && (earlier.before() == null
                || earlier.before().ordinal() > now.before().ordinal())) {
            return Optional.empty();
        }
        int differing = 0;
        String first = null;
        for (int i = 0; i < Math.max(was.size(), is.size()); i++) {
            String a = i < was.size() ? was.get(i) : null;
            String b = i < is.size() ? is.get(i) : null;
            if (a == null ? b != null : !a.equals(b)) {
                differing++;
                if (first == null) {
                    first = a == null ? "new: " + b : b == null ? "gone: " + a : a + " -> now " + b;
                }
            }
        }
        return Optional.of("the plan before " + now.before() + " differs from the one computed at "
                + earlier.checkedAt() + " (" + differing + " line(s)); first: " + first + ". The database changed"
                + " since; status.lint shows the new plan");
    }

    /** The lines of the phases from phase on: those already done are no longer anyone's concern. */
    private static List<String> from(ShownPlan plan, PhaseName phase) {
        return plan.lines().stream().filter(l -> l.comesAtOrAfter(phase)).map(PlanLine::text).toList();
    }
}
