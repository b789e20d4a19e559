package dev.phasegate.demo;

import dev.phasegate.api.PhaseName;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.lint.CatalogLookups;
import dev.phasegate.lint.CatalogSnapshot;
import dev.phasegate.lint.Finding;
import dev.phasegate.lint.LintGate;
import dev.phasegate.lint.LintThresholds;
import dev.phasegate.lint.Linter;
import dev.phasegate.lint.PlanEntry;
import dev.phasegate.lint.Planner;
import dev.phasegate.postgres.CatalogFactsReader;
import dev.phasegate.postgres.ConnectionSettings;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * `make demo DRY_RUN=1`: the lint and the plan of a migration against a database, printed as a table; nothing is
 * applied and no operator runs. Exit code 1 when an ERROR finding would block the migration.
 */
final class DryRun {

    private DryRun() {
    }

    static int run(Path migrationFile, Demo.Target target) throws Exception {
        SchemaMigration m = new KubernetesSerialization().unmarshal(Files.readString(migrationFile),
                SchemaMigration.class);
        SchemaMigrationSpec spec = m.getSpec();
        String expand = spec.compatibleSchema == null ? null : spec.compatibleSchema.sql;
        String cleanup = spec.cleanup == null ? null : spec.cleanup.sql;
        CatalogSnapshot facts = CatalogFactsReader.read(new ConnectionSettings(target.url(), target.user(),
                target.password()), "phasegate/dry-run", CatalogLookups.of(spec));
        List<PlanEntry> plan = Planner.plan(expand, cleanup, spec.backfill, facts, LintThresholds.DEFAULT);
        Demo.say("dry run of " + migrationFile + " on PostgreSQL " + facts.serverVersionNum()
                + ": nothing is applied");
        String format = "%-16s %3s  %-28s %-22s %-22s %-48s %s%n";
        System.out.printf("%n" + format, "PHASE", "#", "STATEMENT", "LOCK", "WORK", "ESTIMATE", "FINDINGS");
        for (PlanEntry e : plan) {
            System.out.printf(format, e.phase(), e.statement(), cut(e.summary(), 28), e.lock(), e.work(),
                    cut(e.estimate(), 48), String.join(", ", e.findings()));
        }
        System.out.println();
        plan.stream().map(PlanEntry::size).filter(s -> !s.isBlank()).distinct()
                .forEach(s -> System.out.println("  " + s));
        plan.stream().filter(e -> e.phase() == PhaseName.Backfill)
                .forEach(e -> System.out.println("  backfill of " + e.table() + ": " + e.estimate()));
        List<Finding> findings = Linter.lint(expand, cleanup, facts, LintThresholds.DEFAULT);
        LintGate.Verdict verdict = LintGate.judge(findings, spec.lint == null ? List.of() : spec.lint.allow,
                PhaseName.CompatibleSchema, Instant.now().toString());
        System.out.println();
        for (Finding f : findings) {
            System.out.println("  " + f.describe());
        }
        System.out.println();
        Demo.say(verdict.block().map(b -> "would be BLOCKED (LintFailed): " + verdict.status().blocking
                + " ERROR finding(s) not allowed").orElse("the lint lets this migration run"));
        return verdict.block().isPresent() ? 1 : 0;
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
