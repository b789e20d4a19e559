package dev.phasegate.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Opens bounded sessions: every setting of rule 1 travels in the startup packet, so no session is ever unbounded. */
public final class Sessions {
    private Sessions() {
    }

    public static Connection open(ConnectionSettings db, SessionSettings s) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", db.username());
        if (db.password() != null) {
            p.setProperty("password", db.password());
        }
        p.setProperty("ApplicationName", s.applicationName());
        p.setProperty("connectTimeout", "10");
        p.setProperty("loginTimeout", "10");
        p.setProperty("tcpKeepAlive", "true");
        // Otherwise pgjdbc puts the server's DETAIL (row values) and a failed batch's parameters in getMessage().
        p.setProperty("logServerErrorDetail", "false");
        p.setProperty("options", "-c lock_timeout=" + s.lockTimeout().toMillis()
                + " -c statement_timeout=" + s.statementTimeout().toMillis()
                + " -c idle_in_transaction_session_timeout=" + s.idleInTransactionTimeout().toMillis());
        Connection c = DriverManager.getConnection(db.jdbcUrl(), p);
        c.setAutoCommit(true);
        return c;
    }
}
