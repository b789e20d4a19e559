package dev.phasegate.postgres;

import dev.phasegate.api.PhaseName;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.lint.CatalogLookups;
import dev.phasegate.lint.CatalogSnapshot;
import dev.phasegate.lint.Finding;
import dev.phasegate.lint.LintGate;
import dev.phasegate.lint.LintThresholds;
import dev.phasegate.lint.Linter;
import dev.phasegate.lint.PlanEntry;
import dev.phasegate.lint.PlanLine;
import dev.phasegate.lint.Planner;
import dev.phasegate.lint.ShownPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The SQL safety lint before a SQL phase applies anything: the catalog facts of the tables the scripts and the
 * backfill name (one read-only round trip), the findings of this phase's script and of every later one, judged
 * against spec.lint.allow, and the plan of this phase and every later one (lock, work, estimate per statement, and
 * the backfill's rows, batches and time) for status.lint.
 */
public final class LintPreflight {

    /** status.lint.plan lists at most this many statements. */
    static final int MAX_PLAN = 20;

    /** The verdict, whose status carries the plan's text, and the plan as shown with each line's phase. */
    public record Result(LintGate.Verdict verdict, ShownPlan plan) {
    }

    private LintPreflight() {
    }

    /** Lints on session c (bounded by the migration's lock_timeout and statement_timeout). */
    public static Result run(Connection c, SchemaMigrationSpec spec, PhaseName before, String now,
            LintThresholds thresholds) throws SQLException {
        String expand = spec.compatibleSchema == null ? null : spec.compatibleSchema.sql;
        String cleanup = spec.cleanup == null ? null : spec.cleanup.sql;
        CatalogSnapshot facts = CatalogFactsReader.read(c, CatalogLookups.of(spec));
        // The expand is read at Cleanup too (what it created), but its findings were judged before it ran.
        List<Finding> findings = Linter.lint(expand, cleanup, facts, thresholds).stream()
                .filter(f -> f.phase().ordinal() >= before.ordinal()).toList();
        LintGate.Verdict verdict = LintGate.judge(findings, spec.lint == null ? List.of() : spec.lint.allow, before,
                now);
        List<PlanEntry> plan = Planner.plan(expand, cleanup, spec.backfill, facts, thresholds).stream()
                .filter(e -> e.phase().ordinal() >= before.ordinal()).toList();
        List<PlanEntry> shown = shown(plan);
        ShownPlan planShown = new ShownPlan(before, now, shown.stream().map(PlanLine::of).toList(),
                plan.size() - shown.size());
        planShown.writeTo(verdict.status());
        return new Result(verdict, planShown);
    }

    /**
     * The first {@link #MAX_PLAN} entries in phase order, the backfill's always among them: it stands for a whole
     * phase, so it is kept over one more statement of a long script.
     */
    static List<PlanEntry> shown(List<PlanEntry> plan) {
        if (plan.size() <= MAX_PLAN) {
            return plan;
        }
        List<PlanEntry> backfill = plan.stream().filter(e -> e.phase() == PhaseName.Backfill).toList();
        List<PlanEntry> out = new ArrayList<>(plan.stream().filter(e -> e.phase() != PhaseName.Backfill)
                .limit(MAX_PLAN - backfill.size()).toList());
        out.addAll(backfill);
        out.sort(Comparator.comparing(PlanEntry::phase));
        return out;
    }
}
