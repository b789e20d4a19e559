package dev.phasegate.postgres.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.phasegate.postgres.sql.SqlScriptException.Problem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SqlScriptRefusalTest {

    @Test
    void refusesUnnamedConcurrentIndexNamingTheStatementAndTheFix() {
        SqlScriptException e = refused("ALTER TABLE orders ADD COLUMN status text;\n"
                + "CREATE INDEX CONCURRENTLY ON public.orders (status);");

        assertThat(e.problem()).isEqualTo(Problem.UNNAMED_CONCURRENT_INDEX);
        assertThat(e.statementIndex()).isEqualTo(2);
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.getMessage())
                .startsWith("Statement 2 (line 2: CREATE INDEX CONCURRENTLY ON public.orders (status)): ")
                .contains("INVALID index", "know its name", "Name the index",
                        "CREATE INDEX CONCURRENTLY public_orders_<columns>_idx ON public.orders");
    }

    @Test
    void refusesUnnamedUniqueConcurrentIndexOnOnly() {
        assertThat(refused("create unique index concurrently on only t using btree (a)").problem())
                .isEqualTo(Problem.UNNAMED_CONCURRENT_INDEX);
    }

    @Test
    void acceptsUnnamedPlainIndexBecausePostgresCleansItUpWithTheTransaction() {
        SqlStatement statement = SqlScript.parse("CREATE INDEX ON orders (status)").statements().get(0);

        assertThat(statement.kind()).isEqualTo(StatementKind.CREATE_INDEX);
        assertThat(statement.indexName()).isEmpty();
        assertThat(statement.tableName()).contains("orders");
    }

    @ParameterizedTest
    @ValueSource(strings = {"BEGIN", "begin transaction isolation level serializable", "START TRANSACTION",
        "COMMIT", "commit and chain", "END", "ROLLBACK", "ROLLBACK TO SAVEPOINT s1", "ABORT", "SAVEPOINT s1",
        "RELEASE SAVEPOINT s1", "RELEASE s1", "PREPARE TRANSACTION 'tx1'", "COMMIT PREPARED 'tx1'",
        "/* wrapped */ -- by a tool\nBegin Work"})
    void refusesExplicitTransactionControl(String statement) {
        SqlScriptException e = refused("ALTER TABLE t ADD COLUMN a int;\n" + statement + ";\nSELECT 1;");

        assertThat(e.problem()).isEqualTo(Problem.TRANSACTION_CONTROL);
        assertThat(e.statementIndex()).isEqualTo(2);
        assertThat(e.getMessage()).startsWith("Statement 2 (line ").contains("phasegate owns transaction boundaries",
                "Remove the explicit");
    }

    @Test
    void refusesTheUsualBeginCommitWrapper() {
        SqlScriptException e = refused("BEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\n");

        assertThat(e.problem()).isEqualTo(Problem.TRANSACTION_CONTROL);
        assertThat(e.statementIndex()).isEqualTo(1);
    }

    @Test
    void acceptsBeginInsideBodiesAndPrepareOfAStatement() {
        SqlScript script = SqlScript.parse("DO $$ BEGIN PERFORM 1; END $$;\n"
                + "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN RETURN 1; END $f$;\n"
                + "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n"
                + "PREPARE q AS SELECT 1;");

        assertThat(script.statements()).extracting(SqlStatement::kind).containsExactly(StatementKind.DO_BLOCK,
                StatementKind.OTHER_DDL, StatementKind.OTHER_DDL, StatementKind.OTHER_DDL);
    }

    @Test
    void refusesDroppingSeveralIndexesConcurrently() {
        SqlScriptException e = refused("DROP INDEX CONCURRENTLY IF EXISTS a_idx, public.b_idx;");

        assertThat(e.problem()).isEqualTo(Problem.MULTIPLE_DROP_CONCURRENTLY);
        assertThat(e.statementIndex()).isEqualTo(1);
        assertThat(e.getMessage()).contains("only one index", "a_idx, public.b_idx");
    }

    @ParameterizedTest
    @ValueSource(strings = {"COPY orders FROM STDIN", "copy orders (id, status) from stdin with (format csv)",
        "COPY (SELECT * FROM orders) TO STDOUT"})
    void refusesClientSideCopy(String statement) {
        SqlScriptException e = refused(statement + ";\n1\tnew\n\\.\n");

        assertThat(e.problem()).isEqualTo(Problem.CLIENT_COPY);
        assertThat(e.statementIndex()).isEqualTo(1);
    }

    @Test
    void acceptsServerSideCopy() {
        assertThat(SqlScript.parse("COPY orders FROM '/var/lib/postgresql/orders.csv' WITH (FORMAT csv)")
                .statements().get(0).kind()).isEqualTo(StatementKind.DML);
    }

    @Test
    void refusesPsqlMetaCommands() {
        SqlScriptException e = refused("SELECT 1;\n\\set ON_ERROR_STOP on\nALTER TABLE t ADD COLUMN a int;");

        assertThat(e.problem()).isEqualTo(Problem.PSQL_META_COMMAND);
        assertThat(e.statementIndex()).isEqualTo(2);
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.getMessage()).contains("\\set at line 2 is a psql meta-command");
    }

    @Test
    void acceptsBackslashesInsideLiteralsAndComments() {
        assertThat(SqlScript.parse("SELECT 'a\\b', E'\\\\', $$\\x$$; -- \\i other.sql\n/* \\set */").size())
                .isEqualTo(1);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "SELECT 'abc                                            | string literal      | 3",
        "SELECT E'it\\'s                                        | E'' string          | 3",
        "SELECT 'x' AS \"col                                    | quoted identifier   | 3",
        "DO $body$ BEGIN NULL; END $$                           | dollar quote $body$ | 3",
        "SELECT 1 /* outer /* inner */                          | block comment       | 3",
        "SELECT (1 + 2                                          | parenthesis         | 3",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; | BEGIN ATOMIC body | 3"})
    void refusesUnterminatedConstructsNamingWhereTheyOpen(String broken, String what, int line) {
        SqlScriptException e = refused("SELECT 1;\n\n" + broken + ";\nALTER TABLE t ADD COLUMN a int;\nSELECT 2;");

        assertThat(e.problem()).isEqualTo(Problem.UNTERMINATED);
        assertThat(e.statementIndex()).isEqualTo(2);
        assertThat(e.line()).isEqualTo(line);
        assertThat(e.getMessage()).startsWith("Statement 2 (line 3: ")
                .contains("the " + what + " opened at line " + line + " is never closed");
    }

    @Test
    void refusesAnUnterminatedCommentAfterTheLastStatement() {
        SqlScriptException e = refused("SELECT 1;\nSELECT 2;\n/* forgot to close");

        assertThat(e.problem()).isEqualTo(Problem.UNTERMINATED);
        assertThat(e.statementIndex()).isEqualTo(3);
        assertThat(e.getMessage()).contains("add the closing */");
    }

    @Test
    void readsDollarQuotesOnlyWithAProperTag() {
        assertThat(SqlScript.parse("SELECT $1, $2; SELECT 3").size()).isEqualTo(2);
        assertThat(SqlScript.parse("SELECT $tag; SELECT 3").size()).isEqualTo(2);
        assertThat(SqlScript.parse("SELECT $a$;$a$; SELECT 3").size()).isEqualTo(2);
        assertThat(refused("SELECT $a$;$A$; SELECT 3").problem()).isEqualTo(Problem.UNTERMINATED);
        assertThat(refused("SELECT $_x1$ ; SELECT 3").problem()).isEqualTo(Problem.UNTERMINATED);
    }

    private static SqlScriptException refused(String script) {
        SqlScriptException e = catchThrowableOfType(SqlScriptException.class, () -> SqlScript.parse(script));
        assertThat(e).as("expected %s to be refused", script).isNotNull();
        return e;
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT set_config('lock_timeout', '0', false)",
        "select pg_catalog.set_config('statement_timeout', '0', true)",
        "DO $$ BEGIN SET LOCAL lock_timeout = 0; ALTER TABLE t ADD COLUMN b int; END $$",
        "DO $body$ BEGIN PERFORM set_config('idle_in_transaction_session_timeout', '0', true); END $body$",
        "do 'begin execute ''set client_connection_check_interval = 0''; end'"})
    void refusesChangingOurSessionBoundsMidStatement(String statement) {
        SqlScriptException e = refused("ALTER TABLE t ADD COLUMN a int;\n" + statement + ";");

        assertThat(e.problem()).isEqualTo(Problem.SESSION_BOUNDS_OVERRIDE);
        assertThat(e.statementIndex()).isEqualTo(2);
        assertThat(e.getMessage()).contains("session bounds", "spec.locks");
    }

    @ParameterizedTest
    @ValueSource(strings = {"SET lock_timeout = '2s'", "RESET statement_timeout",
        "SELECT set_config('search_path', 'app, public', false)",
        "DO $$ BEGIN RAISE NOTICE 'no bounds here'; END $$"})
    void acceptsSettingsTheExecutorRestoresOrThatAreNotOurs(String statement) {
        assertThat(SqlScript.parse(statement).statements()).hasSize(1);
    }
}
