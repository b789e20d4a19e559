package dev.phasegate.api;

/** How the new column is kept right during the rollout window, besides the new code writing it. */
public enum BackfillSync {
    /** Nothing: the new code writes the new column; old code leaves it stale until the backfill's guard finds it. */
    None,
    /** A trigger computes the targets of spec.backfill.set on every INSERT and UPDATE, whoever writes. */
    Trigger
}
