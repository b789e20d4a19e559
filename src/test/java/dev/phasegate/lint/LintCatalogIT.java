package dev.phasegate.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.postgres.CatalogFactsReader;
import dev.phasegate.postgres.ConnectionSettings;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
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
                CREATE TABLE lint_kw (id bigint, "user" text CONSTRAINT lint_kw_user_nn CHECK ("user" IS NOT NULL));
                INSERT INTO lint_kw SELECT g, 'u' FROM generate_series(1, 20000) g;
                ANALYZE lint_kw;
                CREATE SCHEMA lint_shop;
                CREATE TABLE lint_shop.lint_big (id bigint PRIMARY KEY, a int);
                INSERT INTO lint_shop.lint_big SELECT g, g FROM generate_series(1, 10) g;
                ANALYZE lint_shop.lint_big;
                CREATE SCHEMA "LintShop";
                CREATE TABLE "LintShop".lint_quoted (id bigint);
                CREATE FUNCTION lint_token() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN md5(random()::text); END $$;
                CREATE FUNCTION lint_shop.lint_next_code() RETURNS text LANGUAGE sql VOLATILE
                    AS $$ SELECT md5(random()::text) $$;
                CREATE FUNCTION lint_label() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'label' $$;
                """);
    }

    private static List<String> lint(String expand, String cleanup) throws SQLException {
        return findings(expand, cleanup).stream()
                .map(f -> f.rule() + ":" + f.severity() + "@" + f.phase() + "-" + f.statement()).sorted().toList();
    }

    private static List<Finding> findings(String expand, String cleanup) throws SQLException {
        return Linter.lint(expand, cleanup, facts(null, expand, cleanup), LintThresholds.DEFAULT);
    }

    /** The catalog as a session with this search_path (null: the default) sees it. */
    private static CatalogSnapshot facts(String searchPath, String... scripts) throws SQLException {
        try (Connection c = db.connect()) {
            if (searchPath != null) {
                try (Statement s = c.createStatement()) {
                    s.execute("SET search_path = " + searchPath);
                }
            }
            return CatalogFactsReader.read(c, CatalogLookups.of(scripts));
        }
    }

    private static List<String> lintOnPath(String searchPath, String expand) throws SQLException {
        return Linter.lint(expand, null, facts(searchPath, expand), LintThresholds.DEFAULT).stream()
                .map(f -> f.rule() + ":" + f.severity() + "@" + f.statement()).sorted().toList();
    }

    private static CatalogLookups tables(String... names) {
        return new CatalogLookups(Set.of(names), Set.of());
    }

    @Test
    void readsRealEstimatesAndTheServerVersion() throws SQLException {
        CatalogSnapshot facts;
        try (Connection c = db.connect()) {
            facts = CatalogFactsReader.read(c, tables("lint_big", "lint_small", "lint_missing", "\"LintMixed\"",
                    "otherdb.public.lint_big", "\"a.b\".lint_missing"));
        }
        assertThat(facts.serverVersionNum()).isEqualTo((int) db.count("SELECT current_setting('server_version_num')::int"));
        assertThat(facts.searchPath()).containsExactly("public");
        TableFacts big = facts.table("public.lint_big").orElseThrow();
        assertThat(big.rows()).isBetween(150_000.0, 250_000.0);
        assertThat(big.bytes()).isGreaterThan(LintThresholds.DEFAULT.smallTableBytes() / 10);
        assertThat(big.notNullChecked()).containsExactly("email");
        assertThat(big.uniqueIndexes()).extracting(TableFacts.UniqueIndex::name)
                .contains("lint_big_code_idx", "lint_big_pkey");
        assertThat(big.columnTypes()).containsEntry("name", "character varying(20)");
        assertThat(facts.table("public.lint_small").orElseThrow().rows()).isEqualTo(10.0);
        assertThat(facts.table("public.lint_missing")).isEmpty();
        assertThat(facts.tables()).as("three parts: left unknown, no error").hasSize(3);
        assertThat(facts.table("public.\"LintMixed\"").orElseThrow().columnTypes()).containsEntry("\"Col\"", "integer");
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
    void columnNamesFromTheCatalogMatchTheStatementsSpelling() throws SQLException {
        assertThat(lint(null, "ALTER TABLE lint_kw ALTER COLUMN \"user\" SET NOT NULL")).as("checked: no scan").isEmpty();
        assertThat(lint(null, "ALTER TABLE lint_kw ALTER COLUMN id SET NOT NULL"))
                .containsExactly("set-not-null-scan:ERROR@Cleanup-1");
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
            facts = CatalogFactsReader.read(c, CatalogLookups.of(sql));
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
    void unqualifiedNamesResolveThroughTheSessionsSearchPath() throws SQLException {
        assertThat(facts("lint_shop, \"LintShop\", public", "SELECT 1").searchPath())
                .containsExactly("lint_shop", "\"LintShop\"", "public");
        String index = "CREATE INDEX lint_big_a ON lint_big (a)";
        assertThat(lintOnPath("lint_shop, public", index)).as("the 10-row lint_shop.lint_big comes first")
                .containsExactly("index-not-concurrent:NOTE@1");
        assertThat(lintOnPath("public, lint_shop", index)).containsExactly("index-not-concurrent:ERROR@1");
        assertThat(lintOnPath(null, "CREATE INDEX lint_big_a ON lint_shop.lint_big (a)"))
                .containsExactly("index-not-concurrent:NOTE@1");
        assertThat(lintOnPath("lint_shop, public", "CREATE TABLE lint_fresh (id int, a int);"
                + " CREATE INDEX lint_fresh_a ON lint_shop.lint_fresh (a);"
                + " CREATE INDEX lint_fresh_b ON public.lint_fresh (a)"))
                .as("created in lint_shop, the search_path's first schema; public.lint_fresh does not exist")
                .containsExactly("index-not-concurrent:ERROR@3");
        assertThat(facts("\"LintShop\"", "CREATE INDEX q ON lint_quoted (id)").table("\"LintShop\".lint_quoted"))
                .isPresent();
    }

    @Test
    void aDefaultsVolatilityComesFromPgProc() throws SQLException {
        assertThat(lint("ALTER TABLE lint_big ADD COLUMN t1 text DEFAULT lint_token();"
                + " ALTER TABLE lint_big ADD COLUMN t2 text DEFAULT lint_label();"
                + " ALTER TABLE lint_big ADD COLUMN t3 text DEFAULT lint_shop.lint_next_code();"
                + " ALTER TABLE lint_big ADD COLUMN t4 timestamptz DEFAULT now();"
                + " ALTER TABLE lint_big ADD COLUMN t5 text DEFAULT lint_next_code()", null))
                .as("lint_next_code is not on the default search_path, so it cannot be classified")
                .containsExactly("volatile-default:ERROR@CompatibleSchema-1", "volatile-default:ERROR@CompatibleSchema-3",
                        "volatile-default:WARNING@CompatibleSchema-5");
        assertThat(findings("ALTER TABLE lint_big ADD COLUMN t1 text DEFAULT lint_token()", null))
                .singleElement().satisfies(f -> assertThat(f.message()).contains("lint_token() is VOLATILE in pg_proc"));
        assertThat(lintOnPath("lint_shop, public", "ALTER TABLE lint_small ADD COLUMN t5 text DEFAULT lint_next_code()"))
                .containsExactly("volatile-default:NOTE@1");

        String sql = "ALTER TABLE lint_big ADD COLUMN t1 text DEFAULT lint_token();"
                + " ALTER TABLE lint_big ADD COLUMN t2 text DEFAULT lint_label()";
        assertThat(Planner.plan(sql, null, facts(null, sql), LintThresholds.DEFAULT)).extracting(PlanEntry::work)
                .containsExactly("rewrites the table", "catalog only");
    }

    @Test
    void postgresRewritesExactlyWhereTheLintSaysTheDefaultIsVolatile() throws SQLException {
        db.execute("CREATE TABLE lint_rw (id int); INSERT INTO lint_rw VALUES (1)");
        long before = db.count("SELECT relfilenode FROM pg_class WHERE relname = 'lint_rw'");
        db.execute("ALTER TABLE lint_rw ADD COLUMN l text DEFAULT lint_label()");
        assertThat(db.count("SELECT relfilenode FROM pg_class WHERE relname = 'lint_rw'")).isEqualTo(before);
        db.execute("ALTER TABLE lint_rw ADD COLUMN t text DEFAULT lint_token()");
        assertThat(db.count("SELECT relfilenode FROM pg_class WHERE relname = 'lint_rw'")).isNotEqualTo(before);
    }

    @Test
    void theBackfillIsPlannedFromTheTablesEstimateBetweenTheExpandAndCleanup() throws SQLException {
        String expand = "ALTER TABLE lint_big ADD COLUMN code2 text";
        String cleanup = "ALTER TABLE lint_big DROP COLUMN code";
        BackfillSpec b = new BackfillSpec();
        b.table = "lint_big";
        b.batchSize = 1000;
        b.pauseBetweenBatches = "1s";
        CatalogSnapshot facts;
        try (Connection c = db.connect()) {
            SchemaMigrationSpec spec = new SchemaMigrationSpec();
            spec.backfill = b;
            facts = CatalogFactsReader.read(c, CatalogLookups.of(spec));
        }
        List<PlanEntry> plan = Planner.plan(expand, cleanup, b, facts, LintThresholds.DEFAULT);
        assertThat(plan).extracting(e -> e.phase().name())
                .containsExactly("CompatibleSchema", "Backfill", "Cleanup");
        PlanEntry backfill = plan.get(1);
        assertThat(backfill.lock()).isEqualTo("ROW EXCLUSIVE");
        assertThat(backfill.size()).contains("lint_big has about 200,000 rows");
        assertThat(backfill.estimate()).contains("up to ~200,000 rows in ~200 batches of 1000", "~3 min",
                "plus 1s after each of the 200 batches");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theReaderTakesNoLockOnTheTablesItLooksAt() throws Exception {
        try (Connection holder = db.connect(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("LOCK TABLE lint_big, lint_small, lint_shop.lint_big IN ACCESS EXCLUSIVE MODE");
            CatalogSnapshot facts = CatalogFactsReader.read(
                    new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()), "phasegate/lint-it",
                    new CatalogLookups(Set.of("lint_big", "public.lint_small", "lint_shop.lint_big"),
                            Set.of("lint_token", "lint_shop.lint_next_code")));
            assertThat(facts.table("public.lint_big")).isPresent();
            assertThat(facts.function("lint_token")).contains(Volatility.VOLATILE);
            holder.rollback();
        }
    }
}
