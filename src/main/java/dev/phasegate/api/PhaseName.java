package dev.phasegate.api;

/** The four work phases, in the order they run. */
public enum PhaseName {
    CompatibleSchema, CodeDeploy, Backfill, Cleanup;

    public MigrationPhase asMigrationPhase() {
        return MigrationPhase.valueOf(name());
    }

    public boolean isSql() {
        return this == CompatibleSchema || this == Cleanup;
    }
}
