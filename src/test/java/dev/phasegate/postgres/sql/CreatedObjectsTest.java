package dev.phasegate.postgres.sql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CreatedObjectsTest {

    @Test
    void addColumnInItsFormsAddsTheColumnToThatTableOnly() {
        CreatedObjects c = CreatedObjects.of("""
                ALTER TABLE orders ADD COLUMN status_v2 text;
                ALTER TABLE IF EXISTS ONLY shop.items ADD IF NOT EXISTS note text, ADD CONSTRAINT k CHECK (true),
                    ADD "MixedCase" int;
                CREATE INDEX CONCURRENTLY orders_s_idx ON orders (status_v2);
                """);
        assertThat(c.opaque()).isFalse();
        assertThat(c.mayCreateColumn("orders", "status_v2")).isTrue();
        assertThat(c.mayCreateColumn("public.orders", "status_v2")).as("unqualified in the script").isTrue();
        assertThat(c.mayCreateColumn("orders", "note")).as("added to another table").isFalse();
        assertThat(c.mayCreateColumn("shop.items", "note")).isTrue();
        assertThat(c.mayCreateColumn("items", "note")).isTrue();
        assertThat(c.mayCreateColumn("other.items", "note")).as("another schema").isFalse();
        assertThat(c.mayCreateColumn("shop.items", "k")).as("a constraint is no column").isFalse();
        assertThat(c.mayCreateColumn("shop.items", "MixedCase")).isTrue();
        assertThat(c.mayCreateColumn("shop.items", "mixedcase")).as("quoted keeps case").isFalse();
        assertThat(c.createsTable("orders")).as("altered, not created").isFalse();
        assertThat(c.touchesTable("orders")).isTrue();
        assertThat(c.touchesTable("shop.items")).isTrue();
        assertThat(c.touchesTable("customers")).isFalse();
    }

    @Test
    void createTableCreatesItsListedColumnsAndRenamesCount() {
        CreatedObjects c = CreatedObjects.of("""
                CREATE TABLE IF NOT EXISTS Audit (id bigint PRIMARY KEY, payload jsonb DEFAULT '{}', CONSTRAINT u UNIQUE (payload));
                CREATE UNLOGGED TABLE copy_of AS SELECT * FROM orders;
                ALTER TABLE orders RENAME COLUMN status TO state;
                ALTER TABLE old_name RENAME TO new_name;
                """);
        assertThat(c.createsTable("audit")).isTrue();
        assertThat(c.createsTable("Audit")).as("unquoted folds to lower case").isFalse();
        assertThat(c.mayCreateColumn("audit", "id")).isTrue();
        assertThat(c.mayCreateColumn("audit", "payload")).isTrue();
        assertThat(c.mayCreateColumn("audit", "u")).isFalse();
        assertThat(c.mayCreateColumn("audit", "constraint")).isFalse();
        assertThat(c.createsTable("copy_of")).isTrue();
        assertThat(c.mayCreateColumn("copy_of", "anything")).as("columns from a query").isTrue();
        assertThat(c.mayCreateColumn("orders", "state")).isTrue();
        assertThat(c.createsTable("new_name")).isTrue();
        assertThat(c.mayCreateColumn("new_name", "x")).isTrue();
        assertThat(c.createsTable("orders")).isFalse();
    }

    @Test
    void statementsWhoseEffectCannotBeReadMakeEverythingPossible() {
        assertThat(CreatedObjects.of("DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD c int'; END $$").opaque()).isTrue();
        assertThat(CreatedObjects.of("CALL make_tables()").mayCreateColumn("t", "c")).isTrue();
        assertThat(CreatedObjects.of("SELECT 1 INTO t2").createsTable("t2")).isTrue();
        assertThat(CreatedObjects.of("CREATE TABLE t (LIKE src, extra int)").mayCreateColumn("t", "x")).isTrue();
        assertThat(CreatedObjects.of("ALTER TABLE t ADD COLUMN 'broken").opaque()).as("does not split").isTrue();
        CreatedObjects none = CreatedObjects.of(null);
        assertThat(none.createsTable("t")).isFalse();
        assertThat(none.mayCreateColumn("t", "c")).isFalse();
        assertThat(CreatedObjects.of("SELECT count(*) FROM t").opaque()).isFalse();
    }
}
