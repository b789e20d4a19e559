package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** The SQL safety lint's result, compact: counts, and the first findings (errors first) with how many were left out. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LintStatus {
    /** The phase about to start when the lint ran (it runs before each SQL phase, against the live catalog). */
    public PhaseName before;
    public String checkedAt;
    public Integer errors;
    /** Errors that spec.lint.allow does not list: any blocks the migration. */
    public Integer blocking;
    public Integer warnings;
    public Integer notes;
    @io.fabric8.generator.annotation.Size(max = 10)
    public List<LintFindingStatus> findings = new ArrayList<>();
    /** Findings not listed in findings, to keep the status small. */
    public Integer omitted;
    /** Per statement: the lock it takes, the work under it and a rough duration (docs/lint.md, "The plan"). */
    @io.fabric8.generator.annotation.Size(max = 20)
    public List<String> plan = new ArrayList<>();
    /** Statements not listed in plan. */
    public Integer planOmitted;
}
