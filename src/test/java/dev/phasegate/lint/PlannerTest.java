package dev.phasegate.lint;

import static org.assertj.core.api.Assertions.assertThat;

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
}
