package dev.phasegate.postgres.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.postgres.sql.DropTargets.Kind;
import dev.phasegate.postgres.sql.DropTargets.Target;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DropTargetsTest {

    private static DropTargets.Analysis of(String sql) {
        return DropTargets.of(SqlScript.parse(sql).statements().get(0));
    }

    @Test
    void alterTableDropsColumnsAndConstraintsButNotDefaults() {
        DropTargets.Analysis a = of("ALTER TABLE IF EXISTS ONLY Shop.\"Orders\" DROP COLUMN IF EXISTS note,"
                + " DROP CONSTRAINT orders_fk, ALTER COLUMN x DROP DEFAULT, ALTER COLUMN y DROP NOT NULL, DROP z");
        assertThat(a.opaque()).isEmpty();
        assertThat(a.targets()).containsExactly(new Target(Kind.COLUMN, "note", "shop.\"Orders\""),
                new Target(Kind.CONSTRAINT, "orders_fk", "shop.\"Orders\""),
                new Target(Kind.COLUMN, "z", "shop.\"Orders\""));
    }

    @Test
    void dropListsOfEachKind() {
        assertThat(of("DROP INDEX CONCURRENTLY IF EXISTS a_idx").targets())
                .containsExactly(new Target(Kind.INDEX, "a_idx", ""));
        assertThat(of("DROP TABLE IF EXISTS a, s.b CASCADE").targets())
                .containsExactly(new Target(Kind.TABLE, "a", ""), new Target(Kind.TABLE, "s.b", ""));
        assertThat(of("DROP MATERIALIZED VIEW mv").targets()).containsExactly(new Target(Kind.VIEW, "mv", ""));
        assertThat(of("DROP FUNCTION IF EXISTS f(int, text)").targets())
                .containsExactly(new Target(Kind.FUNCTION, "f", ""));
        assertThat(of("DROP TYPE mood").targets()).containsExactly(new Target(Kind.TYPE, "mood", ""));
        assertThat(of("DROP SEQUENCE s1").targets()).containsExactly(new Target(Kind.SEQUENCE, "s1", ""));
        assertThat(of("DROP TRIGGER IF EXISTS t_sync ON orders").targets())
                .containsExactly(new Target(Kind.TRIGGER, "t_sync", "orders"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "DELETE FROM settings WHERE key = 'x'|",
        "TRUNCATE orders|TRUNCATE",
        "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$|",
        "DROP SCHEMA s CASCADE|DROP SCHEMA",
        "UPDATE orders SET note = NULL|"})
    void statementsWhoseEffectCannotBeAttributedAreOpaque(String sql, String named) {
        DropTargets.Analysis a = of(sql);
        assertThat(a.opaque()).isPresent();
        if (named != null) {
            assertThat(a.opaque().get()).contains(named);
        }
        assertThat(a.opaque().get()).as("no literal in the message").doesNotContain("'x'");
    }

    @Test
    void statementsThatRemoveNothingHaveNoTargets() {
        for (String sql : List.of("CREATE INDEX CONCURRENTLY i ON t (a)", "SET lock_timeout = '1s'",
                "COMMENT ON TABLE t IS 'x'", "ALTER TABLE t RENAME COLUMN a TO b", "CREATE TABLE t2 (id int)")) {
            DropTargets.Analysis a = of(sql);
            assertThat(a.opaque()).as(sql).isEmpty();
            assertThat(a.targets()).as(sql).isEmpty();
        }
    }
}
