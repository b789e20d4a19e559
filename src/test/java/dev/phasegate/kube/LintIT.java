package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.LintAllow;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.OperatorHarness;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import io.fabric8.kubernetes.api.model.Event;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lint in the operator: an ERROR finding on a big table blocks the migration before anything runs, names the
 * rule, the statement and the fix, and shows in status.lint; allowing the rule with a reason lets it run, and the
 * allowed finding stays visible in status and in an Event.
 */
@WithPostgres
class LintIT {
    static OperatorHarness kube;
    static KubeFixtures fx;
    static PostgresDatabase db;

    @BeforeAll
    static void startOperator(PostgresDatabase database) throws Exception {
        db = database;
        kube = new OperatorHarness().start();
        fx = new KubeFixtures(kube.client());
        db.execute("CREATE TABLE li_orders (id bigint PRIMARY KEY, note text);"
                + " INSERT INTO li_orders SELECT g, 'n' FROM generate_series(1, 30000) g; ANALYZE li_orders;");
    }

    @AfterAll
    static void stopOperator() {
        kube.close();
    }

    @Test
    void anErrorBlocksBeforeAnythingRunsAndAnAllowedOneRunsVisibly() throws Exception {
        String ns = "lint";
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: li}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: |
                      ALTER TABLE li_orders ADD COLUMN code text;
                      CREATE INDEX li_orders_note_idx ON li_orders (note);
                """);
        SchemaMigrationStatus blocked = awaitStatus(ns, "li", s -> s.reason == Reason.LintFailed);
        assertThat(blocked.state).isEqualTo(MigrationState.Blocked);
        assertThat(blocked.phase).as("blocked by the plan before anything runs").isEqualTo(MigrationPhase.Pending);
        assertThat(blocked.message).contains("index-not-concurrent", "CompatibleSchema statement 2 (CREATE INDEX"
                + " li_orders)", "CREATE INDEX CONCURRENTLY li_orders_note_idx ON li_orders", "spec.lint.allow",
                "nothing was run");
        assertThat(blocked.lint.blocking).isEqualTo(1);
        assertThat(blocked.lint.findings).extracting(f -> f.rule).containsExactly("index-not-concurrent");
        assertThat(blocked.lint.plan).containsExactly(
                "CompatibleSchema 1 ALTER TABLE li_orders: ACCESS EXCLUSIVE, catalog only, instant once the lock is"
                        + " granted",
                "CompatibleSchema 2 CREATE INDEX li_orders: SHARE, builds an index, under 1 s (1 MB at an assumed"
                        + " 40 MB/s)");
        assertThat(db.columns("li_orders")).doesNotContain("code");

        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName("li").edit(m -> {
            m.getSpec().lint.allow = List.of(new LintAllow("index-not-concurrent", "table is frozen tonight"));
            m.getMetadata().setGeneration(m.getMetadata().getGeneration() == null ? 2
                    : m.getMetadata().getGeneration() + 1);
            return m;
        });
        SchemaMigrationStatus done = awaitStatus(ns, "li", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(done.lint.blocking).isZero();
        assertThat(done.lint.findings).singleElement()
                .satisfies(f -> assertThat(f.allowedBecause).isEqualTo("table is frozen tonight"));
        assertThat(db.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'li_orders_note_idx'")).isEqualTo(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> kube.client().v1().events().inNamespace(ns).list()
                .getItems().stream().map(Event::getMessage).anyMatch(m -> m != null
                        && m.contains("index-not-concurrent (ERROR, allowed: table is frozen tonight)")));
    }

    @Test
    void anErrorInCleanupBlocksBeforeTheExpandChangesAnything() throws Exception {
        String ns = "lint-cleanup";
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: lc}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: ALTER TABLE li_orders ADD COLUMN lc_code text;
                  cleanup:
                    sql: CREATE INDEX li_orders_lc_idx ON li_orders (note);
                """);
        SchemaMigrationStatus blocked = awaitStatus(ns, "lc", s -> s.reason == Reason.LintFailed);
        assertThat(blocked.phase).isEqualTo(MigrationPhase.Pending);
        assertThat(blocked.message).contains("index-not-concurrent", "Cleanup statement 1", "nothing was run");
        assertThat(blocked.lint.plan).hasSize(2);
        assertThat(blocked.phases).allSatisfy(p -> assertThat(p.startedAt).isNull());
        assertThat(db.columns("li_orders")).as("the expand did not run").doesNotContain("lc_code");
    }

    @Test
    void aPlanThatChangedBetweenTheStartAndCleanupIsReportedInAnEvent() throws Exception {
        String ns = "lint-grow";
        fx.secret(ns, "db", db);
        db.execute("CREATE TABLE li_grow (id bigint PRIMARY KEY, note text);"
                + " INSERT INTO li_grow SELECT g, 'n' FROM generate_series(1, 10) g; ANALYZE li_grow;");
        // The expand itself makes the table grow, so the cleanup's plan at its start differs from the first one.
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: grow}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: |
                      INSERT INTO li_grow SELECT g, 'n' FROM generate_series(11, 100000) g;
                      ANALYZE li_grow;
                  cleanup:
                    sql: DELETE FROM li_grow WHERE id < 0;
                """);
        SchemaMigrationStatus done = awaitStatus(ns, "grow", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(done.lint.before).isEqualTo(dev.phasegate.api.PhaseName.Cleanup);
        await().atMost(Duration.ofSeconds(30)).until(() -> kube.client().v1().events().inNamespace(ns).list()
                .getItems().stream().map(Event::getMessage).anyMatch(m -> m != null
                        && m.contains("the plan before Cleanup differs from the one computed at")
                        && m.contains("Cleanup 1 DELETE li_grow")));
    }

    @Test
    void aDryRunPlansAgainstTheDatabaseRunsNothingAndEndsPlannedUntilTurnedOff() throws Exception {
        String ns = "lint-dry";
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: dry}
                spec:
                  database: {secretRef: {name: db}}
                  dryRun: true
                  compatibleSchema:
                    sql: |
                      ALTER TABLE li_orders ADD COLUMN dry_note text;
                      CREATE INDEX li_orders_dry_idx ON li_orders (note);
                  cleanup:
                    sql: ALTER TABLE li_orders DROP COLUMN dry_note;
                """);
        SchemaMigrationStatus planned = awaitStatus(ns, "dry", s -> s.phase == MigrationPhase.Planned);
        assertThat(planned.state).isEqualTo(MigrationState.Done);
        assertThat(planned.reason).isEqualTo(Reason.Planned);
        assertThat(planned.message).contains("dry run, nothing was run", "1 of them not allowed",
                "3 statement(s) planned", "it would be blocked", "index-not-concurrent", "Set spec.dryRun to false");
        assertThat(planned.lint.plan).hasSize(3).anySatisfy(l -> assertThat(l).startsWith("Cleanup 1 ALTER TABLE"));
        assertThat(db.columns("li_orders")).doesNotContain("dry_note");
        assertThat(planned.phases).allSatisfy(p -> assertThat(p.startedAt).isNull());

        // Reviewed: allow the rule and turn the dry run off; the same object now runs for real.
        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName("dry").edit(m -> {
            m.getSpec().dryRun = false;
            m.getSpec().lint.allow = List.of(new LintAllow("index-not-concurrent", "reviewed in the dry run"));
            m.getSpec().cleanup = null;
            m.getMetadata().setGeneration(m.getMetadata().getGeneration() == null ? 2
                    : m.getMetadata().getGeneration() + 1);
            return m;
        });
        awaitStatus(ns, "dry", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(db.columns("li_orders")).contains("dry_note");
    }

    private static SchemaMigrationStatus awaitStatus(String ns, String name, Predicate<SchemaMigrationStatus> p) {
        return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            SchemaMigration m = fx.get(ns, name);
            return m == null ? null : m.getStatus();
        }, s -> s != null && s.phase != null && p.test(s));
    }
}
