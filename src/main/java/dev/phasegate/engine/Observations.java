package dev.phasegate.engine;

import java.util.List;
import java.util.Optional;

/** Everything the reconciler observed this round, as plain values. */
public record Observations(
        List<String> specProblems,
        boolean abortAnnotation,
        Optional<Problem> databaseProblem,
        Optional<DeploymentObservation> deployment,
        StepObservation step,
        HealthGate health,
        Approvals approvals) {

    public Observations {
        specProblems = List.copyOf(specProblems);
    }

    public static Observations none() {
        return new Observations(List.of(), false, Optional.empty(), Optional.empty(), StepObservation.idle(),
                HealthGate.opened(), Approvals.none());
    }

    public Observations withStep(StepObservation s) {
        return new Observations(specProblems, abortAnnotation, databaseProblem, deployment, s, health, approvals);
    }

    public Observations withDeployment(DeploymentObservation d) {
        return new Observations(specProblems, abortAnnotation, databaseProblem, Optional.ofNullable(d), step, health, approvals);
    }

    public Observations withDatabaseProblem(Problem p) {
        return new Observations(specProblems, abortAnnotation, Optional.ofNullable(p), deployment, step, health, approvals);
    }

    public Observations withHealth(HealthGate h) {
        return new Observations(specProblems, abortAnnotation, databaseProblem, deployment, step, h, approvals);
    }

    public Observations withSpecProblems(List<String> problems) {
        return new Observations(problems, abortAnnotation, databaseProblem, deployment, step, health, approvals);
    }

    public Observations withAbortAnnotation(boolean abort) {
        return new Observations(specProblems, abort, databaseProblem, deployment, step, health, approvals);
    }

    public Observations withApprovals(Approvals a) {
        return new Observations(specProblems, abortAnnotation, databaseProblem, deployment, step, health, a);
    }
}
