package dev.phasegate.lint;

import dev.phasegate.api.PhaseName;
import java.util.Objects;

/**
 * One rule broken by one statement.
 *
 * @param rule      the rule's stable id, e.g. {@code index-not-concurrent}
 * @param phase     the phase whose script holds the statement
 * @param statement 1-based index of the statement in that script (0 when the script as a whole is at fault)
 * @param summary   the statement's command and table, e.g. {@code CREATE INDEX orders}; never a literal
 * @param message   why it is dangerous here and the safe alternative
 */
public record Finding(String rule, Severity severity, PhaseName phase, int statement, String summary,
        String message) {

    public Finding {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(phase, "phase");
        summary = summary == null ? "" : summary;
        Objects.requireNonNull(message, "message");
    }

    /** {@code index-not-concurrent (ERROR) at CompatibleSchema statement 2 (CREATE INDEX orders): ...}. */
    public String describe() {
        return rule + " (" + severity + ") at " + where() + ": " + message;
    }

    /** {@code CompatibleSchema statement 2 (CREATE INDEX orders)}. */
    public String where() {
        if (statement == 0) {
            return phase + " script";
        }
        return phase + " statement " + statement + (summary.isEmpty() ? "" : " (" + summary + ")");
    }
}
