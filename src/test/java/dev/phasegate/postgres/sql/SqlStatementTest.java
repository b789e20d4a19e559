package dev.phasegate.postgres.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SqlStatementTest {

    @Test
    void normalizesCommentsAndWhitespaceOutsideLiteralsOnly() {
        SqlStatement statement = only("""
                -- leading comment
                ALTER   TABLE orders /* why */
                    ADD COLUMN note text   DEFAULT 'two  spaces -- kept /* too */'; -- trailing
                """);

        assertThat(statement.normalized())
                .isEqualTo("ALTER TABLE orders ADD COLUMN note text DEFAULT 'two  spaces -- kept /* too */'");
    }

    @Test
    void keepsDollarBodiesByteForByteWhenNormalizing() {
        SqlStatement statement = only("CREATE FUNCTION f() RETURNS int AS $$\n  SELECT  1; -- c\n$$\n  LANGUAGE sql");

        assertThat(statement.normalized()).isEqualTo("CREATE FUNCTION f() RETURNS int AS $$\n  SELECT  1; -- c\n$$ "
                + "LANGUAGE sql");
    }

    @Test
    void checksumIgnoresFormattingButNotContent() {
        String checksum = only("ALTER TABLE orders ADD COLUMN note text").checksum();

        assertThat(checksum).hasSize(64).matches("[0-9a-f]+");
        assertThat(only("alter table orders add column note text").checksum()).isNotEqualTo(checksum);
        assertThat(only("-- v2\nALTER TABLE orders\n\tADD COLUMN /* free text */ note text;").checksum())
                .isEqualTo(checksum);
        assertThat(only("ALTER TABLE orders ADD COLUMN notes text").checksum()).isNotEqualTo(checksum);
        assertThat(only("SELECT 'a  b'").checksum()).isNotEqualTo(only("SELECT 'a b'").checksum());
    }

    @Test
    void checksumIsSha256OfNormalized() {
        // sha256("SELECT 1"), computed independently with sha256sum
        assertThat(only("SELECT   1").checksum())
                .isEqualTo("e004ebd5b5532a4b85984a62f8ad48a81aa3460c1ca07701f386135d72cdecf5");
    }

    @Test
    void classifiesPastLeadingCommentsAndCase() {
        SqlStatement statement = only("/* a */ -- b\n/* c /* d */ */ cReAtE InDeX cOnCuRrEnTlY x ON y (z)");

        assertThat(statement.kind()).isEqualTo(StatementKind.CREATE_INDEX_CONCURRENTLY);
        assertThat(statement.transactional()).isFalse();
        assertThat(statement.indexName()).contains("x");
        assertThat(statement.tableName()).contains("y");
    }

    @Test
    void doesNotMistakeQuotedKeywordsForKeywords() {
        assertThat(only("CREATE INDEX \"concurrently\" ON t (a)").kind()).isEqualTo(StatementKind.CREATE_INDEX);
        assertThat(only("\"begin\"").kind()).isEqualTo(StatementKind.OTHER_DDL);
    }

    @Test
    void stripsAByteOrderMarkThatWouldHideTheFirstKeyword() {
        assertThat(only("\uFEFFCREATE INDEX CONCURRENTLY x ON y (z)").kind())
                .isEqualTo(StatementKind.CREATE_INDEX_CONCURRENTLY);
    }

    @Test
    void handlesCrLfLineEndings() {
        SqlScript script = SqlScript.parse("-- c\r\nALTER TABLE t ADD a int;\r\n-- d;\r\nVACUUM t;\r\n");

        assertThat(script.statements()).extracting(SqlStatement::text)
                .containsExactly("ALTER TABLE t ADD a int", "VACUUM t");
        assertThat(script.statements()).extracting(SqlStatement::line).containsExactly(2, 4);
    }

    @Test
    void lockTargetsFoldUnquotedNamesAndKeepSchemas() {
        SqlStatement statement = only("ALTER TABLE Sales.\"Orders\" ADD CONSTRAINT fk FOREIGN KEY (c) "
                + "REFERENCES Sales.Customers (id) NOT VALID");

        assertThat(statement.tableName()).contains("sales.\"Orders\"");
        assertThat(statement.lockTargets()).containsExactly("sales.\"Orders\"", "sales.customers");
    }

    @Test
    void qualifiesCreatedIndexesWithTheirTablesSchema() {
        assertThat(only("CREATE INDEX CONCURRENTLY idx ON \"Shop.v2\".orders (a)").qualifiedIndexName())
                .contains("\"Shop.v2\".idx");
        assertThat(only("CREATE INDEX CONCURRENTLY \"Idx\" ON orders (a)").qualifiedIndexName()).contains("\"Idx\"");
        assertThat(only("DROP INDEX CONCURRENTLY shop.idx").qualifiedIndexName()).contains("shop.idx");
        assertThat(only("CREATE INDEX ON shop.orders (a)").qualifiedIndexName()).isEmpty();
    }

    @Test
    void dmlHasNoLockTargetsBecauseRowLocksDoNotConflictWithIndexBuilds() {
        assertThat(only("UPDATE orders SET a = 1 WHERE id = 2").lockTargets()).isEmpty();
    }

    @Test
    void readsTransactionControlInsideSingleQuotedDoBodies() {
        assertThat(only("DO 'BEGIN UPDATE t SET a = ''x;''; COMMIT; END'").transactional()).isFalse();
        assertThat(only("DO 'BEGIN UPDATE t SET a = ''commit''; END'").transactional()).isTrue();
    }

    @Test
    void rejectsInvalidConstruction() {
        assertThatThrownBy(() -> new SqlStatement(0, 1, "x", "x", StatementKind.DML, true, Optional.empty(),
                Optional.empty(), List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isImmutable() {
        SqlScript script = SqlScript.parse("SELECT 1; SELECT 2");

        assertThatThrownBy(() -> script.statements().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> only("ALTER TABLE t ADD a int").lockTargets().add("x"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(SqlScript.parse("SELECT 1; SELECT 2")).isEqualTo(script);
    }

    private static SqlStatement only(String script) {
        List<SqlStatement> statements = SqlScript.parse(script).statements();
        assertThat(statements).hasSize(1);
        return statements.get(0);
    }
}
