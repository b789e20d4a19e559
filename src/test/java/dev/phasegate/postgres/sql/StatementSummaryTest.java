package dev.phasegate.postgres.sql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class StatementSummaryTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "UPDATE orders SET status = 'paid' WHERE id = 42                          | UPDATE orders",
        "update ONLY shop.orders set x = 1                                        | UPDATE shop.orders",
        "SELECT * FROM customers WHERE email = 'a@b.c'                            | SELECT customers",
        "select sum(total) from orders_archive group by customer                  | SELECT orders_archive",
        "INSERT INTO audit (who, what) VALUES ('alice', 'x')                      | INSERT audit",
        "DELETE FROM sessions WHERE token = $1                                    | DELETE sessions",
        "SELECT pg_sleep(300)                                                     | SELECT",
        "SELECT 1                                                                 | SELECT",
        "ALTER TABLE IF EXISTS orders ADD COLUMN note text DEFAULT 'x'            | ALTER TABLE orders",
        "CREATE INDEX CONCURRENTLY orders_idx ON orders (email)                   | CREATE INDEX orders",
        "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE                               | LOCK orders",
        "TRUNCATE TABLE carts                                                     | TRUNCATE carts",
        "COPY orders FROM STDIN                                                   | COPY orders",
        "BEGIN                                                                    | BEGIN",
        "WITH x AS (SELECT id FROM a WHERE k = 'v') UPDATE orders SET y = 1       | UPDATE orders",
        "WITH RECURSIVE t(n) AS (VALUES (1)) SELECT n FROM t                      | SELECT t",
        "SELECT * FROM (SELECT 'secret' AS s) q                                   | SELECT",
        "SELECT \"Weird Name\".x FROM shop.\"Orders\"                             | SELECT shop.\"Orders\"",
        "autovacuum: VACUUM public.orders (to prevent wraparound)                 | other",
    })
    void namesTheCommandAndTheFirstTable(String query, String summary) {
        assertThat(StatementSummary.of(query)).isEqualTo(summary);
    }

    @Test
    void skipsCommentsBeforeAndInsideTheStatement() {
        assertThat(StatementSummary.of("/* app=checkout user='secret' */ -- note 'x'\n  UPDATE /* c */ carts SET a=1"))
                .isEqualTo("UPDATE carts");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM users WHERE email = 'secret-canary@example.com'",
        "SELECT * FROM users WHERE email = E'secret-canary@example.com'",
        "SELECT * FROM users WHERE email = $q$secret-canary@example.com$q$",
        "SELECT * FROM users WHERE email = 'secret-canary@example.com",  // cut off at 200 characters
        "/* secret-canary@example.com */ SELECT 1",
        "secret-canary@example.com",
        "NOTIFY ch, 'secret-canary@example.com'",
        "SELECT trim(both 'x' FROM 'secret-canary@example.com')",
    })
    void neverShowsALiteral(String query) {
        String summary = StatementSummary.of(query);
        assertThat(summary == null ? "" : summary).doesNotContain("secret").doesNotContain("canary")
                .doesNotContain("example");
    }

    @Test
    void hiddenOrEmptyTextHasNoSummary() {
        assertThat(StatementSummary.of("<insufficient privilege>")).isNull();
        assertThat(StatementSummary.of("")).isNull();
        assertThat(StatementSummary.of("  -- only a comment")).isNull();
        assertThat(StatementSummary.of(null)).isNull();
    }
}
