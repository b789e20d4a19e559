package dev.phasegate.engine;

import dev.phasegate.api.Reason;

/** Something a person would want to see as a Kubernetes Event. */
public record Note(boolean warning, Reason reason, String message) {
    public static Note info(Reason reason, String message) {
        return new Note(false, reason, message);
    }

    public static Note warning(Reason reason, String message) {
        return new Note(true, reason, message);
    }
}
