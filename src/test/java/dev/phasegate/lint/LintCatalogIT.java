package dev.phasegate.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.postgres.CatalogFactsReader;
import dev.phasegate.postgres.ConnectionSettings;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The data-aware rules against a real catalog: a 10-row table and a 200,000-row one (analysed, so pg_class holds
 * real estimates), a validated NOT NULL check, an existing unique index and a varchar column, read by
 * CatalogFactsReader and judged by the linter.
 */
@WithPostgres
class LintCatalogIT {

    static PostgresDatabase db;

    @BeforeAll
    static void tables() throws SQLException {
        db.execute("""
                CREATE TABLE lint_small (id bigint PRIMARY KEY, a int, email text);
                INSERT INTO lint_small SELECT g, g, 'x' FROM generate_series(1, 10) g;
                CREATE TABLE lint_big (id bigint PRIMARY KEY, code text, name varchar(20), email text, note text);
                INSERT INTO lint_big SELECT g, 'c' || g, 'n', 'e', NULL FROM generate_series(1, 200000) g;
                ALTER TABLE lint_big ADD CONSTRAINT lint_big_email_nn CHECK (email IS NOT NULL);
                CREATE UNIQUE INDEX lint_big_code_idx ON lint_big (code);
                CREATE TABLE "LintMixed" ("Col" int);
                ANALYZE lint_small;
                ANALYZE lint_big;
                """);
    }

    private static List<String> lint(String expand, String cleanup) throws SQLException {
        return findings(expand, cleanup).stream()
                .map(f -> f.rule() + ":" + f.severity() + "@" + f.phase() + "-" + f.statement()).sorted().toList();
    }

    private static List<Finding> findings(String expand, String cleanup) throws SQLException {
        CatalogSnapshot facts;
        try (Connection c = db.connect()) {
            facts = CatalogFactsReader.read(c, Linter.tables(expand, cleanup));
        }
        return Linter.lint(expand, cleanup, facts, LintThresholds.DEFAULT);
    }

    @Test
    void readsRealEstimatesAndTheServerVersion() throws SQLException {
        CatalogSnapshot facts;
        try (Connection c = db.connect()) {
            facts = CatalogFactsReader.read(c, List.of("lint_big", "lint_small", "lint_missing", "\"LintMixed\"",
                    "otherdb.public.lint_big", "\"a.b\".lint_missing"));
        }
        assertThat(facts.serverVersionNum()).isEqualTo((int) db.count("SELECT current_setting('server_version_num')::int"));
        TableFacts big = facts.table("lint_big").orElseThrow();
        assertThat(big.rows()).isBetween(150_000.0, 250_000.0);
        assertThat(big.bytes()).isGreaterThan(LintThresholds.DEFAULT.smallTableBytes() / 10);
        assertThat(big.notNullChecked()).containsExactly("email");
        assertThat(big.uniqueIndexes()).extracting(TableFacts.UniqueIndex::name)
                .contains("lint_big_code_idx", "lint_big_pkey");
        assertThat(big.columnTypes()).containsEntry("name", "character varying(20)");
        assertThat(facts.table("lint_small").orElseThrow().rows()).isEqualTo(10.0);
        assertThat(facts.table("lint_missing")).isEmpty();
        assertThat(facts.table("otherdb.public.lint_big")).as("three parts: left unknown, no error").isEmpty();
        assertThat(facts.table("\"LintMixed\"").orElseThrow().columnTypes()).containsEntry("\"Col\"", "integer");
    }

    @Test
    void anIndexBuildIsANoteOnTheSmallTableAndAnErrorOnTheBigOne() throws SQLException {
        assertThat(lint("CREATE INDEX lint_small_a ON lint_small (a); CREATE INDEX lint_big_n ON lint_big (name);"
                + " CREATE TABLE lint_new (a int); CREATE INDEX lint_new_a ON lint_new (a)", null))
                .containsExactly("index-not-concurrent:ERROR@CompatibleSchema-2",
                        "index-not-concurrent:NOTE@CompatibleSchema-1");
    }

    @Test
    void setNotNullIsFreeWhereAValidatedCheckExists() throws SQLException {
        assertThat(lint(null, "ALTER TABLE lint_big ALTER COLUMN email SET NOT NULL;"
                + " ALTER TABLE lint_big ALTER COLUMN note SET NOT NULL"))
                .containsExactly("set-not-null-scan:ERROR@Cleanup-2");
    }

    @Test
    void typeChangesRewriteUnlessTheCatalogShowsAWidening() throws SQLException {
        assertThat(lint("ALTER TABLE lint_big ALTER COLUMN name TYPE varchar(40)", null)).isEmpty();
        assertThat(lint(null, "ALTER TABLE lint_big ALTER COLUMN name TYPE varchar(10);"
                + " ALTER TABLE lint_small ALTER COLUMN a TYPE bigint"))
                .containsExactly("column-type-rewrite:ERROR@Cleanup-1", "column-type-rewrite:NOTE@Cleanup-2");
    }

    @Test
    void aUniqueConstraintPointsAtTheExistingIndex() throws SQLException {
        List<Finding> f = findings("ALTER TABLE lint_big ADD CONSTRAINT lint_big_code_key UNIQUE (code)", null);
        assertThat(f).singleElement().satisfies(x -> {
            assertThat(x.rule()).isEqualTo("unique-without-index");
            assertThat(x.severity()).isEqualTo(Severity.ERROR);
            assertThat(x.message()).contains("USING INDEX lint_big_code_idx").contains("lint_big has about");
        });
    }

    @Test
    void lowerThresholdsMakeTheSmallTableBig() throws SQLException {
        String sql = "CREATE INDEX lint_small_a ON lint_small (a)";
        CatalogSnapshot facts;
        try (Connection c = db.connect()) {
            facts = CatalogFactsReader.read(c, Linter.tables(sql));
        }
        assertThat(Linter.lint(sql, null, facts, new LintThresholds(5, 1024 * 1024)))
                .extracting(Finding::severity).containsExactly(Severity.ERROR);
        assertThat(Linter.lint(sql, null, facts, LintThresholds.DEFAULT))
                .extracting(Finding::severity).containsExactly(Severity.NOTE);
    }

    @Test
    void aMissingTableCountsAsUnknownAndIsAnError() throws SQLException {
        assertThat(lint("CREATE INDEX lint_ghost_a ON lint_ghost (a)", null))
                .containsExactly("index-not-concurrent:ERROR@CompatibleSchema-1");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theReaderTakesNoLockOnTheTablesItLooksAt() throws Exception {
        try (Connection holder = db.connect(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("LOCK TABLE lint_big, lint_small IN ACCESS EXCLUSIVE MODE");
            CatalogSnapshot facts = CatalogFactsReader.read(
                    new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()), "phasegate/lint-it",
                    List.of("lint_big", "lint_small"));
            assertThat(facts.table("lint_big")).isPresent();
            holder.rollback();
        }
    }
}
