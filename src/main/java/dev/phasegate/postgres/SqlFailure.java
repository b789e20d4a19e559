package dev.phasegate.postgres;

import dev.phasegate.api.Reason;
import java.sql.SQLException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** A classified database error: the reason for status, a message a person can act on, and whether to retry. */
public record SqlFailure(Reason reason, String message, boolean retryable, String sqlState) {

    public static final String LOCK_NOT_AVAILABLE = "55P03";
    public static final String QUERY_CANCELED = "57014";

    public static SqlFailure of(SQLException e, ConnectionSettings db) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String text = serverText(e);
        if (state.startsWith("28")) {
            return new SqlFailure(Reason.AuthenticationFailed, "cannot log in to " + db.describe() + " as "
                    + db.username() + ": " + text + " (check the Secret's username and password)", true, state);
        }
        if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")
                || state.equals("53300")) {
            return new SqlFailure(Reason.DatabaseUnavailable, "database " + db.describe() + " unavailable: " + text,
                    true, state);
        }
        if (state.equals("3D000")) {
            return new SqlFailure(Reason.DatabaseUnavailable, "database " + db.describe() + " does not exist: "
                    + text, true, state);
        }
        if (state.equals("42501")) {
            return new SqlFailure(Reason.PermissionDenied, text + " (SQLSTATE 42501): grant the migration role the"
                    + " privilege, see docs", true, state);
        }
        if (state.equals(LOCK_NOT_AVAILABLE)) {
            return new SqlFailure(Reason.LockRetriesExhausted, text, true, state);
        }
        if (state.equals(QUERY_CANCELED)) {
            return new SqlFailure(Reason.StatementTimeout, text, true, state);
        }
        return new SqlFailure(Reason.SqlError, text + " (SQLSTATE " + state + ")", false, state);
    }

    /** The server's own words when there are any: they never contain the password or the URL. */
    static String serverText(SQLException e) {
        if (e instanceof PSQLException p) {
            ServerErrorMessage m = p.getServerErrorMessage();
            if (m != null && m.getMessage() != null) {
                return m.getMessage() + (m.getDetail() == null ? "" : " (" + m.getDetail() + ")");
            }
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return msg.replaceAll("(?i)password=[^&\\s]*", "password=***");
    }
}
