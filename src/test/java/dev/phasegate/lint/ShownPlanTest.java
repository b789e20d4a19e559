package dev.phasegate.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.LintStatus;
import dev.phasegate.api.PhaseName;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan status.lint shows: its lines' text, their phases, and what status keeps of it across a restart. */
class ShownPlanTest {

    private static PlanEntry entry(PhaseName phase, int statement, String summary) {
        return new PlanEntry(phase, statement, summary, "ACCESS EXCLUSIVE", "orders", "catalog only", "",
                "instant once the lock is granted", List.of());
    }

    private static final ShownPlan PLAN = new ShownPlan(PhaseName.CompatibleSchema, "2026-12-01T10:00:00Z",
            List.of(PlanLine.of(entry(PhaseName.CompatibleSchema, 1, "ALTER TABLE orders")),
                    PlanLine.of(entry(PhaseName.Backfill, 1, "BACKFILL orders")),
                    PlanLine.of(entry(PhaseName.Cleanup, 1, "ALTER TABLE orders"))), 2);

    @Test
    void aLineSaysItsPhaseStatementLockWorkAndEstimate() {
        assertThat(PLAN.lines()).extracting(PlanLine::phase)
                .containsExactly(PhaseName.CompatibleSchema, PhaseName.Backfill, PhaseName.Cleanup);
        assertThat(PLAN.lines().get(2).text())
                .isEqualTo("Cleanup 1 ALTER TABLE orders: ACCESS EXCLUSIVE, catalog only,"
                        + " instant once the lock is granted");
    }

    @Test
    void theStatementsCountTheOmittedOnesAndNotTheBackfill() {
        assertThat(PLAN.statements()).isEqualTo(4);
        assertThat(PLAN.backfill()).isTrue();
        assertThat(new ShownPlan(PhaseName.Cleanup, "t", List.of(PLAN.lines().get(2)), 0).backfill()).isFalse();
    }

    @Test
    void whatStatusKeepsReadsBackToTheSamePlan() {
        LintStatus status = new LintStatus();
        status.before = PLAN.before();
        status.checkedAt = PLAN.checkedAt();
        PLAN.writeTo(status);
        assertThat(status.plan).containsExactlyElementsOf(PLAN.lines().stream().map(PlanLine::text).toList());
        assertThat(status.planOmitted).isEqualTo(2);
        assertThat(ShownPlan.of(status)).isEqualTo(PLAN);
    }

    @Test
    void aLineNoPhaseBeginsIsLeftOutAndNoPlanIsNone() {
        LintStatus status = new LintStatus();
        status.plan.add("p");
        assertThat(ShownPlan.of(status).lines()).isEmpty();
        assertThat(ShownPlan.of(null)).isNull();
    }
}
