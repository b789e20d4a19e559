package dev.phasegate.engine;

import dev.phasegate.api.Reason;

/**
 * The database health gate's verdict: open, or closed with the first failing signal. A pending gate (no check has
 * finished yet) is closed too, but it is a normal start-up moment, not a problem worth a warning.
 */
public record HealthGate(boolean open, Reason reason, String message, boolean pending) {
    public static HealthGate opened() {
        return new HealthGate(true, null, null, false);
    }

    public static HealthGate closed(Reason reason, String message) {
        return new HealthGate(false, reason, message, false);
    }

    public static HealthGate pending(String message) {
        return new HealthGate(false, Reason.ProbeFailed, message, true);
    }
}
