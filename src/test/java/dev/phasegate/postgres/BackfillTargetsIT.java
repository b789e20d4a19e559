package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The backfill's table and columns looked up in a real catalog before the expand runs, through SpecPreflight. */
@WithPostgres
class BackfillTargetsIT {
    PostgresDatabase db;

    @BeforeEach
    void table() throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS bt_orders (id bigint PRIMARY KEY, status int)");
        }
    }

    private static BackfillSpec backfill(String table, String key, String set) {
        BackfillSpec b = new BackfillSpec();
        b.table = table;
        b.keyColumn = key;
        b.set = set;
        b.where = "true";
        return b;
    }

    private Optional<String> preflight(BackfillSpec b, String expand) throws SQLException {
        try (Connection c = db.connect()) {
            return SpecPreflight.firstError(c, List.of(new SpecPreflight.Script("spec.compatibleSchema.sql", expand),
                    SpecPreflight.backfill(b, expand)));
        }
    }

    @Test
    void aColumnTheExpandAddsPasses() throws SQLException {
        assertThat(preflight(backfill("bt_orders", "id", "status_v2 = status::text"),
                "ALTER TABLE bt_orders ADD COLUMN status_v2 text")).isEmpty();
    }

    @Test
    void aTableTheExpandCreatesPasses() throws SQLException {
        assertThat(preflight(backfill("bt_new", "id", "v = 1"),
                "CREATE TABLE bt_new (id bigint PRIMARY KEY, v int)")).isEmpty();
    }

    @Test
    void aMissingTableIsNamedWithItsField() throws SQLException {
        Optional<String> error = preflight(backfill("bt_ordrs", "id", "status = 1"),
                "ALTER TABLE bt_orders ADD COLUMN note text");
        assertThat(error).hasValueSatisfying(e -> assertThat(e).startsWith("spec.backfill.table: table bt_ordrs"
                + " does not exist").contains("spec.compatibleSchema.sql does not create it"));
    }

    @Test
    void aMissingKeyColumnIsNamedWithItsField() throws SQLException {
        Optional<String> error = preflight(backfill("bt_orders", "order_id", "status = 1"),
                "ALTER TABLE bt_orders ADD COLUMN note text");
        assertThat(error).hasValueSatisfying(e -> assertThat(e).startsWith("spec.backfill.keyColumn: column order_id"
                + " (the key column) does not exist in table bt_orders")
                .contains("spec.compatibleSchema.sql does not add it"));
    }

    @Test
    void aColumnSetAssignsThatNobodyAddsIsNamed() throws SQLException {
        // The expand adds the column to another table: not to this one.
        Optional<String> error = preflight(backfill("bt_orders", "id", "status_v2 = status::text"),
                "CREATE TABLE bt_other (status_v2 text)");
        assertThat(error).hasValueSatisfying(e -> assertThat(e).startsWith("spec.backfill.set: column status_v2"));
    }

    @Test
    void aKeyWithoutAUniqueIndexIsFoundUnlessTheExpandIndexesIt() throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS bt_nokey (code text, v int)");
        }
        assertThat(preflight(backfill("bt_nokey", "code", "v = 1"), "ALTER TABLE bt_orders ADD COLUMN x int"))
                .hasValueSatisfying(e -> assertThat(e).startsWith("spec.backfill.keyColumn: code is not indexed"));
        assertThat(preflight(backfill("bt_nokey", "code", "v = 1"),
                "CREATE UNIQUE INDEX CONCURRENTLY bt_nokey_code_key ON bt_nokey (code)")).isEmpty();
    }

    @Test
    void aSyntaxErrorIsReportedBeforeTheCatalog() throws SQLException {
        Optional<String> error = preflight(backfill("bt_missing", "id", "status = = 1"), "SELECT 1");
        assertThat(error).hasValueSatisfying(e -> assertThat(e).startsWith("spec.backfill (set/where)"));
    }

    @Test
    void aTableInAnotherSchemaIsLookedUpThere() throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS bt_app");
            s.execute("CREATE TABLE IF NOT EXISTS bt_app.\"Items\" (id int PRIMARY KEY, v int)");
        }
        assertThat(preflight(backfill("bt_app.Items", "id", "v = 2"), "SELECT 1")).isEmpty();
        assertThat(preflight(backfill("bt_app.items", "id", "v = 2"), "SELECT 1"))
                .hasValueSatisfying(e -> assertThat(e).startsWith("spec.backfill.table: table bt_app.items"));
    }
}
