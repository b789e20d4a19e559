package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** Minimum time between the end of a phase and the start of the next. */
public class WaitsSpec {
    @Pattern(Durations.PATTERN)
    @JsonPropertyDescription("Wait after CompatibleSchema before CodeDeploy starts.")
    public String afterCompatibleSchema = "0s";

    @Pattern(Durations.PATTERN)
    @JsonPropertyDescription("Wait after the rollout before Backfill starts.")
    public String afterCodeDeploy = "0s";

    @Pattern(Durations.PATTERN)
    @JsonPropertyDescription("Wait after Backfill before Cleanup (contract) starts.")
    public String afterBackfill = "0s";
}
