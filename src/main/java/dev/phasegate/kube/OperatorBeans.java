package dev.phasegate.kube;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** CDI wiring for the Quarkus application; tests and the demo construct the same classes directly. */
public class OperatorBeans {

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }

    @Produces
    @Singleton
    SchemaMigrationReconciler.Options options(
            @ConfigProperty(name = "phasegate.health.show-query-text", defaultValue = "false") boolean showQueryText,
            @ConfigProperty(name = "phasegate.database.allowed-hosts") Optional<List<String>> allowedHosts) {
        return new SchemaMigrationReconciler.Options(Duration.ofSeconds(1), Duration.ofSeconds(5), showQueryText,
                allowedHosts.orElse(List.of()));
    }
}
