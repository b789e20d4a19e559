package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.OperatorHarness;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithOperator;
import dev.phasegate.testing.WithPostgres;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A migration that only waits on the clock costs nothing: no health-probe thread, no probe session on its database;
 * one that waits for a person (paused) is still probed.
 */
@WithPostgres
@WithOperator
class WaitingMigrationProbeIT {
    static OperatorHarness kube;
    static KubeFixtures fx;
    static PostgresDatabase db;

    @Test
    void outsideItsWindowAMigrationHasNoProbeThreadAndNoSessionWhileAPausedOneIsProbed() {
        String ns = "waiting";
        fx.secret(ns, "db", db);
        int hour = (Instant.now().atOffset(ZoneOffset.UTC).getHour() + 12) % 24;
        fx.migration(ns, migration("later", String.format(Locale.ROOT,
                "windows: [{start: \"%02d:00\", end: \"%02d:00\"}]", hour, hour + 1)));
        SchemaMigrationStatus later = fx.awaitStatus(ns, "later", s -> s.reason == Reason.OutsideWindow,
                Duration.ofSeconds(60));
        assertThat(later.health.notProbedSince).as("status says health is not being refreshed").isNotNull();
        await("no probe of the waiting migration").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                .until(() -> !probeThread(ns + "/later") && healthSessions() == 0);

        fx.migration(ns, migration("review", "approvalRequired: [CompatibleSchema]"));
        fx.awaitStatus(ns, "review", s -> s.reason == Reason.AwaitingApproval, Duration.ofSeconds(60));
        await("no probe while an approval is awaited").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                .until(() -> !probeThread(ns + "/review") && healthSessions() == 0);
        // The approval wakes it: probed again, then the phase runs.
        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName("review").edit(m -> {
            Long generation = m.getMetadata().getGeneration();
            Map<String, String> annotations = new HashMap<>(m.getMetadata().getAnnotations() == null ? Map.of()
                    : m.getMetadata().getAnnotations());
            annotations.put(SchemaMigration.APPROVAL_ANNOTATION_PREFIX + "CompatibleSchema",
                    "generation=" + (generation == null ? 0 : generation) + ",by=bob");
            m.getMetadata().setAnnotations(annotations);
            return m;
        });
        SchemaMigrationStatus done = fx.awaitStatus(ns, "review", s -> s.phase == MigrationPhase.Succeeded,
                Duration.ofSeconds(60));
        assertThat(done.health.checkedAt).as("probed before the phase ran").isNotNull();
        assertThat(done.health.notProbedSince).isNull();

        fx.migration(ns, migration("held", "paused: true"));
        fx.awaitStatus(ns, "held", s -> s.reason == Reason.Paused, Duration.ofSeconds(60));
        await("the paused migration is probed").atMost(Duration.ofSeconds(10))
                .until(() -> probeThread(ns + "/held") && healthSessions() == 1);
    }

    private static String migration(String name, String specLine) {
        return """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: %s}
                spec:
                  database: {secretRef: {name: db}}
                  %s
                  compatibleSchema:
                    sql: CREATE TABLE IF NOT EXISTS %s (id bigint PRIMARY KEY);
                """.formatted(name, specLine, name);
    }

    private static boolean probeThread(String key) {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("phasegate-health-" + key));
    }

    private static long healthSessions() throws SQLException {
        return PostgresDatabase.of(db.cluster(), "postgres").count("SELECT count(*) FROM pg_stat_activity"
                + " WHERE application_name = 'phasegate/health' AND datname = '" + db.dbName() + "'");
    }
}
