package dev.phasegate.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Our own tables in the target database (schema phasegate): created once, in one transaction, on first use. */
final class PhasegateSchema {
    private PhasegateSchema() {
    }

    /** Runs ddl (after CREATE SCHEMA) unless table exists already, so no DDL runs on the usual path. */
    static void ensure(Connection c, String table, String... ddl) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS phasegate");
            for (String statement : ddl) {
                s.execute(statement);
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
