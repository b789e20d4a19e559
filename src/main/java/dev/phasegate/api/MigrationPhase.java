package dev.phasegate.api;

/** Where a migration is: one of the four work phases, or a lifecycle phase around them. */
public enum MigrationPhase {
    Pending, CompatibleSchema, CodeDeploy, Backfill, Cleanup, Succeeded, RollingBack, RolledBack, Failed,
    /** spec.dryRun: the lint and the plan were computed against the database and nothing ran. */
    Planned;

    /** An end: nothing more happens (a Planned migration goes on only if spec.dryRun is turned off). */
    public boolean isTerminal() {
        return this == Succeeded || this == RolledBack || this == Failed || this == Planned;
    }
}
