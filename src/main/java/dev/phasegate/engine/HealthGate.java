package dev.phasegate.engine;

import dev.phasegate.api.Reason;

/** The database health gate's verdict: open, or closed with the first failing signal. */
public record HealthGate(boolean open, Reason reason, String message) {
    public static HealthGate opened() {
        return new HealthGate(true, null, null);
    }

    public static HealthGate closed(Reason reason, String message) {
        return new HealthGate(false, reason, message);
    }
}
