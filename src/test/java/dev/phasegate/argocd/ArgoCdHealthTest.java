package dev.phasegate.argocd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaValue;

/**
 * deploy/argocd/health.lua on every SchemaMigration captured from a real run (ArgoCdHealthIT), in Argo CD's
 * argocd-cm sandbox: each verdict and message is the one health_test.yaml gives, as Argo CD's own test asserts.
 */
class ArgoCdHealthTest {

    static Stream<ArgoCdTestFiles.HealthCase> cases() {
        return ArgoCdTestFiles.healthCases().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void verdictOnACapturedObject(ArgoCdTestFiles.HealthCase c) {
        Map<String, Object> object = ArgoCdTestFiles.load(ArgoCdLua.HOME.resolve(c.inputPath()));
        Map<?, ?> result = (Map<?, ?>) ArgoCdLua.run("health.lua", object);
        assertThat(result.get("status")).as("status").isEqualTo(c.status());
        assertThat(result.get("message")).as("message").isEqualTo(c.message());
    }

    @Test
    void everyVerdictArgoCdKnowsIsCoveredAndEveryCaptureIsTested() throws Exception {
        List<ArgoCdTestFiles.HealthCase> cases = ArgoCdTestFiles.healthCases();
        assertThat(cases).extracting(ArgoCdTestFiles.HealthCase::status).contains("Progressing", "Healthy",
                "Suspended", "Degraded");
        try (Stream<java.nio.file.Path> files = Files.list(ArgoCdLua.HOME.resolve("testdata"))) {
            assertThat(files.map(f -> "testdata/" + f.getFileName()))
                    .containsExactlyInAnyOrderElementsOf(cases.stream().map(ArgoCdTestFiles.HealthCase::inputPath)
                            .toList());
        }
    }

    @Test
    void theSandboxHasOnlyTheLibrariesArgoCdOpensForArgocdCmScripts() {
        Globals g = ArgoCdLua.sandbox();
        for (String missing : List.of("string", "math", "io", "debug", "coroutine", "luajava")) {
            assertThat(g.get(missing).isnil()).as(missing).isTrue();
        }
        assertThat(g.get("table").get("insert").isfunction()).isTrue();
        assertThat(g.get("os").isnil()).as("global os (Argo CD registers its safe os under table)").isTrue();
        assertThat(g.load("return require('os').time() > 0").call().toboolean()).isTrue();
        assertThat(g.load("return require('os').execute").call().isnil()).as("os.execute").isTrue();
        assertThat(g.load("return require('os').getenv").call().isnil()).as("os.getenv").isTrue();
        assertThat(g.get("require").isfunction()).isTrue();
        // No method table on strings either: ("x"):upper() fails as it does in argocd-cm.
        assertThatThrownBy(() -> g.load("return ('x'):upper()").call()).isInstanceOf(org.luaj.vm2.LuaError.class);
        assertThat(g.load("return 'a' .. 1 .. 'b'").call()).isEqualTo(LuaValue.valueOf("a1b"));
    }

    @Test
    void aScriptThatNeedsTheStringLibraryFailsHereAsItWouldInArgoCd() {
        Map<String, Object> object = ArgoCdTestFiles.load(ArgoCdLua.HOME.resolve("testdata/succeeded.yaml"));
        assertThatThrownBy(() -> ArgoCdLua.runSource("return {status = string.lower('HEALTHY')}", object))
                .hasMessageContaining("attempt to index");
    }

    @Test
    void aScriptThatRunsPastOneSecondIsReported() {
        assertThatThrownBy(() -> ArgoCdLua.runSource("while true do end", Map.of()))
                .hasMessageContaining("1 s budget");
    }
}
