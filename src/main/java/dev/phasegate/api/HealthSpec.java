package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** Thresholds of the database health gate checked before and during every phase. */
public class HealthSpec {
    @Pattern(Durations.PATTERN)
    @ValidationRule(value = CelRules.POSITIVE_DURATION, message = CelRules.POSITIVE_DURATION_MESSAGE)
    @JsonPropertyDescription("Oldest transaction or snapshot allowed, database-wide (CIC waits for every older snapshot).")
    public String maxTransactionAge = "60s";

    @Pattern(Durations.PATTERN)
    @ValidationRule(value = CelRules.POSITIVE_DURATION, message = CelRules.POSITIVE_DURATION_MESSAGE)
    public String maxIdleInTransaction = "30s";

    @Pattern(Durations.PATTERN)
    @ValidationRule(value = CelRules.POSITIVE_DURATION, message = CelRules.POSITIVE_DURATION_MESSAGE)
    public String maxReplicationLag = "10s";

    @Min(value = 0, inclusive = false)
    @Max(1)
    @JsonPropertyDescription("Fraction of max_connections minus reserved connections.")
    public Double maxConnectionUsage = 0.8;

    @Min(0)
    @JsonPropertyDescription("Sessions allowed to wait on locks on the migration's tables.")
    public Integer maxLockWaiters = 0;

    @JsonPropertyDescription("Hold while autovacuum runs on the migration's tables.")
    public Boolean blockOnAutovacuum = true;
}
