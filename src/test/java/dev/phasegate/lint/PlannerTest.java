package dev.phasegate.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.BackfillSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan: the lock, the work and the estimate of each statement, from the same facts as the rules. */
class PlannerTest {

    private static List<PlanEntry> plan(String expand, String cleanup, String catalog) {
        return Planner.plan(expand, cleanup, LintCorpusTest.catalog(catalog), LintThresholds.DEFAULT);
    }

    @Test
    void eachStatementGetsItsLockWorkAndEstimate() {
        List<PlanEntry> p = plan("ALTER TABLE orders ADD COLUMN note text;\n"
                + "CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);\n"
                + "ALTER TABLE orders ADD CONSTRAINT orders_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
                + "ALTER TABLE orders VALIDATE CONSTRAINT orders_fk;\n"
                + "UPDATE tiny SET a = 1", "ALTER TABLE orders ALTER COLUMN qty TYPE bigint", "std");
        assertThat(p).extracting(e -> e.phase() + " " + e.statement() + " | " + e.lock() + " | " + e.work())
                .containsExactly(
                        "CompatibleSchema 1 | ACCESS EXCLUSIVE | catalog only",
                        "CompatibleSchema 2 | SHARE UPDATE EXCLUSIVE | builds an index",
                        "CompatibleSchema 3 | SHARE ROW EXCLUSIVE | catalog only",
                        "CompatibleSchema 4 | SHARE UPDATE EXCLUSIVE | reads every row",
                        "CompatibleSchema 5 | ROW EXCLUSIVE | writes rows",
                        "Cleanup 1 | ACCESS EXCLUSIVE | rewrites the table");
        assertThat(p.get(5).estimate()).isEqualTo("~41 s (2.0 GB at an assumed 50 MB/s)");
        assertThat(p.get(5).findings()).containsExactly("column-type-rewrite ERROR");
        assertThat(p.get(0).estimate()).isEqualTo("instant once the lock is granted");
        assertThat(p.get(4).size()).contains("tiny has about 10 rows");
    }

    @Test
    void aWideningTheCatalogProvesIsCatalogOnlyAndANewTableIsInstant() {
        List<PlanEntry> p = plan("ALTER TABLE orders ALTER COLUMN name TYPE varchar(50);\n"
                + "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a)", null,
                "std type:orders.name=character_varying(20)");
        assertThat(p.get(0).work()).isEqualTo("catalog only");
        assertThat(p.get(2).estimate()).isEqualTo("instant (table created earlier in the script)");
        assertThat(p.get(2).findings()).isEmpty();
    }

    private static BackfillSpec backfill(String table, Integer batchSize, String pause) {
        BackfillSpec b = new BackfillSpec();
        b.table = table;
        b.batchSize = batchSize;
        b.pauseBetweenBatches = pause;
        return b;
    }

    @Test
    void theBackfillComesBetweenTheExpandAndCleanupWithRowsBatchesAndTime() {
        List<PlanEntry> p = Planner.plan("ALTER TABLE orders ADD COLUMN note text",
                "ALTER TABLE orders DROP COLUMN old_note", backfill("orders", 1000, "500ms"),
                LintCorpusTest.catalog("std"), LintThresholds.DEFAULT);
        assertThat(p).extracting(e -> e.phase() + " " + e.summary() + " | " + e.lock() + " | " + e.work())
                .containsExactly("CompatibleSchema ALTER TABLE orders | ACCESS EXCLUSIVE | catalog only",
                        "Backfill BACKFILL orders | ROW EXCLUSIVE | writes rows in batches",
                        "Cleanup ALTER TABLE orders | ACCESS EXCLUSIVE | catalog only");
        // 2 GB at 20 MB/s is ~102 s; 5,000 batches with a 0.5 s pause add 2,500 s.
        assertThat(p.get(1).estimate()).isEqualTo("up to ~5,000,000 rows in ~5,000 batches of 1000: ~43 min (2.0 GB"
                + " at an assumed 20 MB/s, plus 500ms after each of the 5,000 batches)");
        assertThat(p.get(1).size()).contains("orders has about 5,000,000 rows");
    }

    @Test
    void anAdaptiveBackfillIsEstimatedUnpacedAndSaysSo() {
        PlanEntry e = Planner.plan(null, null, backfill("public.orders", null, null), LintCorpusTest.catalog("std"),
                LintThresholds.DEFAULT).get(0);
        assertThat(e.estimate()).isEqualTo("up to ~5,000,000 rows in ~5,000 batches of 1000: ~102 s unpaced (2.0 GB"
                + " at an assumed 20 MB/s); adaptive pacing slows it when the app's latency rises");
    }

    @Test
    void aBackfillWithoutSizesSaysWhy() {
        assertThat(Planner.plan(null, null, backfill("orders", 500, null), CatalogFacts.unknown(),
                LintThresholds.DEFAULT).get(0)).satisfies(e -> {
                    assertThat(e.estimate()).isEqualTo("unknown (no size in the catalog); batches of 500");
                    assertThat(e.size()).contains("no database consulted");
                });
        assertThat(Planner.plan(null, null, backfill("Shop.Orders", 500, null),
                LintCorpusTest.catalog("small:\"Shop\".\"Orders\""), LintThresholds.DEFAULT).get(0).estimate())
                .as("raw parts of spec.backfill.table keep their case").startsWith("up to ~10 rows in ~1 batches");
    }
}
