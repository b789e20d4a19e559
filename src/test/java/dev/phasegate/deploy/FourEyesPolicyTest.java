package dev.phasegate.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The four-eyes admission policies, read statically: deploy/four-eyes.yaml is what the chart renders by default, and
 * the chart's values switch the author-recording policy and the cluster-wide approval rules. FourEyesIT runs them.
 */
class FourEyesPolicyTest {
    static final Path MANIFEST = Path.of("deploy", "four-eyes.yaml");
    static final KubernetesSerialization JSON = new KubernetesSerialization();

    @Test
    void deployFourEyesYamlIsTheChartsDefaultRendering() throws IOException {
        List<HasMetadata> chart = policies(HelmChartTest.render(HelmChartTest.values()));
        List<HasMetadata> deploy = policies(ManifestRules.parse(Files.readString(MANIFEST)));
        assertThat(deploy).extracting(HasMetadata::getKind).containsExactly("MutatingAdmissionPolicy",
                "MutatingAdmissionPolicyBinding", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");
        assertThat(chart).extracting(HasMetadata::getKind)
                .containsExactlyElementsOf(deploy.stream().map(HasMetadata::getKind).toList());
        for (int i = 0; i < deploy.size(); i++) {
            Map<String, Object> d = spec(deploy.get(i));
            Map<String, Object> c = spec(chart.get(i));
            // Names differ (the chart prefixes the release); bindings point at them.
            d.remove("policyName");
            c.remove("policyName");
            assertThat(c).as("spec of %s, chart vs %s", deploy.get(i).getKind(), MANIFEST).isEqualTo(d);
        }
    }

    @Test
    void withoutRecordAuthorOnlyTheValidatingPolicyIsRendered() {
        List<HasMetadata> chart = policies(HelmChartTest.render(HelmChartTest.values("fourEyes.recordAuthor", false)));
        assertThat(chart).extracting(HasMetadata::getKind).containsExactly("ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding");
        assertThat(policies(HelmChartTest.render(HelmChartTest.values("fourEyes.enabled", false)))).isEmpty();
    }

    @Test
    @SuppressWarnings("unchecked")
    void requireApprovalForAddsOneRulePerPhaseAndRefusesWhatIsNotAPhase() {
        List<HasMetadata> chart = policies(HelmChartTest.render(HelmChartTest.values(
                "fourEyes.requireApprovalFor[0]", "Cleanup", "fourEyes.requireApprovalFor[1]", "CompatibleSchema")));
        Map<String, Object> spec = spec(chart.stream().filter(o -> o.getKind().equals("ValidatingAdmissionPolicy"))
                .findFirst().orElseThrow());
        List<Map<String, Object>> validations = (List<Map<String, Object>>) spec.get("validations");
        assertThat(validations).extracting(v -> (String) v.get("expression"))
                .anySatisfy(e -> assertThat(e).contains("has(object.spec.cleanup)", "'Cleanup' in"))
                .anySatisfy(e -> assertThat(e).contains("has(object.spec.compatibleSchema)",
                        "'CompatibleSchema' in"));
        assertThat(validations).extracting(v -> (String) v.get("message"))
                .contains("this cluster requires approval of Cleanup: add Cleanup to spec.approvalRequired");
        assertThatThrownBy(() -> HelmChartTest.render(HelmChartTest.values("fourEyes.requireApprovalFor[0]",
                "Contract"))).hasMessageContaining("fourEyes.requireApprovalFor: Contract is not a phase");
    }

    private static List<HasMetadata> policies(List<HasMetadata> objects) {
        return objects.stream().filter(o -> o.getKind().contains("AdmissionPolicy")).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(HasMetadata o) {
        return (Map<String, Object>) JSON.convertValue(o, Map.class).get("spec");
    }
}
