package dev.phasegate.postgres;

import dev.phasegate.api.Reason;
import java.sql.SQLException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /**
     * The server's primary message, and the names (constraint, table, key columns) it was about. DETAIL is dropped:
     * it carries row values ({@code Key (email)=(alice@example.com) already exists}, {@code Failing row contains
     * (...)}), which status and Events must not show to everyone who can read the SchemaMigration. A data exception
     * (class 22) quotes the offending value in the message itself, so that value is withheld too. Never contains
     * the password or the URL.
     */
    static String serverText(SQLException e) {
        if (e instanceof PSQLException p) {
            ServerErrorMessage m = p.getServerErrorMessage();
            if (m != null && m.getMessage() != null) {
                String state = m.getSQLState() == null ? "" : m.getSQLState();
                return withoutValues(state, m.getMessage()) + names(m);
            }
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // pgjdbc's own messages can quote a value it could not convert or a parameter it sent; keep their shape.
        return msg.replaceAll("(?i)password=[^&\\s]*", "password=***").replaceAll("'[^']*'", "'…'");
    }

    /** The message with quoted values and anything after a colon masked, for data exceptions. */
    static String withoutValues(String sqlState, String message) {
        if (!sqlState.startsWith("22")) {
            return message;
        }
        String masked = message.replaceAll("\"(?:[^\"]|\"\")*\"", "\"…\"");
        int colon = masked.indexOf(": ");
        return colon < 0 ? masked : masked.substring(0, colon) + ": …";
    }

    /** {@code  (table orders, column email, key (email))}: what the error concerns, without any value. */
    private static String names(ServerErrorMessage m) {
        StringBuilder b = new StringBuilder();
        append(b, "table", m.getTable() == null ? null
                : m.getSchema() == null ? m.getTable() : m.getSchema() + "." + m.getTable());
        append(b, "column", m.getColumn());
        String detail = m.getDetail();
        if (detail != null) {
            Matcher key = KEY_COLUMNS.matcher(detail);
            if (key.lookingAt()) {
                append(b, "key", "(" + key.group(1) + ")");
            }
        }
        return b.length() == 0 ? "" : " (" + b + ")";
    }

    /** The column list of a unique or foreign key violation's DETAIL: {@code Key (a, b)=(...)}. */
    private static final Pattern KEY_COLUMNS = Pattern.compile("Key \\(([^()]*)\\)=\\(");

    private static void append(StringBuilder b, String label, String value) {
        if (value != null && !value.isEmpty()) {
            b.append(b.length() == 0 ? "" : ", ").append(label).append(' ').append(value);
        }
    }
}
