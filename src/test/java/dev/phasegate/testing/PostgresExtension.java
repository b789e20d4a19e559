package dev.phasegate.testing;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

/**
 * JUnit 5 extension: one shared {@link PostgresCluster} per JVM and a fresh database per test class, injected into
 * fields, constructor and method parameters of type {@link PostgresDatabase}.
 */
public final class PostgresExtension implements BeforeAllCallback, TestInstancePostProcessor, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresExtension.class);
    private static final AtomicInteger DATABASE_COUNTER = new AtomicInteger();
    private static final int MAX_IDENTIFIER = 63;

    private static volatile PostgresCluster shared;

    /** The shared cluster, started on first use; it lives until the test run or the JVM ends. */
    public static PostgresCluster sharedCluster() {
        PostgresCluster cluster = shared;
        if (cluster == null) {
            synchronized (PostgresExtension.class) {
                cluster = shared;
                if (cluster == null) {
                    cluster = PostgresCluster.builder().start();
                    shared = cluster;
                }
            }
        }
        return cluster;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        // JUnit (5.13+) closes AutoCloseable root-store values when the run ends; the cluster's own JVM shutdown hook
        // covers older JUnit versions and aborted runs.
        context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(SharedClusterCloser.class,
                k -> new SharedClusterCloser(), SharedClusterCloser.class);
        PostgresDatabase db = databaseFor(context);
        injectFields(context.getRequiredTestClass(), null, db, true);
    }

    @Override
    public void postProcessTestInstance(Object testInstance, ExtensionContext context) throws Exception {
        injectFields(testInstance.getClass(), testInstance, databaseFor(context), false);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == PostgresDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        try {
            return databaseFor(extensionContext);
        } catch (RuntimeException e) {
            throw new ParameterResolutionException("Could not provide a PostgreSQL database", e);
        }
    }

    /** The database of the test class of {@code context}, created on first request. */
    private static PostgresDatabase databaseFor(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        // Keyed by class in the root store so class-, instance- and method-level contexts of one class agree.
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(
                new DatabaseKey(testClass), k -> createDatabase(testClass), PostgresDatabase.class);
    }

    private static PostgresDatabase createDatabase(Class<?> testClass) {
        PostgresCluster cluster = sharedCluster();
        String name = databaseName(testClass);
        cluster.createDatabase(name);
        return PostgresDatabase.of(cluster, name);
    }

    static String databaseName(Class<?> testClass) {
        String suffix = "_" + DATABASE_COUNTER.incrementAndGet();
        String base = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (base.isEmpty() || !Character.isLetter(base.charAt(0))) {
            base = "t_" + base;
        }
        return base.substring(0, Math.min(base.length(), MAX_IDENTIFIER - suffix.length())) + suffix;
    }

    private static void injectFields(Class<?> type, Object instance, PostgresDatabase db, boolean staticOnly)
            throws IllegalAccessException {
        FieldInjection.inject(type, instance, staticOnly, t -> t == PostgresDatabase.class ? db : null);
    }

    private record DatabaseKey(Class<?> testClass) {
    }

    /** Closes the shared cluster when JUnit closes the root store. */
    private static final class SharedClusterCloser implements AutoCloseable {
        @Override
        public void close() {
            synchronized (PostgresExtension.class) {
                if (shared != null) {
                    shared.close();
                    shared = null;
                }
            }
        }
    }
}
