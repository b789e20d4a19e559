package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.postgres.SessionSettings;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.OperatorHarness;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithOperator;
import dev.phasegate.testing.WithPostgres;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The database sessions one migration holds in each state that touches its database, counted in pg_stat_activity by
 * application_name: {@code phasegate/<namespace>/<name>} for its own work, {@code phasegate/health} for its health
 * probe. A waiting one (window, minimum wait, approval) holds none: WaitingMigrationProbeIT.
 */
@WithPostgres
@WithOperator
class MigrationSessionsIT {
    static OperatorHarness kube;
    static KubeFixtures fx;
    static PostgresDatabase db;

    @Test
    void aRunningSqlPhaseHoldsItsRunnerLockItsStatementAndItsLockWatchdogPlusTheHealthProbe() throws Exception {
        String ns = "sessions-sql";
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: slow}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: SELECT pg_sleep(6);
                """);
        String own = SessionSettings.applicationName(ns, "slow");
        await("the statement runs").atMost(Duration.ofSeconds(60)).until(() -> admin().count(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + own + "' AND state = 'active'"
                        + " AND query LIKE '%pg_sleep%'") == 1);
        // The session holding the advisory runner lock, the one running the statement, the lock watchdog's.
        assertThat(sessions(own)).isEqualTo(3);
        assertThat(sessions("phasegate/health")).isEqualTo(1);
        fx.awaitStatus(ns, "slow", s -> s.phase == MigrationPhase.Succeeded, Duration.ofSeconds(60));
        await("all closed after the phase").atMost(Duration.ofSeconds(10)).until(() -> sessions(own) == 0);
    }

    @Test
    void aRunningBackfillHoldsItsRunnerLockItsBatchesItsWatchdogAndItsPacingProbePlusTheHealthProbe()
            throws Exception {
        String ns = "sessions-backfill";
        db.execute("CREATE TABLE parcels (id bigserial PRIMARY KEY, weight int NOT NULL DEFAULT 1, grams int)");
        db.execute("INSERT INTO parcels (weight) SELECT g % 5 FROM generate_series(1, 100000) g");
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: grams}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: SELECT 1;
                  backfill:
                    table: parcels
                    keyColumn: id
                    set: "grams = weight * 1000"
                    where: "grams IS NULL"
                    batchSize: 100
                """);
        String own = SessionSettings.applicationName(ns, "grams");
        // Sampled every 50 ms from creation to success: its SQL phase, the backfill's batches, the verification.
        long most = 0;
        long mostHealth = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!succeeded(ns, "grams")) {
            assertThat(System.nanoTime()).as("backfill done within 120 s").isLessThan(deadline);
            most = Math.max(most, sessions(own));
            mostHealth = Math.max(mostHealth, sessions("phasegate/health"));
            Thread.sleep(50);
        }
        // Adaptive pacing (the default) adds its latency probe to the runner lock, the batches and the watchdog.
        assertThat(most).as("most sessions named %s at once", own).isEqualTo(4);
        assertThat(mostHealth).isEqualTo(1);
        await("all closed after the backfill").atMost(Duration.ofSeconds(10)).until(() -> sessions(own) == 0);
    }

    @Test
    void aMigrationWaitingForItsRolloutHoldsOnlyTheHealthProbe() throws Exception {
        String ns = "sessions-rollout";
        fx.secret(ns, "db", db);
        fx.deployment(ns, "api", "api", "registry.example/api:1.0", 1);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: deploy}
                spec:
                  database: {secretRef: {name: db}}
                  application: {deployment: api, container: api, image: "registry.example/api:2.0"}
                  compatibleSchema:
                    sql: SELECT 1;
                """);
        String own = SessionSettings.applicationName(ns, "deploy");
        fx.awaitStatus(ns, "deploy", s -> s.reason == Reason.WaitingForRollout, Duration.ofSeconds(60));
        // The probe keeps its session while the gate matters: a rollout wait ends when a controller says so.
        await("only the health probe's session").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                .until(() -> sessions(own) == 0 && sessions("phasegate/health") == 1);
        // Gone with it, so that the other tests here count only their own migration's probe.
        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName("deploy").delete();
        await("its probe stops").atMost(Duration.ofSeconds(30)).until(() -> sessions("phasegate/health") == 0);
    }

    private static boolean succeeded(String ns, String name) {
        SchemaMigration m = kube.client().resources(SchemaMigration.class).inNamespace(ns).withName(name).get();
        return m != null && m.getStatus() != null && m.getStatus().phase == MigrationPhase.Succeeded;
    }

    private static long sessions(String applicationName) throws SQLException {
        return admin().count("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + applicationName
                + "' AND datname = '" + db.dbName() + "'");
    }

    private static PostgresDatabase admin() {
        return PostgresDatabase.of(db.cluster(), "postgres");
    }
}
