package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** Bounds on every lock and statement the migration issues. */
@ValidationRule(value = "!(" + LocksSpec.LOCK_TIMEOUT + ".matches(" + CelRules.CEL_DURATION + ")"
        + " && " + LocksSpec.STATEMENT_TIMEOUT + ".matches(" + CelRules.CEL_DURATION + "))"
        + " || duration(" + LocksSpec.LOCK_TIMEOUT + ") < duration(" + LocksSpec.STATEMENT_TIMEOUT + ")",
        fieldPath = ".lockTimeout",
        message = "must be shorter than statementTimeout (defaults " + LocksSpec.DEFAULT_LOCK_TIMEOUT + " and "
                + LocksSpec.DEFAULT_STATEMENT_TIMEOUT + "): lower lockTimeout or raise statementTimeout")
public class LocksSpec {
    static final String DEFAULT_LOCK_TIMEOUT = "500ms";
    static final String DEFAULT_STATEMENT_TIMEOUT = "30m";
    /** CEL: the value the operator uses, the default when the field is absent (the CRD declares no defaults). */
    static final String LOCK_TIMEOUT = "(has(self.lockTimeout) ? self.lockTimeout : '" + DEFAULT_LOCK_TIMEOUT + "')";
    static final String STATEMENT_TIMEOUT = "(has(self.statementTimeout) ? self.statementTimeout : '"
            + DEFAULT_STATEMENT_TIMEOUT + "')";

    @Pattern(Durations.PATTERN)
    @ValidationRule(value = CelRules.POSITIVE_DURATION, message = CelRules.POSITIVE_DURATION_MESSAGE)
    @JsonPropertyDescription("lock_timeout on every lock we request; never 0.")
    public String lockTimeout = DEFAULT_LOCK_TIMEOUT;

    @Pattern(Durations.PATTERN)
    @ValidationRule(value = CelRules.POSITIVE_DURATION, message = CelRules.POSITIVE_DURATION_MESSAGE)
    public String statementTimeout = DEFAULT_STATEMENT_TIMEOUT;

    @Pattern(Durations.PATTERN)
    @ValidationRule(value = CelRules.POSITIVE_DURATION, message = CelRules.POSITIVE_DURATION_MESSAGE)
    @JsonPropertyDescription("How long CREATE INDEX CONCURRENTLY may wait for old snapshots before we cancel and clean up.")
    public String indexBuildMaxWait = "10m";

    @Min(1)
    @JsonPropertyDescription("Watchdog: cancel our statement when this many sessions queue behind it.")
    public Integer maxBlockedQueries = 5;

    @Pattern(Durations.PATTERN)
    @ValidationRule(value = CelRules.POSITIVE_DURATION, message = CelRules.POSITIVE_DURATION_MESSAGE)
    @JsonPropertyDescription("Watchdog: cancel our statement when the oldest session behind it waited this long.")
    public String maxBlockedWait = "1s";

    @Min(0)
    @Max(100)
    @JsonPropertyDescription("Lock-timeout retries per attempt (jittered backoff 1s..60s); then the attempt ends.")
    public Integer retries = 10;
}
