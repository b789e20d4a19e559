package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;

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
}
