package dev.phasegate.deploy;

import static dev.phasegate.deploy.ManifestRules.all;
import static dev.phasegate.deploy.ManifestRules.env;
import static dev.phasegate.deploy.ManifestRules.one;
import static dev.phasegate.deploy.ManifestRules.operatorContainer;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/operator.yaml, read statically: least-privilege RBAC, Pod Security Standard "restricted", one replica.
 * Nothing here talks to an API server, so RBAC is not evaluated and admission does not run (docs/install.md).
 */
class DeployManifestTest {
    static final Path MANIFEST = Path.of("deploy", "operator.yaml");
    static final Path IMAGE_BUILD = Path.of("src", "main", "image", "build.sh");
    static final String NAMESPACE = "phasegate-system";

    static List<HasMetadata> objects;

    @BeforeAll
    static void load() throws IOException {
        objects = ManifestRules.parse(Files.readString(MANIFEST));
    }

    @Test
    void keepsEveryInstallRule() {
        ManifestRules.assertInstallRules(objects);
    }

    @Test
    void installsIntoItsOwnRestrictedNamespace() {
        Namespace ns = one(objects, Namespace.class);
        assertThat(ns.getMetadata().getName()).isEqualTo(NAMESPACE);
        assertThat(ns.getMetadata().getLabels()).containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        assertThat(one(objects, ServiceAccount.class).getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(one(objects, Deployment.class).getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(one(objects, Deployment.class).getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo(one(objects, ServiceAccount.class).getMetadata().getName());
    }

    @Test
    void isNamespacedByDefaultAndGrantsExactlyWhatTheCodeCalls() {
        assertThat(all(objects, ClusterRole.class)).isEmpty();
        Map<String, Set<String>> grants = ManifestRules.effectiveGrants(objects);
        assertThat(grants).containsOnlyKeys("default");
        assertThat(grants.get("default")).containsExactlyInAnyOrderElementsOf(ManifestRules.OPERATOR_GRANTS);
        assertThat(env(operatorContainer(one(objects, Deployment.class)), ManifestRules.NAMESPACES_ENV))
                .contains("default");
        // In the operator's own namespace only the Lease of leader election: no ConfigMaps, no Secrets.
        assertThat(ManifestRules.leaseNamespaces(objects)).containsExactly(NAMESPACE);
        assertThat(all(objects, Role.class).stream().filter(r -> NAMESPACE.equals(r.getMetadata().getNamespace())))
                .hasSize(1);
    }

    @Test
    void runsTheImageMakeImageBuildsAsItsUserOnItsPort() throws IOException {
        Deployment d = one(objects, Deployment.class);
        String chartVersion = Files.readAllLines(Path.of("helm", "phasegate", "Chart.yaml")).stream()
                .filter(l -> l.startsWith("appVersion:")).findFirst().orElseThrow().replaceAll("[^0-9.]", "");
        assertThat(operatorContainer(d).getImage()).isEqualTo("localhost/phasegate:" + chartVersion);
        assertThat(Files.readString(MANIFEST)).doesNotContain("PLACEHOLDER").contains("make manifest IMAGE=");
        String build = Files.readString(IMAGE_BUILD);
        assertThat(build).as("the image's name, as the manifest's")
                .contains("IMAGE=${IMAGE:-localhost/phasegate:$APP_VERSION}");
        assertThat(build).as("numeric non-root user, as the pod's runAsUser")
                .contains("UID_GID=" + ManifestRules.RUN_AS_USER).contains("--user \"$UID_GID:$UID_GID\"");
        assertThat(build).contains("--port 8080/tcp");
        // No shell and no start script in the image: the java launcher reads the heap ratio and the footprint flags
        // itself; the image's default is the Deployment's value.
        String options = env(operatorContainer(d), "JDK_JAVA_OPTIONS").orElseThrow();
        assertThat(options).startsWith("-XX:MaxRAMPercentage=50 ").contains("-XX:TieredStopAtLevel=1");
        assertThat(build).contains("\nIMAGE_JAVA_OPTIONS=\"" + options + "\"\n")
                .contains("--env JDK_JAVA_OPTIONS=\"$IMAGE_JAVA_OPTIONS\"");
    }
}
