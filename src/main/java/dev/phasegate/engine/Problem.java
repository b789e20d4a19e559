package dev.phasegate.engine;

import dev.phasegate.api.Reason;

/** Something observed that stops work until a person fixes it, e.g. a missing Secret. */
public record Problem(Reason reason, String message) {
}
