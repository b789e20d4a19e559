package dev.phasegate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.WithKubeControlPlane;
import org.junit.jupiter.api.Test;

/**
 * `make demo-cluster` on the quickstart, on the real control plane: the same timeline as `make demo`, the real
 * Deployment controller's rollout, and the real kubectl get and describe at the end.
 */
@WithKubeControlPlane
class DemoClusterIT {
    /** Not the quickstart's shop: other tests of the shared control plane install into that. */
    private static final String NS = "demo";

    @Test
    void quickstartSucceedsOnTheRealControlPlaneAndEndsWithKubectlOutput(KubeControlPlane kube) throws Exception {
        DemoOutput run = DemoOutput.capture(() -> Demo.execute(new String[] {"examples/quickstart.yaml"}, kube, NS));
        String out = run.text();
        assertThat(run.code()).as(out).isZero();
        assertThat(out).contains("export KUBECONFIG=" + kube.kubeconfig(), "finished: Succeeded");
        run.assertPhasesInOrder();
        assertThat(out).contains("WaitingForRollout", "BackfillRunning");
        // The real Deployment controller rolled the new image out after the demo's GitOps sync.
        String afterSync = out.substring(out.indexOf("(GitOps) syncing image registry.example/orders-api:2.0"));
        assertThat(afterSync).contains("(Deployment controller) orders-api: 3 updated, 3 available, 3 total");
        // The real kubectl, after the timeline: printer columns, then describe with conditions and Events.
        String table = out.substring(out.indexOf("$ kubectl -n " + NS + " get smig"));
        assertThat(table.lines().skip(1).findFirst().orElseThrow().split("\\s+"))
                .containsExactly("NAME", "PHASE", "STATE", "REASON", "NEXT", "AGE");
        assertThat(table.lines().skip(2).findFirst().orElseThrow().split("\\s+"))
                .startsWith("orders-status-v2", "Succeeded", "Done", "Succeeded");
        String describe = out.substring(out.indexOf("$ kubectl -n " + NS + " describe smig orders-status-v2"));
        assertThat(describe).contains("Kind:         SchemaMigration", "Conditions:", "Ready", "Events:");
        assertThat(describe).contains("phase CodeDeploy succeeded: Deployment orders-api runs"
                + " registry.example/orders-api:2.0", "migration succeeded: all phases done");
        // status.lint, from the lint run before Cleanup: the plan of what was left and no blocking finding.
        assertThat(describe).contains("Lint:", "Blocking:", "Cleanup 1 ALTER TABLE orders: ACCESS EXCLUSIVE, catalog"
                + " only, instant once the lock is granted");
    }
}
