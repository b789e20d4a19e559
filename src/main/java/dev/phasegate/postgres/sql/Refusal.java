package dev.phasegate.postgres.sql;

/** Thrown by classification; {@link StatementBuilder} adds which statement it is about. */
final class Refusal extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final SqlScriptException.Problem problem;

    Refusal(SqlScriptException.Problem problem, String detail) {
        super(detail, null, false, false);
        this.problem = problem;
    }

    SqlScriptException.Problem problem() {
        return problem;
    }
}
