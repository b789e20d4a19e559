package dev.phasegate.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

/**
 * JUnit 5 extension: one {@link KubeControlPlane} shared by every test class of the JVM (starting one costs seconds
 * of two shared cores), injected into fields, constructor and method parameters of that type. With
 * {@code PHASEGATE_TEST_KUBECONFIG} set it is an existing cluster instead ({@link KubeControlPlane#attach}).
 */
public final class KubeControlPlaneExtension implements BeforeAllCallback, TestInstancePostProcessor, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KubeControlPlaneExtension.class);

    private static volatile KubeControlPlane shared;

    /**
     * The shared control plane, started (or attached to) on first use; it lives until the test run or the JVM ends.
     */
    public static KubeControlPlane shared() {
        KubeControlPlane plane = shared;
        if (plane == null || !plane.isRunning()) {
            synchronized (KubeControlPlaneExtension.class) {
                plane = shared;
                if (plane == null || !plane.isRunning()) {
                    // A test that stopped the shared one (or a component that died) must not break the next class.
                    if (plane != null) {
                        plane.close();
                    }
                    plane = KubeControlPlane.existingClusterKubeconfig().map(KubeControlPlane::attach)
                            .orElseGet(KubeControlPlane::start);
                    shared = plane;
                }
            }
        }
        return plane;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        // JUnit closes AutoCloseable root-store values when the run ends; the control plane's JVM shutdown hook
        // covers aborted runs.
        context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(SharedCloser.class, k -> new SharedCloser(),
                SharedCloser.class);
        inject(context.getRequiredTestClass(), null, true);
    }

    @Override
    public void postProcessTestInstance(Object testInstance, ExtensionContext context) throws Exception {
        inject(testInstance.getClass(), testInstance, false);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == KubeControlPlane.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        try {
            return shared();
        } catch (RuntimeException e) {
            throw new ParameterResolutionException("Could not start the Kubernetes control plane", e);
        }
    }

    private static void inject(Class<?> type, Object instance, boolean staticOnly) throws IllegalAccessException {
        FieldInjection.inject(type, instance, staticOnly, t -> t == KubeControlPlane.class ? shared() : null);
    }

    /** Stops the shared control plane when JUnit closes the root store. */
    private static final class SharedCloser implements AutoCloseable {
        @Override
        public void close() {
            synchronized (KubeControlPlaneExtension.class) {
                if (shared != null) {
                    shared.close();
                    shared = null;
                }
            }
        }
    }
}
