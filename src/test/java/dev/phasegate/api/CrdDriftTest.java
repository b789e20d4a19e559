package dev.phasegate.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CRD committed in crds/ must be what the Java types generate; `make crds` rewrites it. */
class CrdDriftTest {
    static final Path COMMITTED = Path.of("crds", "schemamigrations.phasegate.dev-v1.yml");
    /** kubectl shows printer columns in this order; the generator would sort them by name. */
    static final List<String> COLUMN_ORDER = List.of("Phase", "State", "Reason", "Next", "Age");

    @Test
    void committedCrdMatchesTheJavaTypes(@TempDir Path dir) throws IOException {
        String generated = generate(dir);
        if (Boolean.getBoolean("phasegate.updateCrds")) {
            Files.createDirectories(COMMITTED.getParent());
            Files.writeString(COMMITTED, generated);
        }
        assertThat(COMMITTED).as("crds/ is missing: run make crds").exists();
        assertThat(Files.readString(COMMITTED))
                .as("crds/%s is stale: the Java types changed; run make crds and commit it", COMMITTED.getFileName())
                .isEqualTo(generated);
    }

    @Test
    void printerColumnsAreInTheOrderAPersonReadsThem(@TempDir Path dir) throws IOException {
        String generated = generate(dir);
        int last = -1;
        for (String column : COLUMN_ORDER) {
            int at = generated.indexOf("name: \"" + column + "\"");
            assertThat(at).as("column %s", column).isGreaterThan(last);
            last = at;
        }
        assertThat(generated).contains("shortNames:\n    - \"smig\"").contains("subresources:\n      status: {}");
    }

    static String generate(Path dir) throws IOException {
        new CRDGenerator()
                .inOutputDir(dir.toFile())
                .forCRDVersions("v1")
                .withPostProcessor(new CRDPostProcessor() {
                    @Override
                    public HasMetadata process(HasMetadata crd, String version) {
                        ((CustomResourceDefinition) crd).getSpec().getVersions().forEach(v -> {
                            List<CustomResourceColumnDefinition> cols = v.getAdditionalPrinterColumns();
                            cols.sort(Comparator.comparingInt(c -> COLUMN_ORDER.indexOf(c.getName())));
                        });
                        return crd;
                    }
                })
                .customResourceClasses(SchemaMigration.class)
                .generate();
        return Files.readString(dir.resolve("schemamigrations.phasegate.dev-v1.yml"));
    }
}
