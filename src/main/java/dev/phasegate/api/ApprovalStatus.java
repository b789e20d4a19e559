package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A phase's approval: since when it is awaited, who approved which spec generation, and whether that still counts. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ApprovalStatus {
    /** When the phase first waited for an approval. */
    public String requestedAt;
    /** The Kubernetes user who approved, as the admission policy checked it against the request. */
    public String approvedBy;
    /** The spec generation the approver reviewed and approved. */
    public Long generation;
    /** When the operator accepted the approval. */
    public String approvedAt;
    /**
     * Checksum of every phase's SQL, backfill and rollout when the approval was accepted: a later edit of any of them
     * voids it, while pausing, resuming, windows or waits do not.
     */
    public String specHash;
    /**
     * Why the approval written on the migration does not count (the spec changed since it was given, it was withdrawn,
     * its approver is the author, it names another generation); null when it counts or none was written.
     */
    public String voided;

    public ApprovalStatus copy() {
        ApprovalStatus c = new ApprovalStatus();
        c.requestedAt = requestedAt;
        c.approvedBy = approvedBy;
        c.generation = generation;
        c.approvedAt = approvedAt;
        c.specHash = specHash;
        c.voided = voided;
        return c;
    }

    /** True when a person approved and nothing voided it since. */
    public boolean granted() {
        return approvedBy != null && voided == null;
    }
}
