package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseState;
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
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * What must hold when a SchemaMigration goes away and comes back, or fails half-way on a database that already
 * had some of what it adds: the real reconciler and executor on a real PostgreSQL (mock API server).
 */
@WithPostgres
@WithOperator
class LifecycleIT {
    static OperatorHarness kube;
    static KubeFixtures fx;
    static PostgresDatabase db;

    /** The migration of the data-loss report: additive, idempotent-looking, with a backfill of the new column. */
    static String noteMigration(String table, String name) {
        return """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: %2$s}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: |
                      ALTER TABLE %1$s ADD COLUMN IF NOT EXISTS note text;
                      CREATE INDEX CONCURRENTLY %1$s_note_idx ON %1$s (note);
                      ALTER TABLE %1$s ADD CONSTRAINT %1$s_note_len CHECK (length(note) < 100) NOT VALID;
                    rollbackSql: |
                      ALTER TABLE %1$s DROP CONSTRAINT IF EXISTS %1$s_note_len;
                      DROP INDEX CONCURRENTLY IF EXISTS %1$s_note_idx;
                      ALTER TABLE %1$s DROP COLUMN IF EXISTS note;
                  backfill:
                    table: %1$s
                    keyColumn: id
                    set: "note = 'n' || id"
                    where: "note IS NULL"
                    pauseBetweenBatches: 0s
                """.formatted(table, name);
    }

