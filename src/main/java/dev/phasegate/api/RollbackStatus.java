package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** Why a rollback runs and which phases it covers. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RollbackStatus {
    /** Abort (spec.abort or annotation) or the failure that triggered an automatic rollback of one phase. */
    public Reason cause;
    public String causeMessage;
    /** Phases to undo, newest first. */
    public List<PhaseName> phases = new ArrayList<>();
    public String startedAt;
}
