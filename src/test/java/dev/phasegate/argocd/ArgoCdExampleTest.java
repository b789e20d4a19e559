package dev.phasegate.argocd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.DeployMode;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.engine.SpecValidator;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * examples/argocd holds together: the SchemaMigration is valid for the operator and sits in the wave before the
 * Deployment, it waits (Observe) for the very image the Deployment sets, and the Application points at them.
 */
class ArgoCdExampleTest {
    static final Path EXAMPLE = Path.of("examples", "argocd");
    static final String WAVE = "argocd.argoproj.io/sync-wave";

    @Test
    @SuppressWarnings("unchecked")
    void theMigrationRunsInTheWaveBeforeTheDeploymentItWaitsFor() throws IOException {
        SchemaMigration m = ArgoCdTestFiles.YAML.unmarshal(
                Files.readString(EXAMPLE.resolve("shop/schemamigration.yaml")), SchemaMigration.class);
        Deployment d = ArgoCdTestFiles.YAML.unmarshal(Files.readString(EXAMPLE.resolve("shop/deployment.yaml")),
                Deployment.class);
        assertThat(SpecValidator.validate(m.getSpec())).isEmpty();
        assertThat(Integer.parseInt(m.getMetadata().getAnnotations().get(WAVE)))
                .isLessThan(Integer.parseInt(d.getMetadata().getAnnotations().get(WAVE)));
        assertThat(m.getSpec().application.mode).isEqualTo(DeployMode.Observe);
        assertThat(m.getSpec().application.deployment).isEqualTo(d.getMetadata().getName());
        assertThat(m.getMetadata().getNamespace()).isEqualTo(d.getMetadata().getNamespace());
        assertThat(d.getSpec().getTemplate().getSpec().getContainers())
                .filteredOn(c -> c.getName().equals(m.getSpec().application.container))
                .singleElement().satisfies(c -> assertThat(c.getImage()).isEqualTo(m.getSpec().application.image));
        // Git must not own the fields the actions set, or selfHeal would undo them.
        String migrationText = Files.readString(EXAMPLE.resolve("shop/schemamigration.yaml"));
        assertThat(migrationText).doesNotContainPattern("(?m)^\\s+(paused|abort):");

        Map<String, Object> app = ArgoCdTestFiles.load(EXAMPLE.resolve("application.yaml"));
        Map<String, Object> spec = (Map<String, Object>) app.get("spec");
        assertThat(((Map<String, Object>) spec.get("source")).get("path")).isEqualTo("examples/argocd/shop");
        assertThat(((Map<String, Object>) spec.get("destination")).get("namespace"))
                .isEqualTo(m.getMetadata().getNamespace());
    }
}
