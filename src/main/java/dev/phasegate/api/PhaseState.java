package dev.phasegate.api;

/** State of one phase in the history. */
public enum PhaseState {
    Pending, Running, Succeeded, Skipped, Failed, RolledBack
}
