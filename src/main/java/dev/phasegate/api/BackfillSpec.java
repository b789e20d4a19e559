package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A batched data migration over a table's key column. */
public class BackfillSpec {
    @Required
    @JsonPropertyDescription("Table to update, optionally schema-qualified (schema.table).")
    public String table;

    @Required
    @JsonPropertyDescription("Unique, indexed column the batches walk in order.")
    public String keyColumn;

    @Required
    @JsonPropertyDescription("SET clause fragment, e.g. \"status_v2 = status::text\".")
    public String set;

    @Required
    @JsonPropertyDescription("Guard: true for rows still to do, false once done, so a repeated batch is a no-op.")
    public String where;

    @Min(1)
    @JsonPropertyDescription("Starting batch size; adapts towards targetBatchDuration.")
    public Integer batchSize = 1000;

    @Min(1)
    public Integer minBatchSize = 100;

    @Min(1)
    public Integer maxBatchSize = 100_000;

    @Pattern(Durations.PATTERN)
    public String targetBatchDuration = "200ms";

    @Pattern(Durations.PATTERN)
    @JsonPropertyDescription("Pause after each batch. The default (200ms, as long as the target batch) keeps the"
            + " application's p99 near its baseline on a busy database; 0s runs unpaced, close to a single UPDATE.")
    public String pauseBetweenBatches = "200ms";

    @JsonPropertyDescription("The consistency check before Cleanup: every row's targets of set must equal what set"
            + " computes (target IS NOT DISTINCT FROM (expression)). Default: checked, and a mismatch holds Cleanup.")
    public VerifySpec verify;

    @JsonPropertyDescription("Trigger: created at the end of compatibleSchema, a BEFORE INSERT OR UPDATE trigger sets"
            + " the targets of set from their expressions on every write, old code's too, so even an IS NULL guard"
            + " leaves nothing stale; dropped at the start of cleanup and by the compatibleSchema rollback."
            + " None (default): the new code writes the new column.")
    public BackfillSync sync;
}
