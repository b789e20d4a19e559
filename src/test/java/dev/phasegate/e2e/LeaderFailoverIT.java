package dev.phasegate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.kube.OperatorLease;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.OperatorProcessMain;
import dev.phasegate.testing.PodReadinessStandIn;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.StepProcessMain;
import dev.phasegate.testing.WithKubeControlPlane;
import dev.phasegate.testing.WithPostgres;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two operator replicas, each a JVM of its own on the real API server, sharing the Lease as deploy/ runs them. The
 * leader is killed with SIGKILL in the middle of a backfill; the expand before it cannot run twice (ADD COLUMN
 * without IF NOT EXISTS fails the second time): the standby must take the Lease, resume the backfill from its
 * checkpoint and finish with every row counted exactly once, leaving no session of phasegate behind.
 */
@WithKubeControlPlane
@WithPostgres
class LeaderFailoverIT {
    private static final String NS = "default";
    private static final String OPERATOR_NS = "phasegate-system";
    private static final Duration LEASE = Duration.ofSeconds(6);
    private static final int ROWS = 40_000;

    static KubeControlPlane kube;
    static PostgresDatabase db;

    private final Map<String, Process> replicas = new LinkedHashMap<>();
    private PodReadinessStandIn standIn;

    @AfterEach
    void stopReplicas() throws InterruptedException {
        for (Process p : replicas.values()) {
            p.destroyForcibly().waitFor();
        }
        // The control plane is shared with other test classes: leave no Lease that would hold their operator back.
        kube.adminClient().leases().inNamespace(OPERATOR_NS).withName(OperatorLease.DEFAULT_NAME).delete();
        if (standIn != null) {
            standIn.close();
        }
    }

    @Test
    void theStandbyTakesOverAKilledLeadersBackfillAndNothingRunsTwice() throws Exception {
        kube.kubectl("apply", "-f", "crds/").orThrow();
        kube.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/schemamigrations.phasegate.dev")
                .orThrow();
        kube.kubectl("apply", "-f", "deploy/operator.yaml").orThrow();
        await("the operator's Lease RoleBinding takes effect").atMost(Duration.ofSeconds(30)).until(() -> "yes"
                .equals(kube.kubectl("auth", "can-i", "update", "leases.coordination.k8s.io", "-n", OPERATOR_NS,
                        "--as=system:serviceaccount:phasegate-system:phasegate").stdout().trim()));
        KubeFixtures fx = new KubeFixtures(kube.adminClient());
        standIn = PodReadinessStandIn.start(kube.adminClient(), NS);

        sql("CREATE TABLE items (id bigserial PRIMARY KEY, n int NOT NULL DEFAULT 0)");
        sql("INSERT INTO items (n) SELECT g % 7 FROM generate_series(1, " + ROWS + ") g");
        fx.secret(NS, "items-db", db);
        fx.createDeployment(NS, "items-api", "api", "registry.example/items-api:1", 1);

        Path logs = Files.createDirectories(Path.of("target", "operator-replicas"));
        String token = kube.serviceAccountToken(OPERATOR_NS, "phasegate");
        for (String identity : new String[] {"replica-a", "replica-b"}) {
            replicas.put(identity, OperatorProcessMain.start(kube, token, identity, NS, OPERATOR_NS, LEASE,
                    logs.resolve(identity + ".log")));
        }
        String leader = awaitHolder(null);

        fx.migration(NS, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: items-touched}
                spec:
                  database: {secretRef: {name: items-db}}
                  application: {deployment: items-api, image: "registry.example/items-api:2", mode: Patch}
                  compatibleSchema:
                    sql: ALTER TABLE items ADD COLUMN touched int NOT NULL DEFAULT 0;
                  backfill:
                    table: items
                    keyColumn: id
                    set: "touched = touched + 1"
                    where: "touched = 0"
                    batchSize: 400
                    minBatchSize: 400
                    maxBatchSize: 400
                    pauseBetweenBatches: 150ms
                    verify: {skip: "set counts, so it never equals its own expression"}
                """);
        await("the backfill is under way on " + leader).atMost(Duration.ofSeconds(120)).ignoreExceptions()
                .pollInterval(Duration.ofMillis(100)).until(() -> count("SELECT count(*) FROM items WHERE touched > 0")
                        >= ROWS / 8);
        long killedAt = System.nanoTime();
        StepProcessMain.killHard(replicas.get(leader));

        String successor = awaitHolder(leader);
        long takeoverMs = (System.nanoTime() - killedAt) / 1_000_000;
        assertThat(successor).isNotEqualTo(leader);
        // A Lease renewed just before the kill blocks the standby for one lease duration, plus its retry period.
        assertThat(takeoverMs).as("standby holds the Lease after the kill (ms)")
                .isLessThan(LEASE.toMillis() + 10_000);

        SchemaMigrationStatus done = fx.awaitStatus(NS, "items-touched", s -> s.phase == MigrationPhase.Succeeded
                || s.phase == MigrationPhase.Failed, Duration.ofSeconds(180));
        assertThat(done.phase).as(done.reason + ": " + done.message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(count("SELECT count(*) FROM items WHERE touched <> 1"))
                .as("rows whose batch ran twice (touched > 1) or never (0)").isZero();
        assertThat(count("SELECT count(*) FROM items")).isEqualTo(ROWS);
        assertThat(replicas.get(successor).isAlive()).isTrue();
        await("no phasegate session is left on the database").atMost(Duration.ofSeconds(15)).until(() -> count(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'phasegate/default/items-touched%'")
                == 0);
    }

    /** Waits until the Lease is held by someone other than notBy (any holder when null); returns the holder. */
    private String awaitHolder(String notBy) {
        String[] holder = new String[1];
        await("the Lease held by a replica other than " + notBy).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).until(() -> {
                    Lease lease = kube.adminClient().leases().inNamespace(OPERATOR_NS)
                            .withName(OperatorLease.DEFAULT_NAME).get();
                    holder[0] = lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
                    return holder[0] != null && replicas.containsKey(holder[0]) && !holder[0].equals(notBy);
                });
        return holder[0];
    }

    private static void sql(String statement) throws SQLException {
        db.execute(statement);
    }

    private static long count(String query) throws SQLException {
        return db.count(query);
    }
}
