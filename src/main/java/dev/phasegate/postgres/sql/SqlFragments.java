package dev.phasegate.postgres.sql;

import java.util.List;
import java.util.Optional;

/**
 * Lexical checks of an SQL fragment that phasegate splices into a statement of its own (the backfill's SET list and
 * WHERE guard). The fragment is raw SQL by design, but it must stay inside its slot: it may not end our statement
 * ({@code ;}), close our parentheses ({@code x) OR (true}), leave a quote or comment open, or use a parameter
 * ({@code $1}) that would bind to our own key bounds. PostgreSQL checks everything else when the statement is
 * prepared.
 */
public final class SqlFragments {
    private SqlFragments() {
    }

    /** Why {@code fragment} cannot be spliced into a statement, or empty when it can. */
    public static Optional<String> problem(String fragment) {
        if (fragment == null || fragment.isBlank()) {
            return Optional.of("is empty");
        }
        List<Token> tokens = SqlLexer.lex(fragment);
        int depth = 0;
        boolean significant = false;
        for (Token t : tokens) {
            switch (t.type()) {
                case UNTERMINATED -> {
                    return Optional.of("has an unterminated quote, comment or dollar-quoted string at offset "
                            + t.start());
                }
                case PARAM -> {
                    return Optional.of("uses parameter " + t.text() + "; parameters are not allowed here");
                }
                default -> {
                }
            }
            if (!t.significant()) {
                continue;
            }
            significant = true;
            if (t.isSymbol(';')) {
                return Optional.of("contains ';': it must be one expression, not statements");
            }
            if (t.isSymbol('(') || t.isSymbol('[')) {
                depth++;
            } else if (t.isSymbol(')') || t.isSymbol(']')) {
                depth--;
                if (depth < 0) {
                    return Optional.of("closes a parenthesis it did not open at offset " + t.start());
                }
            }
        }
        if (!significant) {
            return Optional.of("contains only comments");
        }
        if (depth != 0) {
            return Optional.of("leaves " + depth + " parenthesis(es) open");
        }
        return Optional.empty();
    }
}
