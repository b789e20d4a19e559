package dev.phasegate.postgres.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SqlScriptTest {

    static List<CorpusScript> corpus() {
        return CorpusScript.all();
    }

    @Test
    void corpusIsLargeEnoughToMeanSomething() {
        assertThat(corpus()).hasSizeGreaterThanOrEqualTo(40);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void corpusScriptSplitsAndClassifiesAsExpected(CorpusScript script) {
        List<SqlStatement> statements = SqlScript.parse(script.text()).statements();

        assertThat(statements).as("statement count").hasSize(script.count());
        assertThat(statements).extracting(SqlStatement::kind).as("kinds").isEqualTo(script.kinds());
        assertThat(statements).extracting(SqlStatement::transactional).as("transactional")
                .isEqualTo(script.transactional());
        assertThat(statements).extracting(SqlStatement::index).as("indexes")
                .isEqualTo(java.util.stream.IntStream.rangeClosed(1, script.count()).boxed().toList());
        script.indexes().forEach((i, names) -> {
            SqlStatement statement = statements.get(i - 1);
            assertThat(statement.indexName()).as("index name of %d", i).isEqualTo(CorpusScript.orEmpty(names[0]));
            assertThat(statement.tableName()).as("table name of %d", i).isEqualTo(CorpusScript.orEmpty(names[1]));
        });
        script.targets().forEach((i, targets) ->
                assertThat(statements.get(i - 1).lockTargets()).as("lock targets of %d", i).isEqualTo(targets));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void rejoiningTheStatementsGivesTheSameStatements(CorpusScript script) {
        List<SqlStatement> original = SqlScript.parse(script.text()).statements();
        String rejoined = original.stream().map(SqlStatement::text).collect(Collectors.joining(";\n"));

        assertThat(SqlScript.parse(rejoined).statements()).usingRecursiveFieldByFieldElementComparatorIgnoringFields(
                "line").isEqualTo(original);
    }

    @Test
    void anyMixOfCorpusStatementsAndSeparatorsParsesBackToTheSameStatements() {
        List<SqlStatement> pool = corpus().stream()
                .flatMap(script -> SqlScript.parse(script.text()).statements().stream()).toList();
        String[] separators = {";\n", ";", " ;\n\n", ";\n-- a comment; with a semicolon\n", ";/* ; /* ; */ ; */",
            "\n;\n;;\n", ";\r\n", ";\t-- trailing\n\n"};
        Random random = new Random(20240611L);
        for (int round = 0; round < 200; round++) {
            List<SqlStatement> picked = new ArrayList<>(pool);
            Collections.shuffle(picked, random);
            picked = picked.subList(0, 1 + random.nextInt(12));
            StringBuilder script = new StringBuilder();
            for (SqlStatement statement : picked) {
                script.append(statement.text()).append(separators[random.nextInt(separators.length)]);
            }

            List<SqlStatement> parsed = SqlScript.parse(script.toString()).statements();

            assertThat(parsed).as("round %d:%n%s", round, script).extracting(SqlStatement::text)
                    .isEqualTo(picked.stream().map(SqlStatement::text).toList());
            assertThat(parsed).extracting(SqlStatement::kind)
                    .isEqualTo(picked.stream().map(SqlStatement::kind).toList());
            assertThat(parsed).extracting(SqlStatement::checksum)
                    .isEqualTo(picked.stream().map(SqlStatement::checksum).toList());
        }
    }

    @Test
    void keepsStatementTextAsWrittenWithInnerCommentsButWithoutLeadingCommentsOrSemicolon() {
        List<String> texts = texts(CorpusScript.named("09_").text());

        assertThat(texts).containsExactly(
                "ALTER TABLE accounts /* inline; */ ADD COLUMN plan text",
                "UPDATE accounts SET plan = 'free' -- why: default for old rows;\nWHERE plan IS NULL");
    }

    @Test
    void splitsPartialIndexWithSemicolonsInStrings() {
        assertThat(texts(CorpusScript.named("04_").text())).containsExactly(
                "CREATE INDEX CONCURRENTLY idx_events_pending\n    ON events (created_at)\n"
                        + "    WHERE status = 'pending;retry' AND note <> 'it''s; fine'",
                "COMMENT ON INDEX idx_events_pending IS 'partial; used by the retry worker'");
    }

    @Test
    void keepsEscapeStringsWhole() {
        assertThat(texts(CorpusScript.named("10_").text())).containsExactly(
                "INSERT INTO messages (body) VALUES (E'it\\'s; fine')",
                "INSERT INTO messages (body) VALUES (E'tab\\there\\\\'), (e'line\\nbreak; \\x41')",
                "INSERT INTO messages (body) VALUES ('plain\\'), ('standard strings: backslash is a character')");
    }

    @Test
    void keepsBeginAtomicBodiesWhole() {
        List<String> texts = texts(CorpusScript.named("17_").text());

        assertThat(texts).hasSize(3);
        assertThat(texts.get(0)).startsWith("CREATE FUNCTION order_total").endsWith("p_order;\nEND");
        assertThat(texts.get(1)).endsWith("SELECT 'order; #' || p_order;\nEND");
        assertThat(texts.get(2)).isEqualTo("SELECT order_total(1), order_label(1)");
    }

    @Test
    void keepsNestedDollarQuotesWhole() {
        List<String> texts = texts(CorpusScript.named("06_").text());

        assertThat(texts.get(0)).startsWith("CREATE FUNCTION make_partition").endsWith("END\n$body$");
        assertThat(texts.get(1)).isEqualTo("SELECT make_partition(current_date)");
    }

    @Test
    void keepsRuleActionsInParenthesesWhole() {
        assertThat(texts(CorpusScript.named("29_").text()).get(0)).endsWith("SET updates = updates + 1\n)");
    }

    @Test
    void readsQuotedIdentifiersWithSemicolonsAndDoubledQuotes() {
        assertThat(texts(CorpusScript.named("18_").text())).containsExactly(
                "CREATE TABLE \"Order Items; v2\" (\"Qty \"\"x\"\"\" int, \"note;\" text)",
                "CREATE INDEX CONCURRENTLY \"Idx; weird\" ON \"Order Items; v2\" (\"Qty \"\"x\"\"\")",
                "ALTER TABLE \"Order Items; v2\" RENAME COLUMN \"note;\" TO \"note\"");
    }

    @Test
    void takesTheLastStatementWithoutSemicolon() {
        assertThat(texts(CorpusScript.named("23_").text()))
                .containsExactly("ALTER TABLE orders ADD COLUMN note text",
                        "ALTER TABLE orders ALTER COLUMN note SET DEFAULT ''");
    }

    @Test
    void emptyAndCommentOnlyScriptsAreEmpty() {
        assertThat(SqlScript.parse("").isEmpty()).isTrue();
        assertThat(SqlScript.parse(" \n\t;;\n ; ").statements()).isEmpty();
        assertThat(SqlScript.parse("-- nothing; here\n/* nor /* here; */ */\n").size()).isZero();
    }

    @Test
    void reportsLinesOfStatements() {
        SqlScript script = SqlScript.parse("-- header\n\nSELECT 1;\n/* x\n */ SELECT\n2;");

        assertThat(script.statements()).extracting(SqlStatement::line).containsExactly(3, 5);
    }

    private static List<String> texts(String script) {
        return SqlScript.parse(script).statements().stream().map(SqlStatement::text).toList();
    }
}
