package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** SQL of a schema phase (expand or contract) and the SQL that undoes it. */
public class SqlPhaseSpec {
    @Required
    @Size(max = CelRules.SQL_MAX)
    @ValidationRule(value = CelRules.NOT_BLANK, message = "is empty: give the phase's statements, or remove the phase"
            + " to skip it")
    @JsonPropertyDescription("Statements run one by one, each bounded by lock_timeout and statement_timeout.")
    public String sql;

    @JsonPropertyDescription("Statements that undo sql; run on abort, newest phase first. Should be idempotent (IF EXISTS).")
    public String rollbackSql;

    public SqlPhaseSpec() {
    }

    public SqlPhaseSpec(String sql, String rollbackSql) {
        this.sql = sql;
        this.rollbackSql = rollbackSql;
    }
}
