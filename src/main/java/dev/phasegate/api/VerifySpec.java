package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** How the consistency check before Cleanup treats this migration: run it, accept its findings, or skip it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VerifySpec {
    @JsonPropertyDescription("Opt out: never compare the targets of set with their expressions, because the new"
            + " column is meant to diverge from them (e.g. new code writes values that set cannot compute). The"
            + " reason is required and shown in status and an Event.")
    public String skip;

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
