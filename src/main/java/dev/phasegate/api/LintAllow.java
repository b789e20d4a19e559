package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** One lint rule a reviewer accepts for this migration, and why. */
public class LintAllow {

    /** Every rule id the lint has (dev.phasegate.lint.Rule; LintAllowTest keeps the two equal). */
    public static final String RULE_IDS = "['index-not-concurrent', 'drop-index-not-concurrent',"
            + " 'reindex-not-concurrent', 'concurrently-in-transaction', 'constraint-not-valid',"
            + " 'validate-same-transaction', 'set-not-null-scan', 'column-type-rewrite', 'volatile-default',"
            + " 'unique-without-index', 'identity-column-rewrite', 'rename-column', 'rename-table', 'drop-database',"
            + " 'truncate', 'lock-table', 'table-rewrite', 'timeout-setting', 'transaction-control', 'script-refused',"
            + " 'do-block-unchecked', 'dml-in-schema-phase', 'expand-drops', 'expand-type-change', 'expand-not-null',"
            + " 'cleanup-additive', 'cleanup-drops-expand-object']";

    @Required
    @Size(max = 64)
    @ValidationRule(value = "self in " + RULE_IDS, message = "is not a lint rule id; docs/lint.md lists them")
    @JsonPropertyDescription("A lint rule id, e.g. index-not-concurrent (docs/lint.md lists them).")
    public String rule;

    @Required
    @Size(max = 1024)
    @ValidationRule(value = CelRules.NOT_BLANK, message = "is empty: say why this rule may be broken here")
    @JsonPropertyDescription("Why the rule may be broken here; shown with the finding in status and Events.")
    public String reason;

    public LintAllow() {
    }

    public LintAllow(String rule, String reason) {
        this.rule = rule;
        this.reason = reason;
    }
}
