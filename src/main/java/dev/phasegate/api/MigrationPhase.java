package dev.phasegate.api;

/** Where a migration is: one of the four work phases, or a lifecycle phase around them. */
public enum MigrationPhase {
    Pending, CompatibleSchema, CodeDeploy, Backfill, Cleanup, Succeeded, RollingBack, RolledBack, Failed;

    public boolean isTerminal() {
        return this == Succeeded || this == RolledBack || this == Failed;
    }
}
