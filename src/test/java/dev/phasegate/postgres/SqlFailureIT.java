package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.phasegate.api.Reason;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Server errors as status shows them, provoked on a real PostgreSQL: SQLSTATE, primary message and the names
 * involved, never the row values the server puts in DETAIL or quotes in a data exception.
 */
@WithPostgres
class SqlFailureIT {
    private static final String CANARY = "secret-canary@example.com";
    PostgresDatabase db;

    @BeforeEach
    void tables() throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS orders, customers");
            s.execute("CREATE TABLE customers (id int PRIMARY KEY, email text CONSTRAINT customers_email_key UNIQUE,"
                    + " CONSTRAINT email_shape CHECK (email NOT LIKE '%canary%' OR id < 100))");
            s.execute("CREATE TABLE orders (id int PRIMARY KEY, customer text)");
            s.execute("INSERT INTO customers VALUES (1, '" + CANARY + "')");
        }
    }

    private Connection session() throws SQLException {
        return Sessions.open(new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()),
                new SessionSettings("phasegate/failure-it", Duration.ofSeconds(1), Duration.ofSeconds(20),
                        Duration.ofSeconds(30)));
    }

    private SQLException fail(String sql, String... parameters) throws SQLException {
        try (Connection c = session(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                ps.setString(i + 1, parameters[i]);
            }
            return catchThrowableOfType(SQLException.class, ps::execute);
        }
    }

    private SqlFailure classify(SQLException e) {
        return SqlFailure.of(e, new ConnectionSettings(db.jdbcUrl(), db.user(), db.password()));
    }

    @Test
    void aUniqueViolationNamesConstraintTableAndKeyColumnsButNotTheValue() throws SQLException {
        SQLException e = fail("INSERT INTO customers VALUES (2, ?)", CANARY);
        SqlFailure f = classify(e);
        assertThat(f.reason()).isEqualTo(Reason.SqlError);
        assertThat(f.message()).contains("customers_email_key", "table public.customers", "key (email)",
                "SQLSTATE 23505").doesNotContain(CANARY);
        assertThat(e.getMessage()).as("what a log line of the exception would show").doesNotContain(CANARY);
    }

    @Test
    void aCheckViolationDropsTheFailingRow() throws SQLException {
        SQLException e = fail("INSERT INTO customers VALUES (200, ?)", "other-" + CANARY);
        assertThat(classify(e).message()).contains("email_shape", "SQLSTATE 23514").doesNotContain(CANARY);
        assertThat(e.getMessage()).doesNotContain(CANARY);
    }

    @Test
    void aDataExceptionWithholdsTheValueItQuotes() throws SQLException {
        SQLException e = fail("SELECT ?::int", CANARY);
        SqlFailure f = classify(e);
        assertThat(f.sqlState()).isEqualTo("22P02");
        assertThat(f.message()).contains("invalid input syntax for type integer").doesNotContain(CANARY);
        assertThat(e.getMessage()).as("pgjdbc's own text quotes it, which is why status never uses it")
                .contains("integer");
    }

    @Test
    void aFailedBatchDoesNotPrintItsParameters() throws SQLException {
        try (Connection c = session(); PreparedStatement ps = c.prepareStatement("INSERT INTO customers VALUES (?, ?)")) {
            ps.setInt(1, 3);
            ps.setString(2, CANARY);
            ps.addBatch();
            SQLException e = catchThrowableOfType(SQLException.class, ps::executeBatch);
            assertThat(e.getMessage()).doesNotContain(CANARY);
            assertThat(classify(e).message()).doesNotContain(CANARY);
            for (SQLException next = e.getNextException(); next != null; next = next.getNextException()) {
                assertThat(next.getMessage()).doesNotContain(CANARY);
                assertThat(classify(next).message()).doesNotContain(CANARY);
            }
        }
    }

    @Test
    void withoutTheSessionsSettingPgjdbcWouldPrintTheDetail() throws SQLException {
        // The control: a plain connection shows the value, so the checks above can fail.
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            SQLException e = catchThrowableOfType(SQLException.class,
                    () -> s.execute("INSERT INTO customers VALUES (2, '" + CANARY + "')"));
            assertThat(e.getMessage()).contains(CANARY);
            assertThat(classify(e).message()).doesNotContain(CANARY);
        }
    }
}
