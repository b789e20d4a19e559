package dev.phasegate.argocd;

import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes deploy/argocd's test files in Argo CD's own layout: health_test.yaml with testdata/, and
 * actions/action_test.yaml with actions/testdata/ (argo-cd util/lua/health_test.go, custom_actions_test.go).
 */
public final class ArgoCdTestFiles {
    static final KubernetesSerialization YAML = new KubernetesSerialization();
    /** Plain YAML a person can read in a diff: quotes only where needed, long messages on one line. */
    private static final YAMLMapper WRITER = YAMLMapper.builder()
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .disable(YAMLGenerator.Feature.SPLIT_LINES)
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .build();

    private ArgoCdTestFiles() {
    }

    /** One entry of health_test.yaml. */
    public record HealthCase(String inputPath, String status, String message) {
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> load(Path file) {
        try {
            return YAML.unmarshal(Files.readString(file), LinkedHashMap.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    public static List<HealthCase> healthCases() {
        List<Map<String, Object>> tests = (List<Map<String, Object>>) load(ArgoCdLua.HOME.resolve("health_test.yaml"))
                .get("tests");
        return tests.stream().map(t -> {
            Map<String, Object> hs = (Map<String, Object>) t.get("healthStatus");
            return new HealthCase((String) t.get("inputPath"), (String) hs.get("status"), (String) hs.get("message"));
        }).toList();
    }

    /** The expected verdict for a capture, by the name its testdata file has. */
    public static HealthCase healthCase(String capture) {
        String path = "testdata/" + capture + ".yaml";
        return healthCases().stream().filter(c -> c.inputPath().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("health_test.yaml has no entry for " + path));
    }

    /**
     * Writes a captured object: the live object as the API server returned it, without managedFields; returns what
     * was written, for a check that reading the file gives it back.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> write(Path file, Map<String, Object> object) {
        Map<String, Object> copy = YAML.convertValue(object, LinkedHashMap.class);
        Object metadata = copy.get("metadata");
        if (metadata instanceof Map<?, ?> m) {
            ((Map<String, Object>) m).remove("managedFields");
        }
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, WRITER.writeValueAsString(copy));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return copy;
    }
}
