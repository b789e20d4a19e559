package dev.phasegate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** `make demo DRY_RUN=1`: the plan of the quickstart (runs) and of a risky migration (blocked), nothing applied. */
class DryRunIT {

    @AfterEach
    void reset() {
        System.clearProperty("phasegate.demo.dryRun");
    }

    private static DemoOutput dryRun(String file) throws Exception {
        System.setProperty("phasegate.demo.dryRun", "1");
        return DemoOutput.capture(() -> Demo.execute(new String[] {file}));
    }

    @Test
    void theQuickstartsPlanShowsLocksAndRuns() throws Exception {
        DemoOutput run = dryRun("examples/quickstart.yaml");
        String out = run.text();
        assertThat(run.code()).as(out).isZero();
        assertThat(out).contains("PHASE", "LOCK", "ESTIMATE", "nothing is applied")
                .containsPattern("CompatibleSchema\\s+1\\s+ALTER TABLE orders\\s+ACCESS EXCLUSIVE\\s+catalog only")
                .containsPattern("CompatibleSchema\\s+2\\s+CREATE INDEX orders\\s+SHARE UPDATE EXCLUSIVE\\s+builds an"
                        + " index")
                .contains("orders has about 10,000 rows")
                .containsPattern("CompatibleSchema\\s+2\\s.*\\n\\s*Backfill\\s+1\\s+BACKFILL orders\\s+ROW EXCLUSIVE\\s+writes rows"
                        + " in batches\\s+up to ~10,000 rows")
                .containsPattern("Backfill .*\\n\\s*Cleanup\\s+1\\s")
                .contains("backfill of orders: up to ~10,000 rows in ~20 batches of 500: under 1 s (",
                        "at an assumed 20 MB/s, plus 20ms after each of the 20 batches)")
                .contains("the lint lets this migration run")
                .doesNotContain("PHASE  STATE");
    }

    @Test
    void aRiskyMigrationsPlanNamesEachDangerAndWouldBeBlocked() throws Exception {
        DemoOutput run = dryRun("examples/risky.yaml");
        String out = run.text();
        assertThat(run.code()).as(out).isEqualTo(1);
        assertThat(out).containsPattern("CompatibleSchema\\s+1\\s+ALTER TABLE orders\\s+ACCESS EXCLUSIVE\\s+rewrites"
                        + " the table")
                .contains("volatile-default ERROR", "index-not-concurrent ERROR", "column-type-rewrite ERROR",
                        "expand-type-change ERROR", "rename-column ERROR", "set-not-null-scan ERROR",
                        "unique-without-index ERROR")
                .contains("orders has about 200,000 rows")
                .contains("would be BLOCKED (LintFailed)");
        assertThat(out).as("the index on the table the expand creates is free")
                .containsPattern("CompatibleSchema\\s+6\\s+CREATE INDEX order_notes\\s+SHARE\\s+builds an index\\s+"
                        + "instant \\(table created earlier in the script\\)\\s*\\n");
    }
}
