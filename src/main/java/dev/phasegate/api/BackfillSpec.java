package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** A batched data migration over a table's key column. */
@ValidationRule(value = "(has(self.minBatchSize) ? self.minBatchSize : " + BackfillSpec.DEFAULT_MIN_BATCH_SIZE + ")"
        + " <= (has(self.maxBatchSize) ? self.maxBatchSize : " + BackfillSpec.DEFAULT_MAX_BATCH_SIZE + ")",
        fieldPath = ".minBatchSize",
        message = "must not exceed maxBatchSize (defaults " + BackfillSpec.DEFAULT_MIN_BATCH_SIZE + " and "
                + BackfillSpec.DEFAULT_MAX_BATCH_SIZE + "): lower minBatchSize or raise maxBatchSize")
public class BackfillSpec {
    static final int DEFAULT_MIN_BATCH_SIZE = 100;
    static final int DEFAULT_MAX_BATCH_SIZE = 100_000;

    @Required
    @ValidationRule(value = "self.matches('^([A-Za-z_][A-Za-z0-9_$]{0,62}[.])?[A-Za-z_][A-Za-z0-9_$]{0,62}$')",
            message = "must be a table name like orders or shop.orders (letters, digits, _ and $, at most 63 each;"
                    + " phasegate quotes it itself)")
    @JsonPropertyDescription("Table to update, optionally schema-qualified (schema.table).")
    public String table;

    @Required
    @ValidationRule(value = "self.matches('^[A-Za-z_][A-Za-z0-9_$]{0,62}$')",
            message = "must be a column name like id (letters, digits, _ and $, at most 63; phasegate quotes it itself)")
    @JsonPropertyDescription("Unique, indexed column the batches walk in order.")
    public String keyColumn;

    @Required
    @ValidationRule(value = CelRules.NOT_BLANK, message = "is empty: give the assignments, e.g. \"status_v2 = status::text\"")
    @JsonPropertyDescription("SET clause fragment, e.g. \"status_v2 = status::text\".")
    public String set;

    @Required
    @ValidationRule(value = CelRules.NOT_BLANK, message = "is empty: give a guard that is false once a row is done,"
            + " e.g. \"status_v2 IS DISTINCT FROM (status::text)\"")
    @JsonPropertyDescription("Guard: true for rows still to do, false once done, so a repeated batch is a no-op.")
    public String where;

    @Min(1)
    @JsonPropertyDescription("Starting batch size; adapts towards targetBatchDuration.")
    public Integer batchSize = 1000;

    @Min(1)
    public Integer minBatchSize = DEFAULT_MIN_BATCH_SIZE;

    @Min(1)
    public Integer maxBatchSize = DEFAULT_MAX_BATCH_SIZE;

    @Pattern(Durations.PATTERN)
    @ValidationRule(value = CelRules.POSITIVE_DURATION, message = CelRules.POSITIVE_DURATION_MESSAGE)
    public String targetBatchDuration = "200ms";

    @Pattern(Durations.PATTERN)
    @JsonPropertyDescription("A fixed pause after each batch, which turns adaptive pacing off (0s runs unpaced, close"
            + " to a single UPDATE). Default: none; the pause adapts so that a primary-key read of the table keeps"
            + " its p99 within latencyAllowance of its baseline, and grows on replica lag and lock waiters; batches"
            + " that keep sessions waiting longer than latencyAllowance for their rows are made shorter.")
    public String pauseBetweenBatches;

    @Pattern(Durations.PATTERN)
    @JsonPropertyDescription("Adaptive pacing: how much the probe's p99 may rise over its baseline, measured before"
            + " the first batch, and how long a session may wait for a batch's rows. Default: max(25% of the baseline"
            + " p99, 10ms). Ignored with pauseBetweenBatches.")
    public String latencyAllowance;

    @JsonPropertyDescription("The consistency check before Cleanup: every row's targets of set must equal what set"
            + " computes (target IS NOT DISTINCT FROM (expression)). Default: checked, and a mismatch holds Cleanup.")
    public VerifySpec verify;

    @JsonPropertyDescription("Trigger: created at the end of compatibleSchema, a BEFORE INSERT OR UPDATE trigger sets"
            + " the targets of set from their expressions on every write, old code's too, so even an IS NULL guard"
            + " leaves nothing stale; dropped at the start of cleanup and by the compatibleSchema rollback."
            + " None (default): the new code writes the new column.")
    public BackfillSync sync;
}
