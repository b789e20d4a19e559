package dev.phasegate.api;

/** What the migration is doing right now, at a glance. */
public enum MigrationState {
    /** A deadline (phase wait, maintenance window, rollout, retry cool-down) must pass. */
    Waiting,
    /** Work is under way. */
    Running,
    /** A gate is closed or something is wrong that a person may need to fix; the reason says which. */
    Blocked,
    /** spec.paused is set. */
    Paused,
    /** The next phase is in spec.approvalRequired and waits for a person other than the author to approve it. */
    AwaitingApproval,
    /** Terminal: Succeeded, RolledBack or Failed. */
    Done;

    /** Something holds the migration until it changes: a gate, a pause, an awaited approval. */
    public boolean held() {
        return this == Blocked || this == Paused || this == AwaitingApproval;
    }
}
