package dev.phasegate.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

/**
 * JUnit 5 extension: one {@link OperatorHarness} per test class, started with its default clock and options before
 * the class's own {@code @BeforeAll} methods and closed after its {@code @AfterAll} methods, also when a test or a
 * {@code @BeforeAll} fails. It and a {@link KubeFixtures} on its client are injected into fields, constructor and
 * method parameters of those types. The database the migrations use comes from {@link WithPostgres}.
 */
public final class OperatorExtension implements BeforeAllCallback, TestInstancePostProcessor, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(OperatorExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        // Kept in the class's own store: JUnit (5.13+) closes AutoCloseable values when that store closes, which is
        // after the class's @AfterAll methods and however the class ended.
        RunningOperator running = context.getStore(NAMESPACE).getOrComputeIfAbsent(RunningOperator.class,
                k -> RunningOperator.start(), RunningOperator.class);
        inject(context.getRequiredTestClass(), null, running, true);
    }

    @Override
    public void postProcessTestInstance(Object testInstance, ExtensionContext context) throws Exception {
        inject(testInstance.getClass(), testInstance, runningFor(context), false);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == OperatorHarness.class || type == KubeFixtures.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        RunningOperator running = runningFor(extensionContext);
        if (running == null) {
            throw new ParameterResolutionException("No operator running: it starts in beforeAll of a @WithOperator class");
        }
        return running.valueOf(parameterContext.getParameter().getType());
    }

    /** The class's operator; a method-level store falls back to the class-level one it belongs to. */
    private static RunningOperator runningFor(ExtensionContext context) {
        return context.getStore(NAMESPACE).get(RunningOperator.class, RunningOperator.class);
    }

    private static void inject(Class<?> type, Object instance, RunningOperator running, boolean staticOnly)
            throws IllegalAccessException {
        if (running != null) {
            FieldInjection.inject(type, instance, staticOnly, running::valueOf);
        }
    }

    /** The harness of one test class and the fixtures on its client; closing it stops the operator and the server. */
    private record RunningOperator(OperatorHarness harness, KubeFixtures fixtures) implements AutoCloseable {

        static RunningOperator start() {
            OperatorHarness harness = new OperatorHarness();
            try {
                harness.start();
            } catch (RuntimeException e) {
                // Not stored yet, so JUnit would not close it: the mock server would outlive the class.
                harness.close();
                throw e;
            }
            return new RunningOperator(harness, new KubeFixtures(harness.client()));
        }

        /** The injectable value of that type, or null for any other type. */
        Object valueOf(Class<?> type) {
            if (type == OperatorHarness.class) {
                return harness;
            }
            return type == KubeFixtures.class ? fixtures : null;
        }

        @Override
        public void close() {
            harness.close();
        }
    }
}
