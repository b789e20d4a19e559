package dev.phasegate.kube;

import dev.phasegate.api.ApplicationSpec;
import dev.phasegate.engine.DeploymentObservation;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import java.util.List;
import java.util.Objects;

/** Reduces a Deployment (and, when asked, its pods) to what the CodeDeploy and Cleanup gates need. */
public final class DeploymentObserver {
    private DeploymentObserver() {
    }

    public static DeploymentObservation observe(Deployment d, ApplicationSpec app, List<Pod> pods) {
        if (d == null || d.getSpec() == null || d.getSpec().getTemplate() == null
                || d.getSpec().getTemplate().getSpec() == null) {
            return DeploymentObservation.missing();
        }
        List<Container> containers = d.getSpec().getTemplate().getSpec().getContainers();
        List<String> names = containers.stream().map(Container::getName).toList();
        Container target = null;
        if (app.container != null) {
            target = containers.stream().filter(c -> app.container.equals(c.getName())).findFirst().orElse(null);
        } else if (containers.size() == 1) {
            target = containers.get(0);
        }
        DeploymentStatus st = d.getStatus() == null ? new DeploymentStatus() : d.getStatus();
        int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        boolean deadline = st.getConditions() != null && st.getConditions().stream()
                .anyMatch(DeploymentObserver::progressDeadlineExceeded);
        String containerName = target == null ? app.container : target.getName();
        int otherImage = 0;
        if (target != null && pods != null) {
            for (Pod p : pods) {
                boolean runsOther = p.getSpec() != null && p.getSpec().getContainers().stream()
                        .anyMatch(c -> containerName.equals(c.getName()) && !Objects.equals(app.image, c.getImage()));
                if (runsOther) {
                    otherImage++;
                }
            }
        }
        return new DeploymentObservation(true, containerName, names, target == null ? null : target.getImage(),
                nz(d.getMetadata().getGeneration()), nz(st.getObservedGeneration()), desired,
                nz(st.getUpdatedReplicas()), nz(st.getAvailableReplicas()), nz(st.getReplicas()), deadline,
                otherImage);
    }

    private static boolean progressDeadlineExceeded(DeploymentCondition c) {
        return "Progressing".equals(c.getType()) && "False".equals(c.getStatus())
                && "ProgressDeadlineExceeded".equals(c.getReason());
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }

    private static int nz(Integer v) {
        return v == null ? 0 : v;
    }
}
