package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StartupClassPreloaderTest {
    static final AtomicBoolean FIXTURE_INITIALISED = new AtomicBoolean();

    /** Its static initialiser says when it ran. */
    static final class Fixture {
        static {
            FIXTURE_INITIALISED.set(true);
        }
    }

    @Test
    void loadsListedClassesWithoutRunningTheirStaticInitialisersAndSkipsUnknownNames() throws Exception {
        String list = """
                # a note
                dev.phasegate.kube.StartupClassPreloaderTest$Fixture

                dev.phasegate.kube.NoSuchClassSinceAnUpgrade
                """;
        StartupClassPreloader.Result result = StartupClassPreloader.preload(
                new ByteArrayInputStream(list.getBytes(StandardCharsets.UTF_8)), getClass().getClassLoader());
        assertThat(result).isEqualTo(new StartupClassPreloader.Result(1, 1));
        assertThat(FIXTURE_INITIALISED).isFalse();
    }

    /** Names of the classes Quarkus generates when it packages the application: no test's class path has them. */
    private static final Pattern GENERATED = Pattern.compile("\\$\\$CMImpl$|_Bean$|_ClientProxy$|_Subclass(\\$\\d+)?$"
            + "|ArcAnnotationLiteral$|_ContextInstances$|_Observer_|_ComponentsProvider(\\$\\d+)?$"
            + "|^io\\.quarkus\\.(runner|runtime\\.generated|deployment\\.steps|jackson\\.customizer)\\.");

    /**
     * The application's list still names the classes it runs: an upgrade that renames some of them fails here, not as
     * a quietly slower start.
     */
    @Test
    void theApplicationsListNamesClassesThatExist() throws Exception {
        List<String> names;
        try (InputStream in = StartupClassPreloader.class.getResourceAsStream(StartupClassPreloader.LIST)) {
            assertThat(in).as(StartupClassPreloader.LIST).isNotNull();
            names = StartupClassPreloader.names(in);
        }
        assertThat(names).hasSizeGreaterThan(5_000).doesNotHaveDuplicates()
                .noneMatch(n -> n.contains("$$Lambda") || n.contains("/"))
                .contains(SchemaMigrationReconciler.class.getName(), ClientWarmup.class.getName());
        List<String> unknown = names.stream().filter(n -> !GENERATED.matcher(n).find()).filter(n -> !loadable(n))
                .toList();
        assertThat(unknown).as("classes no longer there: run `make startup-classes`").isEmpty();
        StartupClassPreloader.Result result = StartupClassPreloader.preload();
        assertThat(result.loaded() + result.missing()).isEqualTo(names.size());
    }

    private static boolean loadable(String name) {
        try {
            Class.forName(name, false, StartupClassPreloaderTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
