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
    /** Terminal: Succeeded, RolledBack or Failed. */
    Done
}
