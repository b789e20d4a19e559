package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** Bounds on every lock and statement the migration issues. */
public class LocksSpec {
    @Pattern(Durations.PATTERN)
    @JsonPropertyDescription("lock_timeout on every lock we request; never 0.")
    public String lockTimeout = "500ms";

    @Pattern(Durations.PATTERN)
    public String statementTimeout = "30m";

    @Pattern(Durations.PATTERN)
    @JsonPropertyDescription("How long CREATE INDEX CONCURRENTLY may wait for old snapshots before we cancel and clean up.")
    public String indexBuildMaxWait = "10m";

    @Min(1)
    @JsonPropertyDescription("Watchdog: cancel our statement when this many sessions queue behind it.")
    public Integer maxBlockedQueries = 5;

    @Pattern(Durations.PATTERN)
    @JsonPropertyDescription("Watchdog: cancel our statement when the oldest session behind it waited this long.")
    public String maxBlockedWait = "1s";

    @Min(0)
    @Max(100)
    @JsonPropertyDescription("Lock-timeout retries per attempt (jittered backoff 1s..60s); then the attempt ends.")
    public Integer retries = 10;
}
