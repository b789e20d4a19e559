package dev.phasegate.argocd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/argocd/argocd-cm-patch.yaml carries exactly the scripts in deploy/argocd, under the argocd-cm keys and in
 * the shapes Argo CD reads (ResourceActions: discovery.lua and definitions[].name/action.lua).
 * -Dphasegate.updateArgoCdCm=true rewrites it from the scripts.
 */
class ArgoCdConfigMapTest {
    static final Path PATCH = ArgoCdLua.HOME.resolve("argocd-cm-patch.yaml");
    static final String HEALTH_KEY = "resource.customizations.health.phasegate.dev_SchemaMigration";
    static final String ACTIONS_KEY = "resource.customizations.actions.phasegate.dev_SchemaMigration";
    static final List<String> ACTIONS = List.of("pause", "resume", "abort", "approve");

    @Test
    void thePatchIsGeneratedFromTheScripts() throws IOException {
        String generated = generate();
        if (Boolean.getBoolean("phasegate.updateArgoCdCm")) {
            Files.writeString(PATCH, generated);
        }
        assertThat(Files.readString(PATCH)).as("%s is stale: run the test with -Dphasegate.updateArgoCdCm=true",
                PATCH).isEqualTo(generated);
    }

    @Test
    @SuppressWarnings("unchecked")
    void argoCdReadsTheScriptsBackFromTheKeys() {
        Map<String, String> data = (Map<String, String>) ArgoCdTestFiles.load(PATCH).get("data");
        assertThat(data.get(HEALTH_KEY)).isEqualTo(ArgoCdLua.script("health.lua"));
        Map<String, Object> actions = ArgoCdTestFiles.YAML.unmarshal(data.get(ACTIONS_KEY), Map.class);
        assertThat(actions.get("discovery.lua")).isEqualTo(ArgoCdLua.script("actions/discovery.lua"));
        List<Map<String, String>> definitions = (List<Map<String, String>>) actions.get("definitions");
        assertThat(definitions).extracting(d -> d.get("name")).containsExactlyElementsOf(ACTIONS);
        for (Map<String, String> d : definitions) {
            assertThat(d.get("action.lua")).isEqualTo(ArgoCdLua.script("actions/" + d.get("name") + "/action.lua"));
        }
    }

    static String generate() {
        StringBuilder actions = new StringBuilder("discovery.lua: |\n")
                .append(indent(ArgoCdLua.script("actions/discovery.lua"), 2)).append("definitions:\n");
        for (String name : ACTIONS) {
            actions.append("- name: ").append(name).append("\n  action.lua: |\n")
                    .append(indent(ArgoCdLua.script("actions/" + name + "/action.lua"), 4));
        }
        return """
                # Generated from deploy/argocd/health.lua and deploy/argocd/actions by ArgoCdConfigMapTest; do not edit.
                # Merge it into Argo CD's argocd-cm (docs/gitops.md):
                #   kubectl -n argocd patch configmap argocd-cm --type merge --patch-file deploy/argocd/argocd-cm-patch.yaml
                data:
                  %s: |
                %s  %s: |
                %s""".formatted(HEALTH_KEY, indent(ArgoCdLua.script("health.lua"), 4), ACTIONS_KEY,
                indent(actions.toString(), 4));
    }

    static String indent(String text, int spaces) {
        String pad = " ".repeat(spaces);
        StringBuilder out = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            out.append(line.isEmpty() ? "" : pad + line).append('\n');
        }
        // text ends with a newline: split leaves one empty last element, which added one newline too many
        return out.substring(0, out.length() - 1);
    }
}
