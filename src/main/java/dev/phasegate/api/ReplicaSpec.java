package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** A read replica whose replay lag is measured directly. */
public class ReplicaSpec {
    @JsonPropertyDescription("Name used in status messages; defaults to the Secret name.")
    public String name;

    @Required
    @JsonPropertyDescription("Secret with the replica's jdbcUrl, username and password.")
    public SecretRef secretRef;
}
