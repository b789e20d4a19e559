package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** Progress of the backfill phase. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackfillStatus {
    public Long rowsDone;
    public Long rowsEstimated;
    public Integer percent;
    public String lastKey;
    public Double rowsPerSecond;
    public Integer batchSize;
    public String eta;
    public Integer passes;
    /** The pause after each batch now: fixed by spec.backfill.pauseBetweenBatches, or chosen by adaptive pacing. */
    public String pause;
    /** Why the pace is what it is ({@code probe p99 14.0ms over budget 12.0ms; slowed to 25%}). */
    public String pacing;
    /** Rows whose targets of spec.backfill.set disagree with what set computes, at verifiedAt. */
    public Long mismatchedRows;
    /** Up to five key values of such rows (the table's own keys, never other column values). */
    public List<String> mismatchedKeys;
    /** When the consistency check last finished; it counts only after the latest backfill run started. */
    public String verifiedAt;
    /** What the check compared, or why it could not compare. */
    public String verification;

    public BackfillStatus copy() {
        BackfillStatus c = new BackfillStatus();
        c.rowsDone = rowsDone;
        c.rowsEstimated = rowsEstimated;
        c.percent = percent;
        c.lastKey = lastKey;
        c.rowsPerSecond = rowsPerSecond;
        c.batchSize = batchSize;
        c.eta = eta;
        c.passes = passes;
        c.pause = pause;
        c.pacing = pacing;
        c.mismatchedRows = mismatchedRows;
        c.mismatchedKeys = mismatchedKeys == null ? null : new ArrayList<>(mismatchedKeys);
        c.verifiedAt = verifiedAt;
        c.verification = verification;
        return c;
    }
}
