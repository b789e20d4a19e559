package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** The application Deployment whose rollout the CodeDeploy phase waits for. */
public class ApplicationSpec {
    @Required
    @JsonPropertyDescription("Name of the Deployment in the migration's namespace.")
    public String deployment;

    @JsonPropertyDescription("Container whose image changes; default: the Deployment's only container.")
    public String container;

    @Required
    @JsonPropertyDescription("Image the container must run before the phase ends.")
    public String image;

    @JsonPropertyDescription("Observe: wait for GitOps to roll it out. Patch: set the image ourselves.")
    public DeployMode mode = DeployMode.Observe;
}
