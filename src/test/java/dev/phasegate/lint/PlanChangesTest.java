package dev.phasegate.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.LintStatus;
import dev.phasegate.api.PhaseName;
import java.util.List;
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
        LintStatus atStart = status(PhaseName.CompatibleSchema, "2026-12-01T10:00:00Z", EXPAND, CLEANUP_SMALL);
        LintStatus atCleanup = status(PhaseName.Cleanup, "2026-12-08T10:00:00Z", CLEANUP_BIG);
        assertThat(PlanChanges.describe(atStart, atCleanup)).hasValueSatisfying(m -> assertThat(m).contains(
                "the plan before Cleanup differs from the one computed at 2026-12-01T10:00:00Z (1 line(s))",
                CLEANUP_SMALL + " -> now " + CLEANUP_BIG));
    }

    @Test
    void phasesAlreadyDoneAndAnUnchangedPlanSayNothing() {
        LintStatus atStart = status(PhaseName.CompatibleSchema, "2026-12-01T10:00:00Z", EXPAND, CLEANUP_SMALL);
        assertThat(PlanChanges.describe(atStart, status(PhaseName.Cleanup, "2026-12-08T10:00:00Z", CLEANUP_SMALL)))
                .isEmpty();
        assertThat(PlanChanges.describe(null, atStart)).as("no earlier plan").isEmpty();
    }

    @Test
    void aStatementThatAppearsOrDisappearsIsNamed() {
        LintStatus atStart = status(PhaseName.CompatibleSchema, "2026-12-01T10:00:00Z", EXPAND);
        assertThat(PlanChanges.describe(atStart, status(PhaseName.CompatibleSchema, "2026-12-01T10:00:05Z", EXPAND,
                CLEANUP_SMALL))).hasValueSatisfying(m -> assertThat(m).contains("new: " + CLEANUP_SMALL));
        assertThat(PlanChanges.describe(status(PhaseName.CompatibleSchema, "2026-12-01T10:00:00Z", EXPAND,
                CLEANUP_SMALL), status(PhaseName.CompatibleSchema, "2026-12-01T10:00:05Z", EXPAND)))
                .hasValueSatisfying(m -> assertThat(m).contains("gone: " + CLEANUP_SMALL));
    }

    private static LintStatus status(PhaseName before, String at, String... plan) {
        LintStatus s = new LintStatus();
        s.before = before;
        s.checkedAt = at;
        s.plan.addAll(List.of(plan));
        return s;
    }
}
