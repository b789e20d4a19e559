package dev.phasegate.kube;

import dev.phasegate.lint.LintThresholds;
import dev.phasegate.metrics.MigrationMetrics;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
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
            @ConfigProperty(name = "phasegate.database.allowed-hosts") Optional<List<String>> allowedHosts,
            @ConfigProperty(name = "phasegate.lint.small-table-rows", defaultValue = "10000") long smallTableRows,
            @ConfigProperty(name = "phasegate.lint.small-table-bytes", defaultValue = "10485760") long smallTableBytes) {
        return new SchemaMigrationReconciler.Options(Duration.ofSeconds(1), Duration.ofSeconds(5), showQueryText,
                allowedHosts.orElse(List.of()), new LintThresholds(smallTableRows, smallTableBytes));
    }

    @Produces
    @Singleton
    MigrationMetrics migrationMetrics(MeterRegistry registry, Clock clock) {
        return new MigrationMetrics(registry, clock);
    }

    /**
     * JOSDK's metrics at controller level only. quarkus-operator-sdk's default bean (a @DefaultBean, so this one
     * replaces it) collects them per resource: a reconcile-duration histogram and counters tagged with every
     * SchemaMigration's name, about 79 series per migration. Ours are per migration already, and few.
     */
    @Produces
    @Singleton
    Metrics josdkMetrics(MeterRegistry registry) {
        return MicrometerMetrics.withoutPerResourceMetrics(registry);
    }
}
