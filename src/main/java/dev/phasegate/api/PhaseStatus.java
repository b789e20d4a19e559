package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** History of one phase: when it ran, how often, how far it got. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PhaseStatus {
    public PhaseName name;
    public PhaseState state = PhaseState.Pending;
    /** Earliest start, set when the previous phase finished (its minimum wait). */
    public String notBefore;
    public String startedAt;
    public String finishedAt;
    public int attempts;
    public int statementsDone;
    public int statementsTotal;
    /** Next try after a failed attempt (lock retries exhausted, database down, ...). */
    public String nextAttemptAt;
    /** Checksum of this phase's spec when it started; an edit after start is refused. */
    public String specHash;
    /**
     * Set when the last attempt failed in a way no retry can fix (a SQL error before anything was applied, or a
     * rollback that would drop what existed before): the phase waits, Blocked with this reason, until its spec
     * differs from what it was ({@link #heldSpecHash}), then tries again.
     */
    public Reason awaitingSpecFix;
    /** Checksum of the whole spec when the phase was held for a fix; any edit of it is the retry. */
    public String heldSpecHash;
    /** True when the phase cannot be undone (Cleanup without rollbackSql). */
    public Boolean oneWay;
    /** Image the container ran before a Patch-mode rollout, restored on rollback. */
    public String previousImage;
    /** Present when spec.approvalRequired names this phase. */
    public ApprovalStatus approval;
    public String message;

    public PhaseStatus() {
    }

    public PhaseStatus(PhaseName name) {
        this.name = name;
    }

    public PhaseStatus copy() {
        PhaseStatus c = new PhaseStatus(name);
        c.state = state;
        c.notBefore = notBefore;
        c.startedAt = startedAt;
        c.finishedAt = finishedAt;
        c.attempts = attempts;
        c.statementsDone = statementsDone;
        c.statementsTotal = statementsTotal;
        c.nextAttemptAt = nextAttemptAt;
        c.specHash = specHash;
        c.awaitingSpecFix = awaitingSpecFix;
        c.heldSpecHash = heldSpecHash;
        c.oneWay = oneWay;
        c.previousImage = previousImage;
        c.approval = approval == null ? null : approval.copy();
        c.message = message;
        return c;
    }
}
