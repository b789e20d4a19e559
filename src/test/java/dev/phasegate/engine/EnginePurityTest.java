package dev.phasegate.engine;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.phasegate.purityfixture.Violations;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine stays pure: no Kubernetes, database or Jakarta types, no clock reads, no randomness. */
class EnginePurityTest {
    static final String ENGINE = "dev.phasegate.engine..";
    static final String FIXTURES = "dev.phasegate.purityfixture..";

    static JavaClasses engine;
    static JavaClasses fixtures;
    static boolean resolvedFromClassPath;

    @BeforeAll
    static void importClasses() {
        // The rules look at names only; loading Fabric8's and Quarkus' class files as well would take seconds.
        resolvedFromClassPath = ArchConfiguration.get().resolveMissingDependenciesFromClassPath();
        ArchConfiguration.get().setResolveMissingDependenciesFromClassPath(false);
        // Imported from their class directories: importPackages would open every jar on the classpath.
        engine = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPath(packageDirectory(MigrationEngine.class));
        fixtures = new ClassFileImporter().importPath(packageDirectory(Violations.class));
    }

    static Path packageDirectory(Class<?> type) {
        try {
            Path root = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
            return root.resolve(type.getPackageName().replace('.', '/'));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void restoreConfiguration() {
        ArchConfiguration.get().setResolveMissingDependenciesFromClassPath(resolvedFromClassPath);
    }

    static JavaClasses only(Class<?> type) {
        return fixtures.that(JavaClass.Predicates.equivalentTo(type));
    }

    static ArchRule noInfrastructure(String packages) {
        return noClasses().that().resideInAPackage(packages)
                .should().dependOnClassesThat().resideInAnyPackage(
                        "io.fabric8..", "io.javaoperatorsdk..", "java.sql..", "javax.sql..", "jakarta..",
                        "org.postgresql..", "dev.phasegate.postgres..", "dev.phasegate.kube..")
                .because("the engine decides from plain values; adapters do the I/O");
    }

    static final DescribedPredicate<JavaCall<?>> READS_CLOCK = new DescribedPredicate<>("reads the system clock") {
        @Override
        public boolean test(JavaCall<?> call) {
            String owner = call.getTargetOwner().getName();
            String name = call.getTarget().getName();
            if (owner.startsWith("java.time.")) {
                return name.equals("now") || owner.equals("java.time.Clock") && name.startsWith("system")
                        || owner.equals("java.time.InstantSource") && name.equals("system");
            }
            return owner.equals("java.lang.System") && Set.of("currentTimeMillis", "nanoTime").contains(name)
                    || owner.equals("java.util.Date") && name.equals("<init>")
                            && call.getTarget().getRawParameterTypes().isEmpty()
                    || owner.equals("java.util.Calendar") && name.equals("getInstance");
        }
    };

    static ArchRule noClockReads(String packages) {
        return noClasses().that().resideInAPackage(packages).should().callCodeUnitWhere(READS_CLOCK)
                .because("decide() is given `now`; a clock read would make it untestable and non-repeatable");
    }

    static final DescribedPredicate<JavaCall<?>> RANDOM = new DescribedPredicate<>("draws random numbers") {
        @Override
        public boolean test(JavaCall<?> call) {
            String owner = call.getTargetOwner().getName();
            String name = call.getTarget().getName();
            return owner.equals("java.lang.Math") && name.equals("random")
                    || owner.equals("java.util.UUID") && name.equals("randomUUID")
                    || owner.equals("java.util.Random") || owner.equals("java.security.SecureRandom")
                    || owner.equals("java.util.concurrent.ThreadLocalRandom");
        }
    };

    static ArchRule noRandomness(String packages) {
        return noClasses().that().resideInAPackage(packages).should().callCodeUnitWhere(RANDOM)
                .because("the same inputs must give the same decision");
    }

    static final List<Function<String, ArchRule>> RULES = List.of(EnginePurityTest::noInfrastructure,
            EnginePurityTest::noClockReads, EnginePurityTest::noRandomness);

    @Test
    void theImportSeesTheEngine() {
        assertThat(engine.contain(MigrationEngine.class)).isTrue();
        assertThat(engine.contain(StatusBuilder.class)).isTrue();
        assertThat(engine.contain(SpecValidator.class)).isTrue();
        assertThat(engine.stream().map(c -> c.getName())).noneMatch(n -> n.endsWith("Test"))
                .allMatch(n -> n.startsWith("dev.phasegate.engine."));
        assertThat(engine.size()).isGreaterThanOrEqualTo(17);
    }

    @Test
    void theEngineDependsOnNoInfrastructure() {
        noInfrastructure(ENGINE).check(engine);
    }

    @Test
    void theEngineNeverReadsAClock() {
        noClockReads(ENGINE).check(engine);
    }

    @Test
    void theEngineDrawsNoRandomNumbers() {
        noRandomness(ENGINE).check(engine);
    }

    static Stream<Arguments> violations() {
        return Stream.of(
                Arguments.of(Violations.UsesJdbc.class, 0, "java.sql.Connection"),
                Arguments.of(Violations.UsesJavaxSql.class, 0, "javax.sql.DataSource"),
                Arguments.of(Violations.UsesFabric8.class, 0, "io.fabric8.kubernetes.client.KubernetesClient"),
                Arguments.of(Violations.UsesOperatorSdk.class, 0, "io.javaoperatorsdk"),
                Arguments.of(Violations.UsesJakarta.class, 0, "jakarta.inject.Provider"),
                Arguments.of(Violations.UsesPostgresDriver.class, 0, "org.postgresql.PGConnection"),
                Arguments.of(Violations.UsesPhasegatePostgres.class, 0, "dev.phasegate.postgres.LockPolicy"),
                Arguments.of(Violations.UsesPhasegateKube.class, 0, "dev.phasegate.kube.DeploymentObserver"),
                Arguments.of(Violations.ReadsInstantNow.class, 1, "Instant.now()"),
                Arguments.of(Violations.ReadsCurrentTimeMillis.class, 1, "System.currentTimeMillis()"),
                Arguments.of(Violations.ReadsNanoTime.class, 1, "System.nanoTime()"),
                Arguments.of(Violations.ReadsLocalDateTimeNow.class, 1, "LocalDateTime.now()"),
                Arguments.of(Violations.ReadsZonedDateTimeNow.class, 1, "ZonedDateTime.now("),
                Arguments.of(Violations.ReadsSystemClock.class, 1, "Clock.systemUTC()"),
                Arguments.of(Violations.ConstructsDate.class, 1, "Date.<init>()"),
                Arguments.of(Violations.UsesRandom.class, 2, "java.util.Random"),
                Arguments.of(Violations.UsesRandomUuid.class, 2, "UUID.randomUUID()"),
                Arguments.of(Violations.UsesMathRandom.class, 2, "Math.random()"));
    }

    @ParameterizedTest(name = "{0} breaks rule {1}")
    @MethodSource("violations")
    void eachRuleFailsOnAClassThatBreaksIt(Class<?> violator, int rule, String named) {
        JavaClasses classes = only(violator);
        assertThat(classes).hasSize(1);
        EvaluationResult result = RULES.get(rule).apply(FIXTURES).evaluate(classes);
        assertThat(result.hasViolation()).as("rule %d on %s", rule, violator.getSimpleName()).isTrue();
        assertThat(result.getFailureReport().getDetails()).anySatisfy(d -> assertThat(d).contains(named));
        // and only that rule: the fixtures isolate one kind of impurity each
        for (int other = 0; other < RULES.size(); other++) {
            if (other != rule) {
                assertThat(RULES.get(other).apply(FIXTURES).evaluate(classes).hasViolation())
                        .as("rule %d on %s", other, violator.getSimpleName()).isFalse();
            }
        }
    }

    @Test
    void timeAsAValueIsAllowed() {
        JavaClasses classes = only(Violations.PureTimeArithmetic.class);
        assertThat(classes).hasSize(1);
        for (Function<String, ArchRule> rule : RULES) {
            assertThat(rule.apply(FIXTURES).evaluate(classes).hasViolation()).isFalse();
        }
    }
}
