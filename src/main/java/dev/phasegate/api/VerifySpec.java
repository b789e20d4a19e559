package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** How the consistency check before Cleanup treats this migration: run it, accept its findings, or skip it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.skip) || !has(self.override)", message = "skip (never check) and override (go on"
        + " despite a finding) are mutually exclusive: keep one of them")
@ValidationRule(value = "has(self.skip) || has(self.override)", message = "set skip or override to a reason, or remove"
        + " verify (the check runs by default)")
public class VerifySpec {
    @ValidationRule(value = CelRules.NOT_BLANK, message = "needs a reason: why the new column is meant to differ from"
            + " what spec.backfill.set computes")
    @JsonPropertyDescription("Opt out: never compare the targets of set with their expressions, because the new"
            + " column is meant to diverge from them (e.g. new code writes values that set cannot compute). The"
            + " reason is required and shown in status and an Event.")
    public String skip;

    @ValidationRule(value = CelRules.NOT_BLANK, message = "needs a reason: why Cleanup may drop the old column although"
            + " rows disagree")
    @JsonPropertyDescription("Let Cleanup start although the check found rows whose targets disagree with set; the"
            + " check still runs and its count is shown. The reason is required and shown in status and an Event.")
    public String override;

    public VerifySpec() {
    }

    public VerifySpec(String skip, String override) {
        this.skip = skip;
        this.override = override;
    }
}
