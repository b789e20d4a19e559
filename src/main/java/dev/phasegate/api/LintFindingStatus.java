package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One lint finding as status shows it: the rule, where, why and the fix; the reason when spec.lint.allow lists it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LintFindingStatus {
    public String rule;
    /** ERROR, WARNING or NOTE. */
    public String severity;
    /** e.g. {@code CompatibleSchema statement 2 (CREATE INDEX orders)}. */
    public String where;
    public String message;
    /** The reason given in spec.lint.allow, when this rule is allowed. */
    public String allowedBecause;
}
