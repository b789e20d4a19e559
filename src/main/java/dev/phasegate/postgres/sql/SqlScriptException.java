package dev.phasegate.postgres.sql;

/** A migration script phasegate refuses to run, with the statement at fault and what to change. */
public final class SqlScriptException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Machine-readable reason, stable for status conditions and metrics. */
    public enum Problem {
        /** A quote, quoted identifier, dollar quote, block comment, parenthesis or BEGIN ATOMIC is never closed. */
        UNTERMINATED,
        /** CREATE INDEX CONCURRENTLY without a name: an invalid leftover could not be found and dropped. */
        UNNAMED_CONCURRENT_INDEX,
        /** Explicit BEGIN/COMMIT/ROLLBACK/SAVEPOINT/...: phasegate owns the transaction boundaries. */
        TRANSACTION_CONTROL,
        /** DROP INDEX CONCURRENTLY with several indexes, which PostgreSQL rejects. */
        MULTIPLE_DROP_CONCURRENTLY,
        /** COPY ... FROM STDIN / TO STDOUT, which needs a client streaming data (psql). */
        CLIENT_COPY,
        /** A psql backslash command (\set, \i, \connect, ...), which is not SQL. */
        PSQL_META_COMMAND,
        /**
         * set_config(...) of, or a DO block that mentions, one of the session bounds phasegate sets (lock_timeout,
         * statement_timeout, ...): it would change them mid-statement, where a RESET afterwards comes too late.
         */
        SESSION_BOUNDS_OVERRIDE
    }

    private final Problem problem;
    private final int statementIndex;
    private final int line;

    SqlScriptException(Problem problem, int statementIndex, int line, String message) {
        super(message);
        this.problem = problem;
        this.statementIndex = statementIndex;
        this.line = line;
    }

    public Problem problem() {
        return problem;
    }

    /** 1-based index of the offending statement among the script's non-empty statements; 0 if none applies. */
    public int statementIndex() {
        return statementIndex;
    }

    /** 1-based line in the script where the problem starts; 0 if unknown. */
    public int line() {
        return line;
    }
}
