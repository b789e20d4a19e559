package dev.phasegate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.WithKubeControlPlane;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Installs the Helm chart (through helm-java, the Helm library) into the real API server, then uninstalls it. */
@WithKubeControlPlane
class HelmInstallIT {

    private static final Path CHART = Path.of("helm", "phasegate");
    private static final String RELEASE_NS = "phasegate-helm";

    @Test
    void chartInstallsGrantsOnlyTheWatchedNamespacesAndUninstallsCleanly(KubeControlPlane kube) {
        KubernetesClient admin = kube.adminClient();
        for (String ns : List.of("shop", "billing")) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                    .createOr(r -> r.update());
        }

        Release release = new Helm(CHART).install().withName("phasegate").withNamespace(RELEASE_NS).createNamespace()
                .withKubeConfig(kube.kubeconfig()).set("watchNamespaces", "shop,billing").call();
        assertThat(release.getStatus()).isEqualTo("deployed");
        assertThat(release.getOutput()).contains("shop, billing");

        Deployment operator = admin.apps().deployments().inNamespace(RELEASE_NS).withName("phasegate").get();
        assertThat(operator).as("the operator's Deployment").isNotNull();
        String sa = "system:serviceaccount:" + RELEASE_NS + ":" + operator.getSpec().getTemplate().getSpec()
                .getServiceAccountName();
        assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("schemamigrations.phasegate.dev").get())
                .as("the chart's crds/ (or an earlier kubectl apply) put the CRD there").isNotNull();

        await("the chart's RBAC takes effect").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(canI(kube, sa, "shop", "watch", "schemamigrations.phasegate.dev")).isEqualTo("yes");
            assertThat(canI(kube, sa, "billing", "watch", "schemamigrations.phasegate.dev")).isEqualTo("yes");
        });
        assertThat(canI(kube, sa, "billing", "update", "schemamigrations.phasegate.dev", "--subresource=status"))
                .isEqualTo("yes");
        assertThat(canI(kube, sa, RELEASE_NS, "patch", "leases.coordination.k8s.io")).isEqualTo("yes");
        assertThat(canI(kube, sa, "shop", "get", "secrets")).isEqualTo("yes");
        assertThat(canI(kube, sa, "shop", "list", "secrets")).isEqualTo("no");
        assertThat(canI(kube, sa, "default", "watch", "schemamigrations.phasegate.dev"))
                .as("a namespace that is not watched").isEqualTo("no");
        assertThat(canI(kube, sa, "default", "get", "secrets")).isEqualTo("no");

        // The four-eyes admission policies (on by default) are accepted by the API server as rendered.
        for (String kind : List.of("mutatingadmissionpolicy", "mutatingadmissionpolicybinding")) {
            assertThat(kube.kubectl("get", kind, "phasegate-four-eyes-author", "-o", "name").orThrow())
                    .isNotBlank();
        }
        for (String kind : List.of("validatingadmissionpolicy", "validatingadmissionpolicybinding")) {
            assertThat(kube.kubectl("get", kind, "phasegate-four-eyes", "-o", "name").orThrow()).isNotBlank();
        }

        String out = Helm.uninstall("phasegate").withNamespace(RELEASE_NS).withKubeConfig(kube.kubeconfig()).call();
        assertThat(out).contains("uninstalled");
        assertThat(admin.apps().deployments().inNamespace(RELEASE_NS).withName("phasegate").get()).isNull();
        assertThat(admin.rbac().roleBindings().inNamespace("shop").list().getItems())
                .noneMatch(b -> b.getMetadata().getName().startsWith("phasegate"));
        assertThat(kube.kubectl("get", "validatingadmissionpolicy,mutatingadmissionpolicy", "-o", "name")
                .orThrow()).as("uninstalled with the release: other tests share this API server").doesNotContain(
                        "phasegate-four-eyes");
        await("the uninstalled RBAC stops counting").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(canI(kube, sa, "shop", "watch", "schemamigrations.phasegate.dev")).isEqualTo("no"));
    }

    private static String canI(KubeControlPlane kube, String user, String ns, String verb, String resource,
            String... more) {
        List<String> args = new ArrayList<>(List.of("auth", "can-i", verb, resource, "-n", ns, "--as=" + user));
        args.addAll(List.of(more));
        // kubectl auth can-i exits 1 for "no"; its answer is on stdout either way.
        return kube.kubectl(args.toArray(String[]::new)).stdout().trim();
    }
}
