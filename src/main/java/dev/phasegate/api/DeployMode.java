package dev.phasegate.api;

/** How the CodeDeploy phase gets the new image running. */
public enum DeployMode {
    /** Wait for GitOps (Argo CD, Flux) to roll out the image. */
    Observe,
    /** Set the image on the Deployment's container ourselves, then wait for the rollout. */
    Patch
}
