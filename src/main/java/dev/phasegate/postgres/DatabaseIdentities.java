package dev.phasegate.postgres;

import dev.phasegate.api.DatabaseIdentity;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Reads which database a session is connected to: one round trip, no locks. */
public final class DatabaseIdentities {
    private DatabaseIdentities() {
    }

    public static DatabaseIdentity read(Connection c, String now) throws SQLException {
        String name;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_database()")) {
            rs.next();
            name = rs.getString(1);
        }
        String system = "unknown";
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
            if (rs.next()) {
                system = rs.getString(1);
            }
        } catch (SQLException e) {
            // Without pg_monitor (or superuser) pg_control is not readable: the name alone still tells databases of
            // one cluster apart.
            if (!"42501".equals(e.getSQLState())) {
                throw e;
            }
        }
        return new DatabaseIdentity(system, name, now);
    }
}