    @Test
    void aReCreatedMigrationWithTheSameScriptRunsNothingAgainAndKeepsTheData() throws Exception {
        String ns = "recreate";
        sql("CREATE TABLE rc (id bigint PRIMARY KEY, v int); INSERT INTO rc SELECT g, g FROM generate_series(1, 1000) g");
        fx.secret(ns, "db", db);
        fx.migration(ns, noteMigration("rc", "rc-note"));
        SchemaMigrationStatus first = awaitStatus(ns, "rc-note", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(count("SELECT count(*) FROM rc WHERE note = 'n' || id")).isEqualTo(1000);
        String firstUid = fx.get(ns, "rc-note").getMetadata().getUid();

        // As after kubectl delete + apply, an Argo CD prune and re-sync, or a namespace restore.
        fx.delete(ns, "rc-note");
        SchemaMigration again = fx.migration(ns, noteMigration("rc", "rc-note"));
        assertThat(again.getMetadata().getUid()).as("a new object").isNotEqualTo(firstUid);
        SchemaMigrationStatus second = awaitStatus(ns, "rc-note",
                s -> s.phase == MigrationPhase.Succeeded || s.phase == MigrationPhase.Failed
                        || s.state == MigrationState.Blocked && s.reason != Reason.Starting);

        assertThat(second.phase).as(second.reason + ": " + second.message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(count("SELECT count(*) FROM rc WHERE note = 'n' || id")).as("the backfilled data is intact")
                .isEqualTo(1000);
        assertThat(count("SELECT count(*) FROM pg_index WHERE indexrelid = 'rc_note_idx'::regclass AND indisvalid"))
                .isEqualTo(1);
        assertThat(count("SELECT count(*) FROM phasegate.ledger WHERE migration = 'recreate/rc-note'"
                + " AND direction = 'apply'")).as("each statement journaled once").isEqualTo(3);
        assertThat(count("SELECT count(*) FROM phasegate.ledger WHERE migration = 'recreate/rc-note'"
                + " AND direction = 'rollback'")).as("nothing rolled back").isZero();
        assertThat(first.phases).isNotNull();
    }

    @Test
    void aReCreatedMigrationWithADifferentScriptIsBlockedAndChangesNothing() throws Exception {
        String ns = "recreate-diff";
        sql("CREATE TABLE rd (id bigint PRIMARY KEY, v int); INSERT INTO rd SELECT g, g FROM generate_series(1, 100) g");
        fx.secret(ns, "db", db);
        fx.migration(ns, noteMigration("rd", "rd-note"));
        awaitStatus(ns, "rd-note", s -> s.phase == MigrationPhase.Succeeded);
        fx.delete(ns, "rd-note");

        fx.migration(ns, noteMigration("rd", "rd-note").replace("length(note) < 100", "length(note) < 50"));
        SchemaMigrationStatus s = awaitStatus(ns, "rd-note", st -> st.reason == Reason.SpecChangedAfterStart);
        assertThat(s.state).isEqualTo(MigrationState.Blocked);
        assertThat(s.phase).isEqualTo(MigrationPhase.CompatibleSchema);
        assertThat(s.message).contains("statement 3", "earlier SchemaMigration named recreate-diff/rd-note",
                "different text", "new name");
        assertThat(count("SELECT count(*) FROM rd WHERE note IS NOT NULL")).isEqualTo(100);
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'rd'"
                + " AND column_name = 'note'")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM phasegate.ledger WHERE migration = 'recreate-diff/rd-note'"
                + " AND direction = 'rollback'")).as("no rollback ran").isZero();
    }

    @Test
    void aFailedPhaseDoesNotRollBackAColumnThatExistedBeforeAndRetriesOnceFixed() throws Exception {
        String ns = "preexisting";
        sql("CREATE TABLE pe (id bigint PRIMARY KEY, note text);"
                + " INSERT INTO pe SELECT g, 'kept ' || g FROM generate_series(1, 1000) g");
        fx.secret(ns, "db", db);
        String failing = """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: pe-note}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: |
                      ALTER TABLE pe ADD COLUMN IF NOT EXISTS note text;
                      CREATE INDEX CONCURRENTLY pe_note_idx ON pe (note);
                      ALTER TABLE pe ADD CONSTRAINT pe_owner_fk FOREIGN KEY (id) REFERENCES pe_owner_missing (id) NOT VALID;
                    rollbackSql: |
                      ALTER TABLE pe DROP CONSTRAINT IF EXISTS pe_owner_fk;
                      DROP INDEX CONCURRENTLY IF EXISTS pe_note_idx;
                      ALTER TABLE pe DROP COLUMN IF EXISTS note;
                """;
        fx.migration(ns, failing);
        SchemaMigrationStatus held = awaitStatus(ns, "pe-note", s -> s.reason == Reason.RollbackHeld
                || s.phase == MigrationPhase.Failed || s.phase == MigrationPhase.RollingBack);
        assertThat(held.reason).as(held.message).isEqualTo(Reason.RollbackHeld);
        assertThat(held.state).isEqualTo(MigrationState.Blocked);
        assertThat(held.phase).isEqualTo(MigrationPhase.CompatibleSchema);
        assertThat(held.message).contains("pe_owner_missing", "column pe.note", "existed before",
                "2 statement(s) of this phase stay applied", "spec.abort");
        assertThat(held.conditions).anySatisfy(c -> {
            assertThat(c.type).isEqualTo("Degraded");
            assertThat(c.status).isEqualTo("True");
        });
        assertThat(count("SELECT count(*) FROM pe WHERE note = 'kept ' || id")).as("the column's data is intact")
                .isEqualTo(1000);

        // The person fixes the failing statement; the two before it are not run again.
        sql("CREATE TABLE pe_owner (id bigint PRIMARY KEY); INSERT INTO pe_owner SELECT g FROM generate_series(1, 1000) g");
        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName("pe-note").edit(m -> {
            m.getSpec().compatibleSchema.sql = m.getSpec().compatibleSchema.sql.replace("pe_owner_missing", "pe_owner");
            m.getMetadata().setGeneration(m.getMetadata().getGeneration() + 1);
            return m;
        });
        SchemaMigrationStatus done = awaitStatus(ns, "pe-note", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(done.phases.stream().filter(p -> p.name == PhaseName.CompatibleSchema).findFirst().orElseThrow())
                .satisfies(p -> {
                    assertThat(p.state).isEqualTo(PhaseState.Succeeded);
                    assertThat(p.attempts).isEqualTo(2);
                });
        assertThat(count("SELECT count(*) FROM pe WHERE note = 'kept ' || id")).isEqualTo(1000);
        assertThat(count("SELECT count(*) FROM pg_constraint WHERE conname = 'pe_owner_fk'")).isEqualTo(1);
    }

    @Test
    void aRolledBackPhaseIsAppliedAgainByAReCreatedObject() throws Exception {
        String ns = "rolledback";
        sql("CREATE TABLE rb (id bigint PRIMARY KEY)");
        fx.secret(ns, "db", db);
        String yaml = """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: rb-col}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: |
                      ALTER TABLE rb ADD COLUMN c int;
                      ALTER TABLE rb ADD COLUMN d int;
                    rollbackSql: |
                      ALTER TABLE rb DROP COLUMN IF EXISTS d;
                      ALTER TABLE rb DROP COLUMN IF EXISTS c;
                  cleanup: {sql: "ALTER TABLE rb ADD COLUMN e int"}
                  waits: {afterCompatibleSchema: WAIT}
                """;
        fx.migration(ns, yaml.replace("WAIT", "1h"));
        awaitStatus(ns, "rb-col", s -> s.reason == Reason.WaitingPeriod);
        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName("rb-col").edit(m -> {
            m.getSpec().abort = true;
            m.getMetadata().setGeneration(m.getMetadata().getGeneration() + 1);
            return m;
        });
        awaitStatus(ns, "rb-col", s -> s.phase == MigrationPhase.RolledBack);
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'rb'")).isEqualTo(1);

        fx.delete(ns, "rb-col");
        fx.migration(ns, yaml.replace("WAIT", "0s"));
        awaitStatus(ns, "rb-col", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'rb'"))
                .as("applied again, not skipped as 'done'").isEqualTo(4);
    }

    @Test
    void deletingAMigrationMidStatementCancelsItReleasesTheRunnerAndForgetsIt() throws Exception {
        String ns = "delete-mid";
        sql("CREATE TABLE dm (id int PRIMARY KEY); INSERT INTO dm SELECT g FROM generate_series(1, 20000) g;"
                + " CREATE FUNCTION dm_slow() RETURNS text LANGUAGE sql VOLATILE"
                + " AS $$ SELECT pg_sleep(0.001)::text || 'x' $$");
        fx.secret(ns, "db", db);
        String yaml = """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: dm-slow}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: ALTER TABLE dm ADD COLUMN w text NOT NULL DEFAULT dm_slow();
                """;
        fx.migration(ns, yaml);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> count(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'phasegate/delete-mid/dm-slow'"
                        + " AND state = 'active' AND query LIKE 'ALTER TABLE dm%'") == 1);
        assertThat(fx.get(ns, "dm-slow").getMetadata().getFinalizers()).as("deletion waits for the operator")
                .isNotEmpty();

        long t0 = System.nanoTime();
        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName("dm-slow").delete();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> fx.get(ns, "dm-slow") == null);
        long goneMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(goneMs).as("the object is gone within seconds").isLessThan(10_000);
        assertThat(count("SELECT count(*) FROM pg_stat_activity"
                + " WHERE application_name = 'phasegate/delete-mid/dm-slow'")).as("no session of it left").isZero();
        assertThat(count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).as("runner lock released")
                .isZero();
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'dm'"
                + " AND column_name = 'w'")).as("the cancelled statement left nothing").isZero();

        // Re-created, it starts afresh: nothing of the deleted object's step stands in its way.
        fx.migration(ns, yaml.replace("dm_slow()", "'x'"));
        awaitStatus(ns, "dm-slow", st -> st.phase == MigrationPhase.Succeeded);
        assertThat(count("SELECT count(*) FROM dm WHERE w = 'x'")).isEqualTo(20000);
    }

    @Test
    void aTypoInTheCleanupIsFoundBeforeTheExpandRuns() throws Exception {
        String ns = "preflight";
        sql("CREATE TABLE pf (id bigint PRIMARY KEY, old_col int)");
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: pf}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: ALTER TABLE pf ADD COLUMN new_col int;
                    rollbackSql: ALTER TABLE pf DROP COLUMN IF EXISTS new_col;
                  backfill: {table: pf, keyColumn: id, set: "new_col = old_col", where: "new_col IS DISTINCT FROM old_col"}
                  cleanup:
                    sql: ALTER TABLE pf DROP COLUMN old_col CASCADEE;
                """);
        SchemaMigrationStatus s = awaitStatus(ns, "pf", st -> st.reason == Reason.SqlError);
        assertThat(s.phase).as("found by the plan before anything runs").isEqualTo(MigrationPhase.Pending);
        assertThat(s.state).isEqualTo(MigrationState.Blocked);
        assertThat(s.message).contains("before anything runs", "spec.cleanup.sql", "syntax error", "nothing was run");
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'pf'"
                + " AND column_name = 'new_col'")).as("the expand did not run").isZero();

        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName("pf").edit(m -> {
            m.getSpec().cleanup.sql = "ALTER TABLE pf DROP COLUMN old_col;";
            m.getMetadata().setGeneration(m.getMetadata().getGeneration() + 1);
            return m;
        });
        awaitStatus(ns, "pf", st -> st.phase == MigrationPhase.Succeeded);
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'pf'")).isEqualTo(2);
    }

    private static String backfillOf(String name, String table, String key) {
        return """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: %1$s}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: ALTER TABLE %2$s ADD COLUMN IF NOT EXISTS new_col text;
                  backfill: {table: %2$s, keyColumn: %3$s, set: "new_col = old_col::text",
                             where: "new_col IS DISTINCT FROM old_col::text", pauseBetweenBatches: 0s}
                """.formatted(name, table, key);
    }

    @Test
    void aKeyColumnThatDoesNotExistStopsTheMigrationBeforeTheExpand() throws Exception {
        String ns = "bp-missing";
        sql("CREATE TABLE bp_key (id bigint PRIMARY KEY, old_col int)");
        fx.secret(ns, "db", db);
        fx.migration(ns, backfillOf("bp-key", "bp_key", "order_id"));
        SchemaMigrationStatus s = fx.awaitStatus(ns, "bp-key", st -> st.reason == Reason.SqlError,
                Duration.ofSeconds(60));
        assertThat(s.phase).as("found by the plan before anything runs").isEqualTo(MigrationPhase.Pending);
        assertThat(s.state).isEqualTo(MigrationState.Blocked);
        assertThat(s.message).contains("before anything runs", "spec.backfill.keyColumn: column order_id",
                "does not exist in table bp_key", "nothing was run");
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'bp_key'"
                + " AND column_name = 'new_col'")).as("the expand did not run").isZero();
    }

    @Test
    void aColumnTheExpandAddsIsNotReportedMissingAndTheMigrationSucceeds() throws Exception {
        String ns = "bp-added";
        sql("CREATE TABLE bp_ok (id bigint PRIMARY KEY, old_col int)");
        sql("INSERT INTO bp_ok SELECT g, g FROM generate_series(1, 50) g");
        fx.secret(ns, "db", db);
        fx.migration(ns, backfillOf("bp-ok", "bp_ok", "id"));
        fx.awaitStatus(ns, "bp-ok", st -> st.phase == MigrationPhase.Succeeded, Duration.ofSeconds(90));
        assertThat(count("SELECT count(*) FROM bp_ok WHERE new_col = old_col::text")).isEqualTo(50);
    }

    @Test
    void aSecretThatNowPointsAtAnotherDatabaseBlocksTheNextPhase() throws Exception {
        String ns = "moved";
        sql("CREATE TABLE mv (id bigint PRIMARY KEY, old_col int)");
        db.cluster().createDatabase("moved_elsewhere");
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: mv}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema: {sql: "ALTER TABLE mv ADD COLUMN new_col int;"}
                  cleanup: {sql: "ALTER TABLE mv DROP COLUMN old_col;"}
                  waits: {afterCompatibleSchema: 4s}
                """);
        SchemaMigrationStatus waiting = awaitStatus(ns, "mv", st -> st.reason == Reason.WaitingPeriod);
        assertThat(waiting.database).as("recorded at first contact").isNotNull();
        assertThat(waiting.database.name).isEqualTo(db.dbName());
        assertThat(waiting.database.systemIdentifier).isNotBlank();

        // Someone edits the Secret while the migration waits: the same cluster, another database.
        kube.client().secrets().inNamespace(ns).withName("db").delete();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> kube.client().secrets().inNamespace(ns).withName("db").get() == null);
        fx.secret(ns, "db", db.cluster().jdbcUrl("moved_elsewhere"), db.user(), db.password());
        SchemaMigrationStatus blocked = awaitStatus(ns, "mv", st -> st.reason == Reason.DatabaseChanged);
        assertThat(blocked.state).isEqualTo(MigrationState.Blocked);
        assertThat(blocked.phase).isEqualTo(MigrationPhase.Cleanup);
        assertThat(blocked.message).contains("moved_elsewhere", db.dbName(), "nothing was run");
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'mv'"))
                .as("the Cleanup did not run on the original database either").isEqualTo(3);

        kube.client().secrets().inNamespace(ns).withName("db").delete();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> kube.client().secrets().inNamespace(ns).withName("db").get() == null);
        fx.secret(ns, "db", db);
        awaitStatus(ns, "mv", st -> st.phase == MigrationPhase.Succeeded);
        assertThat(count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'mv'")).isEqualTo(2);
    }

    private static SchemaMigrationStatus awaitStatus(String ns, String name, Predicate<SchemaMigrationStatus> p) {
        return fx.awaitStatus(ns, name, p, Duration.ofSeconds(60));
    }

    private static void sql(String statement) throws SQLException {
        db.execute(statement);
    }

    private static long count(String query) throws SQLException {
        return db.count(query);
    }
}
