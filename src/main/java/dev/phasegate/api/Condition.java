package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A status condition in the shape of metav1.Condition. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Condition {
    public String type;
    public String status;
    public String reason;
    public String message;
    public String lastTransitionTime;
    public Long observedGeneration;

    public Condition() {
    }

    public Condition(String type, String status, String reason, String message, String lastTransitionTime,
            Long observedGeneration) {
        this.type = type;
        this.status = status;
        this.reason = reason;
        this.message = message;
        this.lastTransitionTime = lastTransitionTime;
        this.observedGeneration = observedGeneration;
    }
}
