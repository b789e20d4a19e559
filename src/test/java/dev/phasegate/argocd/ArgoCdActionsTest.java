package dev.phasegate.argocd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/argocd/actions on SchemaMigrations captured from real runs, in Argo CD's argocd-cm sandbox and its test
 * layout (actions/action_test.yaml): which actions discovery offers, and the object each action returns, which must
 * be the expected output and differ from its input only in the field the action sets.
 */
class ArgoCdActionsTest {
    static final Path ACTIONS = ArgoCdLua.HOME.resolve("actions");
    /** What each action may change, as the merge patch Argo CD would send. */
    static final Map<String, Map<String, Object>> PATCHES = Map.of(
            "pause", Map.of("spec", Map.of("paused", true)),
            "resume", Map.of("spec", Map.of("paused", false)),
            "abort", Map.of("metadata", Map.of("annotations", Map.of("phasegate.dev/abort", "true"))),
            // The phase and generation come from the captured status and metadata; the approver is Argo CD.
            "approve", Map.of("metadata", Map.of("annotations", Map.of("approval.phasegate.dev/CompatibleSchema",
                    "generation=1,by=system:serviceaccount:argocd:argocd-server"))));

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> section(String name) {
        return (List<Map<String, Object>>) ArgoCdTestFiles.load(ACTIONS.resolve("action_test.yaml")).get(name);
    }

    static Stream<Arguments> discoveryTests() {
        return section("discoveryTests").stream().map(t -> Arguments.of(t.get("inputPath"), t.get("result")));
    }

    static Stream<Arguments> actionTests() {
        return section("actionTests").stream()
                .map(t -> Arguments.of(t.get("action"), t.get("inputPath"), t.get("expectedOutputPath")));
    }

    @ParameterizedTest(name = "discovery on {0}")
    @MethodSource("discoveryTests")
    @SuppressWarnings("unchecked")
    void discoveryOffersTheActionsThatMakeSenseInThatState(String inputPath, List<Map<String, Object>> expected) {
        Map<String, Object> object = ArgoCdTestFiles.load(ACTIONS.resolve(inputPath));
        Map<String, Object> found = (Map<String, Object>) ArgoCdLua.run("actions/discovery.lua", object);
        List<Map<String, Object>> actions = new ArrayList<>();
        found.forEach((name, definition) -> {
            Map<String, Object> action = new LinkedHashMap<>();
            action.put("name", name);
            action.putAll((Map<String, Object>) definition);
            actions.add(action);
        });
        assertThat(actions).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(found.keySet()).as("every discovered action has a script").allSatisfy(name ->
                assertThat(ACTIONS.resolve(name).resolve("action.lua")).exists());
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("actionTests")
    @SuppressWarnings("unchecked")
    void anActionReturnsItsInputWithOnlyItsOwnFieldChanged(String action, String inputPath, String outputPath) {
        Map<String, Object> input = ArgoCdTestFiles.load(ACTIONS.resolve(inputPath));
        Map<String, Object> returned = (Map<String, Object>) ArgoCdLua.run("actions/" + action + "/action.lua",
                input);
        Map<String, Object> expected = ArgoCdTestFiles.load(ACTIONS.resolve(outputPath));
        assertThat(MergePatch.between(expected, returned)).as("returned object vs %s", outputPath).isEmpty();
        assertThat(MergePatch.between(returned, expected)).as("%s vs returned object", outputPath).isEmpty();
        assertThat(MergePatch.between(input, expected)).as("what %s changes", action).isEqualTo(PATCHES.get(action));
        assertThat(MergePatch.same(returned.get("status"), input.get("status"))).as("an action leaves status alone")
                .isTrue();
    }
}
