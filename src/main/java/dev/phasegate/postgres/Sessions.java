package dev.phasegate.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.jboss.logging.Logger;

/**
 * Opens bounded sessions: every setting of rule 1 travels in the startup packet, so no session is ever unbounded,
 * and each is read back before use, so a proxy that dropped them is caught instead of trusted.
 */
public final class Sessions {
    private static final Logger LOG = Logger.getLogger(Sessions.class);

    /**
     * How often a backend checks that its client is still there while a statement runs (PostgreSQL 14+). When the
     * operator dies (OOMKill, eviction, kill -9) the kernel closes its sockets, and without this check a statement
     * holding ACCESS EXCLUSIVE would run on, unwatched, until it ends or statement_timeout stops it.
     */
    public static final Duration CLIENT_CHECK_INTERVAL = Duration.ofMillis(500);
    /** Network bounds: a black-holed database fails the call instead of hanging a thread forever. */
    static final int CONNECT_TIMEOUT_SECONDS = 10;
    /** Added to statement_timeout for the socket read timeout: the server's own timeout must fire first. */
    static final Duration SOCKET_MARGIN = Duration.ofSeconds(30);
    /** SQLSTATE for a session whose bounds did not survive the connection path (our own code, class 08). */
    public static final String SETTINGS_LOST = "08PG1";

    private static volatile boolean clientCheckUnsupported;

    static {
        // Registers pgjdbc with DriverManager whatever class loader DriverManager's service lookup happens to see
        // (the packaged application loads the driver through Quarkus' class loader, not the system one).
        org.postgresql.Driver.isRegistered();
    }

    private Sessions() {
    }

    public static Connection open(ConnectionSettings db, SessionSettings s) throws SQLException {
        Connection c;
        try {
            c = DriverManager.getConnection(db.jdbcUrl(), properties(db, s, !clientCheckUnsupported));
        } catch (SQLException e) {
            if (clientCheckUnsupported || !"42704".equals(e.getSQLState()) || e.getMessage() == null
                    || !e.getMessage().contains("client_connection_check_interval")) {
                throw e;
            }
            // PostgreSQL 13 and older: the orphan bound is then statement_timeout alone (documented).
            clientCheckUnsupported = true;
            LOG.warn("server has no client_connection_check_interval (PostgreSQL < 14): a statement whose operator"
                    + " died runs on until statement_timeout");
            c = DriverManager.getConnection(db.jdbcUrl(), properties(db, s, false));
        }
        try {
            verify(c, s);
            c.setAutoCommit(true);
            return c;
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private static Properties properties(ConnectionSettings db, SessionSettings s, boolean clientCheck) {
        Properties p = new Properties();
        p.setProperty("user", db.username());
        if (db.password() != null) {
            p.setProperty("password", db.password());
        }
        p.setProperty("ApplicationName", s.applicationName());
        p.setProperty("connectTimeout", String.valueOf(CONNECT_TIMEOUT_SECONDS));
        p.setProperty("loginTimeout", String.valueOf(CONNECT_TIMEOUT_SECONDS));
        p.setProperty("socketTimeout", String.valueOf(socketTimeout(s).toSeconds()));
        p.setProperty("tcpKeepAlive", "true");
        // standard_conforming_strings is pinned because the statement splitter reads '\' in strings as text.
        // Otherwise pgjdbc puts the server's DETAIL (row values) and a failed batch's parameters in getMessage().
        p.setProperty("logServerErrorDetail", "false");
        p.setProperty("options", "-c lock_timeout=" + s.lockTimeout().toMillis()
                + " -c statement_timeout=" + s.statementTimeout().toMillis()
                + " -c idle_in_transaction_session_timeout=" + s.idleInTransactionTimeout().toMillis()
                + " -c standard_conforming_strings=on"
                + (clientCheck ? " -c client_connection_check_interval=" + CLIENT_CHECK_INTERVAL.toMillis() : ""));
        return p;
    }

    /** Longer than any statement may run, so only a dead network trips it. */
    static Duration socketTimeout(SessionSettings s) {
        Duration longest = s.statementTimeout().compareTo(s.idleInTransactionTimeout()) >= 0
                ? s.statementTimeout() : s.idleInTransactionTimeout();
        return longest.plus(SOCKET_MARGIN);
    }

    /**
     * Reads the bounds back: a transaction-pooling proxy (PgBouncer in transaction mode and alike) may drop startup
     * options or hand us a server session someone else configured, and then our lock_timeout would not be there.
     */
    static void verify(Connection c, SessionSettings s) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT current_setting('lock_timeout'), current_setting('statement_timeout'),
                       current_setting('idle_in_transaction_session_timeout'),
                       current_setting('standard_conforming_strings'),
                       (SELECT setting::bigint FROM pg_settings WHERE name = 'lock_timeout'),
                       (SELECT setting::bigint FROM pg_settings WHERE name = 'statement_timeout'),
                       (SELECT setting::bigint FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout')""")) {
            rs.next();
            long lock = rs.getLong(5);
            long statement = rs.getLong(6);
            long idle = rs.getLong(7);
            boolean standardStrings = "on".equals(rs.getString(4));
            if (lock != s.lockTimeout().toMillis() || statement != s.statementTimeout().toMillis()
                    || idle != s.idleInTransactionTimeout().toMillis() || !standardStrings) {
                throw new SQLException("the session did not keep phasegate's settings (lock_timeout "
                        + rs.getString(1) + ", statement_timeout " + rs.getString(2)
                        + ", idle_in_transaction_session_timeout " + rs.getString(3)
                        + ", standard_conforming_strings " + rs.getString(4) + "; expected lock_timeout "
                        + s.lockTimeout().toMillis() + "ms, statement_timeout " + s.statementTimeout().toMillis()
                        + "ms): connect directly to PostgreSQL, not through a transaction-pooling proxy, and check"
                        + " that no ALTER ROLE/DATABASE setting or connection option overrides them", SETTINGS_LOST);
            }
        }
    }
}
