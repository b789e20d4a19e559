package dev.phasegate.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.PhaseName;
import dev.phasegate.api.LintStatus;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PlanChangesTest {

    private static final String EXPAND = "CompatibleSchema 1 ALTER TABLE orders: ACCESS EXCLUSIVE, catalog only,"
            + " instant once the lock is granted";
    private static final String CLEANUP_SMALL = "Cleanup 1 ALTER TABLE orders: ACCESS EXCLUSIVE, reads every row,"
            + " under 1 s (12 MB at an assumed 200 MB/s)";
    private static final String CLEANUP_BIG = "Cleanup 1 ALTER TABLE orders: ACCESS EXCLUSIVE, reads every row,"
            + " ~52 s (10 GB at an assumed 200 MB/s)";

    @Test
    void aCleanupThatGotCostlierSinceThePlanBeforeStartIsDescribed() {
        ShownPlan atStart = status(PhaseName.CompatibleSchema, "2026-12-01T10:00:00Z", EXPAND, CLEANUP_SMALL);
        ShownPlan atCleanup = status(PhaseName.Cleanup, "2026-12-08T10:00:00Z", CLEANUP_BIG);
        assertThat(PlanChanges.describe(atStart, atCleanup)).hasValueSatisfying(m -> assertThat(m).contains(
                "the plan before Cleanup differs from the one computed at 2026-12-01T10:00:00Z (1 line(s))",
                CLEANUP_SMALL + " -> now " + CLEANUP_BIG));
    }

    @Test
    void phasesAlreadyDoneAndAnUnchangedPlanSayNothing() {
        ShownPlan atStart = status(PhaseName.CompatibleSchema, "2026-12-01T10:00:00Z", EXPAND, CLEANUP_SMALL);
        assertThat(PlanChanges.describe(atStart, status(PhaseName.Cleanup, "2026-12-08T10:00:00Z", CLEANUP_SMALL)))
                .isEmpty();
        assertThat(PlanChanges.describe(null, atStart)).as("no earlier plan").isEmpty();
    }

    @Test
    void aStatementThatAppearsOrDisappearsIsNamed() {
        ShownPlan atStart = status(PhaseName.CompatibleSchema, "2026-12-01T10:00:00Z", EXPAND);
        assertThat(PlanChanges.describe(atStart, status(PhaseName.CompatibleSchema, "2026-12-01T10:00:05Z", EXPAND,
                CLEANUP_SMALL))).hasValueSatisfying(m -> assertThat(m).contains("new: " + CLEANUP_SMALL));
        assertThat(PlanChanges.describe(status(PhaseName.CompatibleSchema, "2026-12-01T10:00:00Z", EXPAND,
                CLEANUP_SMALL), status(PhaseName.CompatibleSchema, "2026-12-01T10:00:05Z", EXPAND)))
                .hasValueSatisfying(m -> assertThat(m).contains("gone: " + CLEANUP_SMALL));
    }

    @Test
    void afterARestartThePlanStatusShowedIsComparedByItsLinesPhases() {
        ShownPlan atStart = status(PhaseName.CompatibleSchema, "2026-12-01T10:00:00Z", EXPAND, CLEANUP_SMALL);
        LintStatus shown = new LintStatus();
        shown.before = atStart.before();
        shown.checkedAt = atStart.checkedAt();
        atStart.writeTo(shown);
        ShownPlan restored = ShownPlan.of(shown);
        assertThat(restored).isEqualTo(atStart);
        assertThat(PlanChanges.describe(restored, status(PhaseName.Cleanup, "2026-12-08T10:00:00Z", CLEANUP_BIG)))
                .hasValueSatisfying(m -> assertThat(m).contains(CLEANUP_SMALL + " -> now " + CLEANUP_BIG));
    }

    /** A plan of these lines, each with the phase its text begins with (as PlanLine.of writes it). */
    private static ShownPlan status(PhaseName before, String at, String... plan) {
        return new ShownPlan(before, at, Stream.of(plan).map(l -> new PlanLine(l.startsWith("Cleanup ")
                ? PhaseName.Cleanup : PhaseName.CompatibleSchema, l)).toList(), 0);
    }
}
