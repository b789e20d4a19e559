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
    static final Path DOCKERFILE = Path.of("src", "main", "docker", "Dockerfile.jvm");
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
    void usesThePlaceholderImageAndTheDockerfilesUserAndPort() throws IOException {
        Deployment d = one(objects, Deployment.class);
        assertThat(operatorContainer(d).getImage()).isEqualTo("ghcr.io/phasegate/phasegate:0.1.0");
        assertThat(Files.readString(MANIFEST)).contains("PLACEHOLDER");
        List<String> dockerfile = Files.readAllLines(DOCKERFILE).stream().map(String::strip)
                .filter(l -> !l.startsWith("#")).toList();
        assertThat(dockerfile).as("numeric non-root user, as the pod's runAsUser")
                .contains("USER " + ManifestRules.RUN_AS_USER);
        assertThat(dockerfile).contains("EXPOSE 8080");
        assertThat(dockerfile).anyMatch(l -> l.startsWith("COPY") && l.contains("target/quarkus-app/lib/"));
        assertThat(dockerfile).anyMatch(l -> l.contains("/deployments/quarkus-run.jar"));
    }
}
