package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The application Deployment whose rollout the CodeDeploy phase waits for. */
public class ApplicationSpec {
    @Required
    @Size(max = CelRules.K8S_NAME_MAX)
    @ValidationRule(value = CelRules.K8S_NAME, message = CelRules.K8S_NAME_MESSAGE + " (the Deployment's name)")
    @JsonPropertyDescription("Name of the Deployment in the migration's namespace.")
    public String deployment;

    @JsonPropertyDescription("Container whose image changes; default: the Deployment's only container.")
    public String container;

    @Required
    @ValidationRule(value = CelRules.NOT_BLANK, message = "is empty: name the image the container must run, e.g."
            + " registry.example/orders-api:2.0")
    @JsonPropertyDescription("Image the container must run before the phase ends.")
    public String image;

    @JsonPropertyDescription("Observe: wait for GitOps to roll it out. Patch: set the image ourselves.")
    public DeployMode mode = DeployMode.Observe;
}
