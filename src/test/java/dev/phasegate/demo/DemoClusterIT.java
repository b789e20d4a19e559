package dev.phasegate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.WithKubeControlPlane;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * `make demo-cluster` on the quickstart, on the real control plane: the same timeline as `make demo`, the real
 * Deployment controller's rollout, and the real kubectl get and describe at the end.
 */
@WithKubeControlPlane
class DemoClusterIT {
    @Test
    void quickstartSucceedsOnTheRealControlPlaneAndEndsWithKubectlOutput(KubeControlPlane kube) throws Exception {
        DemoOutput run = DemoOutput.capture(() -> Demo.execute(new String[] {"examples/quickstart.yaml"}, kube));
        String out = run.text();
        assertThat(run.code()).as(out).isZero();
        assertThat(out).contains("export KUBECONFIG=" + kube.kubeconfig(), "finished: Succeeded");
        run.assertPhasesInOrder();
        assertThat(out).contains("WaitingForRollout", "BackfillRunning",
                "(Deployment controller) orders-api: 3 updated, 3 available, 3 total");
        // The real kubectl, after the timeline: printer columns, then describe with conditions and Events.
        String table = out.substring(out.indexOf("$ kubectl -n shop get smig"));
        assertThat(table.lines().skip(1).findFirst().orElseThrow().split("\\s+"))
                .containsExactly("NAME", "PHASE", "STATE", "REASON", "NEXT", "AGE");
        assertThat(table.lines().skip(2).findFirst().orElseThrow().split("\\s+"))
                .startsWith("orders-status-v2", "Succeeded", "Done", "Succeeded");
        String describe = out.substring(out.indexOf("$ kubectl -n shop describe smig orders-status-v2"));
        assertThat(describe).contains("Kind:         SchemaMigration", "Conditions:", "Ready", "Events:");
        for (String reason : List.of("Succeeded")) {
            assertThat(describe).as("an Event %s", reason).contains(reason);
        }
    }
}
