package dev.phasegate.engine;

import java.util.List;

/** What the reconciler saw of the application's Deployment, reduced to what the CodeDeploy gate needs. */
public record DeploymentObservation(
        boolean found,
        String container,
        List<String> containers,
        String templateImage,
        long generation,
        long observedGeneration,
        int desiredReplicas,
        int updatedReplicas,
        int availableReplicas,
        int totalReplicas,
        boolean progressDeadlineExceeded,
        int podsWithOtherImage) {

    public static DeploymentObservation missing() {
        return new DeploymentObservation(false, null, List.of(), null, 0, 0, 0, 0, 0, 0, false, 0);
    }

    public boolean containerFound() {
        return found && templateImage != null;
    }

    /** The rollout is done: the controller saw the latest spec and every replica is new and available. */
    public boolean rolloutComplete() {
        return found && observedGeneration >= generation
                && updatedReplicas == desiredReplicas
                && availableReplicas == desiredReplicas
                && totalReplicas == updatedReplicas;
    }

    public int oldReplicas() {
        return Math.max(0, totalReplicas - updatedReplicas);
    }
}
