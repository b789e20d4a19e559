package dev.phasegate.lint;

/** How much a finding matters: an ERROR blocks the migration unless spec.lint.allow lists it with a reason. */
public enum Severity {
    /** Blocks the migration before anything runs. */
    ERROR,
    /** Shown in status and events; the migration runs. */
    WARNING,
    /** Worth knowing (e.g. a rewrite of a tiny table); shown, never blocks. */
    NOTE
}
