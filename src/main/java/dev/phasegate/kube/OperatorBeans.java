package dev.phasegate.kube;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;

/** CDI wiring for the Quarkus application; tests and the demo construct the same classes directly. */
public class OperatorBeans {

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }

    @Produces
    @Singleton
    SchemaMigrationReconciler.Options options() {
        return SchemaMigrationReconciler.Options.defaults();
    }
}
