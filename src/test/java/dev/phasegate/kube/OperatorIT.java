package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseState;
import dev.phasegate.api.PhaseStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.OperatorHarness;
import dev.phasegate.testing.PostgresCluster;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.TrapSocketFactory;
import dev.phasegate.testing.WithOperator;
import dev.phasegate.testing.WithPostgres;
import io.fabric8.kubernetes.api.model.Event;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The operator end to end: the real reconciler and executor, a real PostgreSQL, and the Fabric8 mock API server
 * (CRUD mode: no controllers, so the test plays the Deployment controller by writing its status).
 */
@WithPostgres
@WithOperator
class OperatorIT {
    static OperatorHarness kube;
    static KubeFixtures fx;
    static PostgresDatabase db;

    @Test
    void expandRolloutContractRunsToSucceededHonouringWaits() throws Exception {
        String ns = "happy";
        sql("CREATE TABLE orders (id bigserial PRIMARY KEY, status int NOT NULL DEFAULT 0)");
        sql("INSERT INTO orders (status) SELECT g % 3 FROM generate_series(1, 1000) g");
        fx.secret(ns, "orders-db", db);
        fx.deployment(ns, "orders-api", "api", "registry.example/orders-api:1.0", 2);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: orders-status-v2}
                spec:
                  database: {secretRef: {name: orders-db}}
                  application: {deployment: orders-api, container: api, image: "registry.example/orders-api:2.0"}
                  compatibleSchema:
                    sql: |
                      ALTER TABLE orders ADD COLUMN status_v2 text;
                      CREATE INDEX CONCURRENTLY orders_status_v2_idx ON orders (status_v2);
                    rollbackSql: |
                      DROP INDEX CONCURRENTLY IF EXISTS orders_status_v2_idx;
                      ALTER TABLE orders DROP COLUMN IF EXISTS status_v2;
                  cleanup:
                    sql: ALTER TABLE orders DROP COLUMN status;
                  waits: {afterCompatibleSchema: 1s, afterCodeDeploy: 2s}
                """);

        SchemaMigrationStatus waiting = awaitStatus(ns, "orders-status-v2",
                s -> s.phase == MigrationPhase.CodeDeploy && s.reason == Reason.WaitingForRollout);
        assertThat(columns("orders")).contains("status_v2", "status");
        assertThat(indexValid("orders_status_v2_idx")).isTrue();
        PhaseStatus expand = phase(waiting, PhaseName.CompatibleSchema);
        PhaseStatus deploy = phase(waiting, PhaseName.CodeDeploy);
        assertThat(expand.state).isEqualTo(PhaseState.Succeeded);
        assertThat(expand.statementsDone).isEqualTo(2);
        assertThat(Instant.parse(deploy.startedAt))
                .as("CodeDeploy starts only after the 1s wait")
                .isAfterOrEqualTo(Instant.parse(expand.finishedAt).plusSeconds(1));
        assertThat(waiting.message).contains("orders-api", "registry.example/orders-api:2.0");

        fx.setImage(ns, "orders-api", "api", "registry.example/orders-api:2.0");
        fx.partialRollout(ns, "orders-api", 1);
        awaitStatus(ns, "orders-status-v2", s -> s.reason == Reason.RolloutInProgress);
        assertThat(columns("orders")).as("no Cleanup while old pods run").contains("status");

        fx.completeRollout(ns, "orders-api");
        SchemaMigrationStatus held = awaitStatus(ns, "orders-status-v2",
                s -> s.phase == MigrationPhase.Backfill || s.phase == MigrationPhase.Cleanup);
        assertThat(phase(held, PhaseName.Backfill).state).isEqualTo(PhaseState.Skipped);

        SchemaMigrationStatus done = awaitStatus(ns, "orders-status-v2", s -> s.phase == MigrationPhase.Succeeded);
        assertThat(columns("orders")).contains("status_v2").doesNotContain("status");
        assertThat(done.state).isEqualTo(MigrationState.Done);
        PhaseStatus cleanup = phase(done, PhaseName.Cleanup);
        assertThat(cleanup.oneWay).isTrue();
        assertThat(Instant.parse(cleanup.startedAt))
                .as("Cleanup waits 2s after CodeDeploy")
                .isAfterOrEqualTo(Instant.parse(phase(done, PhaseName.CodeDeploy).finishedAt).plusSeconds(2));
        assertThat(done.conditions).anySatisfy(c -> {
            assertThat(c.type).isEqualTo("Ready");
            assertThat(c.status).isEqualTo("True");
        });
        assertThat(reasons(ns)).contains("Starting", "Succeeded");
        assertNoSessionsLeftOf("phasegate/happy/orders-status-v2");
    }

    @Test
    void missingSecretBlocksUntilItExists() throws Exception {
        String ns = "nosecret";
        sql("CREATE TABLE t_nosecret (id int)");
        fx.migration(ns, simple("nosecret", "no-such-secret", "ALTER TABLE t_nosecret ADD COLUMN c int;"));
        SchemaMigrationStatus s = awaitStatus(ns, "nosecret", st -> st.reason == Reason.SecretNotFound);
        assertThat(s.state).isEqualTo(MigrationState.Blocked);
        assertThat(s.message).contains("no-such-secret", "jdbcUrl");
        assertThat(columns("t_nosecret")).doesNotContain("c");

        fx.secret(ns, "no-such-secret", db);
        editSpec(ns, "nosecret", m -> m.getSpec().locks.retries = 3);
        awaitStatus(ns, "nosecret", st -> st.phase == MigrationPhase.Succeeded);
        assertThat(columns("t_nosecret")).contains("c");
    }

    @Test
    void wrongPasswordBlocksWithoutLeakingIt() throws Exception {
        String ns = "badpass";
        sql("CREATE TABLE t_badpass (id int)");
        String password = "Canary-" + System.nanoTime();
        fx.secret(ns, "db", db.jdbcUrl(), db.user(), password);
        fx.migration(ns, simple("badpass", "db", "ALTER TABLE t_badpass ADD COLUMN c int;"));
        SchemaMigrationStatus s = awaitStatus(ns, "badpass", st -> st.reason == Reason.AuthenticationFailed);
        assertThat(s.state).isEqualTo(MigrationState.Blocked);
        assertThat(s.message).contains("password").doesNotContain(password);
        assertThat(kube.client().getKubernetesSerialization().asYaml(fx.get(ns, "badpass"))).doesNotContain(password);
        assertThat(events(ns)).noneMatch(e -> e.getMessage().contains(password));
        assertThat(columns("t_badpass")).doesNotContain("c");
    }

    @Test
    void aJdbcUrlThatWouldLoadAClassIsRefusedBeforeAnyConnection() throws Exception {
        String ns = "badurl";
        sql("CREATE TABLE t_badurl (id int)");
        String canary = "Canary-Arg-" + System.nanoTime();
        String hostile = db.jdbcUrl() + "?sslmode=disable&socketFactory=" + TrapSocketFactory.class.getName()
                + "&socketFactoryArg=" + canary;
        fx.secret(ns, "db", hostile, db.user(), db.password());
        fx.migration(ns, simple("badurl", "db", "ALTER TABLE t_badurl ADD COLUMN c int;"));
        SchemaMigrationStatus s = awaitStatus(ns, "badurl", st -> st.reason == Reason.SecretInvalid);
        assertThat(s.state).isEqualTo(MigrationState.Blocked);
        assertThat(s.message).contains("jdbcUrl", "'socketFactory'", "not allowed").doesNotContain(canary)
                .doesNotContain(TrapSocketFactory.class.getName());
        assertThat(events(ns)).noneMatch(e -> e.getMessage().contains(canary));
        assertThat(TrapSocketFactory.created()).as("pgjdbc never saw the URL").isZero();
        assertThat(columns("t_badurl")).doesNotContain("c");

        // The control: handed to pgjdbc, the same URL does instantiate the class.
        try (Connection c = DriverManager.getConnection(hostile, db.user(), db.password())) {
            assertThat(TrapSocketFactory.created()).isPositive();
        }

        fx.secret(ns, "db", db);
        editSpec(ns, "badurl", m -> m.getSpec().locks.retries = 3);
        awaitStatus(ns, "badurl", st -> st.phase == MigrationPhase.Succeeded);
        assertThat(columns("t_badurl")).contains("c");
    }

    @Test
    void databaseDownBlocksAndResumesWhenItIsBack() throws Exception {
        String ns = "dbdown";
        try (PostgresCluster pg = PostgresCluster.builder().start()) {
            pg.createDatabase("app");
            fx.secret(ns, "db", pg.jdbcUrl("app"), pg.superuser(), pg.superuserPassword());
            pg.kill();
            fx.migration(ns, simple("dbdown", "db", "CREATE TABLE t_dbdown (id int);"));
            SchemaMigrationStatus s = awaitStatus(ns, "dbdown", st -> st.reason == Reason.DatabaseUnavailable);
            assertThat(s.state).isEqualTo(MigrationState.Blocked);
            assertThat(s.message).contains("127.0.0.1:" + pg.port()).doesNotContain(pg.superuserPassword());
            pg.start();
            awaitStatus(ns, "dbdown", st -> st.phase == MigrationPhase.Succeeded);
            try (Connection c = pg.connect("app"); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT to_regclass('t_dbdown') IS NOT NULL")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("applied once the database is back").isTrue();
            }
        }
    }

    @Test
    void syntaxErrorInSecondStatementAppliesNothing() throws Exception {
        String ns = "syntax";
        sql("CREATE TABLE t_syntax (id int)");
        fx.secret(ns, "db", db);
        fx.migration(ns, simple("syntax", "db",
                "ALTER TABLE t_syntax ADD COLUMN a int;\nALTER TABLE t_syntax ADD COLUMN b int NOT NUL;"));
        SchemaMigrationStatus s = awaitStatus(ns, "syntax", st -> st.reason == Reason.SqlError);
        assertThat(s.state).as("nothing was applied: not terminal, waits for a fixed spec")
                .isEqualTo(MigrationState.Blocked);
        assertThat(s.phase).as("found by the plan before anything runs").isEqualTo(MigrationPhase.Pending);
        assertThat(s.message).contains("statement 2", "syntax error", "nothing was run");
        assertThat(columns("t_syntax")).doesNotContain("a", "b");
        assertThat(s.conditions).anySatisfy(c -> {
            assertThat(c.type).isEqualTo("Degraded");
            assertThat(c.status).isEqualTo("True");
        });

        editSpec(ns, "syntax", m -> m.getSpec().compatibleSchema.sql = m.getSpec().compatibleSchema.sql
                .replace("NOT NUL;", "NOT NULL DEFAULT 0;"));
        awaitStatus(ns, "syntax", st -> st.phase == MigrationPhase.Succeeded);
        assertThat(columns("t_syntax")).contains("a", "b");
    }

    @Test
    void semanticErrorInSecondStatementIsRolledBackWithRollbackSql() throws Exception {
        String ns = "semantic";
        sql("CREATE TABLE t_semantic (id int)");
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: semantic}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: |
                      ALTER TABLE t_semantic ADD COLUMN a int;
                      ALTER TABLE t_semantic_missing ADD COLUMN b int;
                    rollbackSql: ALTER TABLE t_semantic DROP COLUMN IF EXISTS a;
                """);
        SchemaMigrationStatus s = awaitStatus(ns, "semantic", st -> st.phase == MigrationPhase.Failed);
        assertThat(s.reason).isEqualTo(Reason.SqlError);
        assertThat(s.message).contains("t_semantic_missing");
        assertThat(columns("t_semantic")).doesNotContain("a");
        assertThat(phase(s, PhaseName.CompatibleSchema).state).isEqualTo(PhaseState.RolledBack);
    }

    @Test
    void deploymentThatNeverRollsOutIsBlocked() throws Exception {
        String ns = "stuck";
        fx.secret(ns, "db", db);
        fx.deployment(ns, "app", "app", "app:1", 2);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: stuck}
                spec:
                  database: {secretRef: {name: db}}
                  application: {deployment: app, image: "app:2", mode: Patch}
                  cleanup: {sql: "SELECT 1"}
                """);
        awaitStatus(ns, "stuck", st -> st.reason == Reason.RolloutInProgress
                && "app:2".equals(kube.client().apps().deployments().inNamespace(ns).withName("app").get()
                        .getSpec().getTemplate().getSpec().getContainers().get(0).getImage()));
        fx.progressDeadlineExceeded(ns, "app");
        SchemaMigrationStatus s = awaitStatus(ns, "stuck", st -> st.reason == Reason.ProgressDeadlineExceeded);
        assertThat(s.state).isEqualTo(MigrationState.Blocked);
        assertThat(s.message).contains("app", "progressDeadlineSeconds");
        assertThat(phase(s, PhaseName.Cleanup).state).isEqualTo(PhaseState.Pending);
    }

    @Test
    void missingDeploymentIsBlockedNotAnException() throws Exception {
        String ns = "nodeploy";
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: nodeploy}
                spec:
                  database: {secretRef: {name: db}}
                  application: {deployment: ghost, image: "app:2"}
                """);
        SchemaMigrationStatus s = awaitStatus(ns, "nodeploy", st -> st.reason == Reason.DeploymentNotFound);
        assertThat(s.message).contains("ghost");
    }

    @Test
    void specEditedAfterStartIsRefusedUntilPutBack() throws Exception {
        String ns = "edited";
        sql("CREATE TABLE t_edited (id int)");
        fx.secret(ns, "db", db);
        fx.deployment(ns, "web", "web", "web:1", 1);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: edited}
                spec:
                  database: {secretRef: {name: db}}
                  application: {deployment: web, image: "web:2"}
                  compatibleSchema: {sql: "ALTER TABLE t_edited ADD COLUMN a int;"}
                """);
        awaitStatus(ns, "edited", st -> st.reason == Reason.WaitingForRollout);
        editSpec(ns, "edited", m -> m.getSpec().application.image = "web:3");
        SchemaMigrationStatus s = awaitStatus(ns, "edited", st -> st.reason == Reason.SpecChangedAfterStart);
        assertThat(s.message).contains("spec.application");
        editSpec(ns, "edited", m -> m.getSpec().application.image = "web:2");
        awaitStatus(ns, "edited", st -> st.reason == Reason.WaitingForRollout);
    }

    @Test
    void abortMidWayRollsBackNewestFirst() throws Exception {
        String ns = "abort";
        sql("CREATE TABLE t_abort (id int)");
        fx.secret(ns, "db", db);
        fx.deployment(ns, "svc", "svc", "svc:1", 1);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: abort}
                spec:
                  database: {secretRef: {name: db}}
                  application: {deployment: svc, image: "svc:2"}
                  compatibleSchema:
                    sql: |
                      ALTER TABLE t_abort ADD COLUMN v2 text;
                      CREATE INDEX CONCURRENTLY t_abort_v2_idx ON t_abort (v2);
                    rollbackSql: |
                      DROP INDEX CONCURRENTLY IF EXISTS t_abort_v2_idx;
                      ALTER TABLE t_abort DROP COLUMN IF EXISTS v2;
                """);
        awaitStatus(ns, "abort", st -> st.reason == Reason.WaitingForRollout);
        assertThat(columns("t_abort")).contains("v2");
        editSpec(ns, "abort", m -> m.getSpec().abort = true);
        SchemaMigrationStatus s = awaitStatus(ns, "abort", st -> st.phase == MigrationPhase.RolledBack);
        assertThat(columns("t_abort")).doesNotContain("v2");
        assertThat(indexValid("t_abort_v2_idx")).isNull();
        assertThat(phase(s, PhaseName.CompatibleSchema).state).isEqualTo(PhaseState.RolledBack);
        assertThat(phase(s, PhaseName.CodeDeploy).state).isEqualTo(PhaseState.RolledBack);
        assertThat(s.rollback.phases).containsExactly(PhaseName.CodeDeploy, PhaseName.CompatibleSchema);
    }

    @Test
    void abortAnnotationRollsBackWithoutEditingTheSpec() throws Exception {
        String ns = "abortannotation";
        sql("CREATE TABLE t_abort_annotation (id int)");
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: annotated}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: ALTER TABLE t_abort_annotation ADD COLUMN v2 text;
                    rollbackSql: ALTER TABLE t_abort_annotation DROP COLUMN IF EXISTS v2;
                  cleanup: {sql: "ALTER TABLE t_abort_annotation DROP COLUMN id;"}
                  waits: {afterCompatibleSchema: 1h}
                """);
        SchemaMigrationStatus waiting = awaitStatus(ns, "annotated", st -> st.reason == Reason.WaitingPeriod);
        assertThat(waiting.waitUntil).isNotNull();
        assertThat(columns("t_abort_annotation")).contains("v2");
        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName("annotated").edit(m -> {
            m.getMetadata().setAnnotations(java.util.Map.of(SchemaMigration.ABORT_ANNOTATION, "true"));
            return m;
        });
        // Well inside the 30 s safety recheck: the annotation itself must trigger the reconcile.
        SchemaMigrationStatus s = awaitStatus(ns, "annotated", st -> st.phase == MigrationPhase.RolledBack,
                Duration.ofSeconds(10));
        assertThat(columns("t_abort_annotation")).doesNotContain("v2").contains("id");
        assertThat(s.rollback.causeMessage).contains("annotation");
    }

    @Test
    void operatorRestartMidStatementRunsEachStatementExactlyOnce() throws Exception {
        String ns = "restart";
        sql("CREATE TABLE once_counter (n int)");
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: restart}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: |
                      INSERT INTO once_counter VALUES (1);
                      SELECT pg_sleep(3);
                      CREATE TABLE after_restart (id int);
                  waits: {afterCompatibleSchema: 2s}
                  cleanup: {sql: "INSERT INTO once_counter VALUES (2);"}
                """);
        awaitStatus(ns, "restart", st -> st.message != null && st.message.contains("pg_sleep"));
        kube.stop();
        assertThat(count("SELECT count(*) FROM once_counter")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%'"
                + " AND state = 'active'")).as("the stopped operator cancelled its statement").isZero();
        kube.start();
        SchemaMigrationStatus s = awaitStatus(ns, "restart", st -> st.phase == MigrationPhase.Succeeded);
        assertThat(count("SELECT count(*) FROM once_counter WHERE n = 1")).as("statement 1 ran once").isEqualTo(1);
        assertThat(count("SELECT count(*) FROM once_counter WHERE n = 2")).isEqualTo(1);
        assertThat(columns("after_restart")).contains("id");
        assertThat(phase(s, PhaseName.CompatibleSchema).statementsDone).isEqualTo(3);
    }

    @Test
    void cleanupWaitsWhileAnOldPodStillRuns() throws Exception {
        String ns = "oldpods";
        sql("CREATE TABLE t_oldpods (id int, legacy int)");
        fx.secret(ns, "db", db);
        fx.deployment(ns, "shop", "shop", "shop:1", 1);
        fx.pod(ns, "shop-old-abc", "shop", "shop", "shop:1");
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: oldpods}
                spec:
                  database: {secretRef: {name: db}}
                  application: {deployment: shop, image: "shop:2"}
                  cleanup: {sql: "ALTER TABLE t_oldpods DROP COLUMN legacy;"}
                """);
        awaitStatus(ns, "oldpods", st -> st.reason == Reason.WaitingForRollout);
        fx.setImage(ns, "shop", "shop", "shop:2");
        fx.completeRollout(ns, "shop");
        SchemaMigrationStatus s = awaitStatus(ns, "oldpods", st -> st.reason == Reason.OldPodsRemaining);
        assertThat(s.message).contains("1 pod", "shop:2");
        assertThat(columns("t_oldpods")).contains("legacy");
        kube.client().pods().inNamespace(ns).withName("shop-old-abc").delete();
        awaitStatus(ns, "oldpods", st -> st.phase == MigrationPhase.Succeeded);
        assertThat(columns("t_oldpods")).doesNotContain("legacy");
    }

    @Test
    void backfillMigratesEveryRowBetweenExpandAndContract() throws Exception {
        String ns = "backfill";
        sql("CREATE TABLE t_backfill (id bigint PRIMARY KEY, status int NOT NULL)");
        sql("INSERT INTO t_backfill SELECT g, g % 5 FROM generate_series(1, 20000) g");
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: backfill}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: ALTER TABLE t_backfill ADD COLUMN status_v2 text;
                  backfill:
                    table: t_backfill
                    keyColumn: id
                    set: "status_v2 = 's' || status"
                    where: "status_v2 IS NULL"
                    batchSize: 1000
                  cleanup:
                    sql: ALTER TABLE t_backfill DROP COLUMN status;
                """);
        SchemaMigrationStatus s = awaitStatus(ns, "backfill", st -> st.phase == MigrationPhase.Succeeded);
        assertThat(count("SELECT count(*) FROM t_backfill WHERE status_v2 IS NULL")).isZero();
        assertThat(count("SELECT count(*) FROM t_backfill WHERE status_v2 = 's' || (id % 5)")).isEqualTo(20000);
        assertThat(columns("t_backfill")).doesNotContain("status");
        assertThat(phase(s, PhaseName.Backfill).state).isEqualTo(PhaseState.Succeeded);
        assertThat(s.backfill).isNotNull();
        assertThat(s.backfill.rowsDone).isEqualTo(20000L);
        List<Event> progress = events(ns).stream().filter(e -> "BackfillRunning".equals(e.getReason())).toList();
        assertThat(progress).as("at most one Event per 10%%").hasSizeLessThanOrEqualTo(10)
                .allSatisfy(e -> assertThat(e.getMessage()).contains("%", "rows"));
    }

    @Test
    void abortAfterAFailedPhaseRollsBackTheEarlierOnes() throws Exception {
        String ns = "abortfailed";
        sql("CREATE TABLE t_abort_failed (id int)");
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: failed}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema:
                    sql: ALTER TABLE t_abort_failed ADD COLUMN a int;
                    rollbackSql: ALTER TABLE t_abort_failed DROP COLUMN IF EXISTS a;
                  cleanup:
                    sql: ALTER TABLE t_abort_failed_missing DROP COLUMN x;
                    rollbackSql: SELECT 1;
                """);
        SchemaMigrationStatus failed = awaitStatus(ns, "failed", st -> st.reason == Reason.SqlError);
        assertThat(failed.phase).isEqualTo(MigrationPhase.Cleanup);
        assertThat(failed.state).isEqualTo(MigrationState.Blocked);
        assertThat(columns("t_abort_failed")).contains("a");
        editSpec(ns, "failed", m -> m.getSpec().abort = true);
        SchemaMigrationStatus s = awaitStatus(ns, "failed", st -> st.phase == MigrationPhase.RolledBack);
        assertThat(columns("t_abort_failed")).doesNotContain("a");
        assertThat(s.rollback.phases).contains(PhaseName.CompatibleSchema);
        assertThat(reasons(ns)).as("the rollback was never held for want of a health check")
                .doesNotContain("ProbeFailed");
    }

    @Test
    void invalidSpecIsReportedAndNothingRuns() throws Exception {
        String ns = "invalid";
        fx.secret(ns, "db", db);
        fx.migration(ns, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: invalid}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema: {sql: "CREATE INDEX CONCURRENTLY ON t_invalid (id);"}
                  waits: {afterCompatibleSchema: 10 minutes}
                """);
        SchemaMigrationStatus s = awaitStatus(ns, "invalid", st -> st.reason == Reason.InvalidSpec);
        assertThat(s.message).contains("spec.waits.afterCompatibleSchema", "spec.compatibleSchema.sql");
        assertThat(s.phase).isEqualTo(MigrationPhase.Pending);
    }

    // ------------------------------------------------------------------ helpers

    private static String simple(String name, String secret, String sql) {
        return """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: %s}
                spec:
                  database: {secretRef: {name: %s}}
                  compatibleSchema:
                    sql: |
                %s
                """.formatted(name, secret, sql.lines().map(l -> "      " + l).reduce((a, b) -> a + "\n" + b)
                .orElse(""));
    }

    private static void editSpec(String ns, String name, java.util.function.Consumer<SchemaMigration> change) {
        kube.client().resources(SchemaMigration.class).inNamespace(ns).withName(name).edit(m -> {
            change.accept(m);
            m.getMetadata().setGeneration(m.getMetadata().getGeneration() == null ? 2
                    : m.getMetadata().getGeneration() + 1);
            return m;
        });
    }

    private static SchemaMigrationStatus awaitStatus(String ns, String name, Predicate<SchemaMigrationStatus> p) {
        return awaitStatus(ns, name, p, Duration.ofSeconds(60));
    }

    private static SchemaMigrationStatus awaitStatus(String ns, String name, Predicate<SchemaMigrationStatus> p,
            Duration atMost) {
        SchemaMigrationStatus[] last = new SchemaMigrationStatus[1];
        await().atMost(atMost).pollInterval(Duration.ofMillis(100))
                .alias("status of " + ns + "/" + name)
                .until(() -> {
                    SchemaMigration m = fx.get(ns, name);
                    last[0] = m == null ? null : m.getStatus();
                    return last[0] != null && last[0].phase != null && p.test(last[0]);
                });
        return last[0];
    }

    private static PhaseStatus phase(SchemaMigrationStatus s, PhaseName name) {
        return s.phases.stream().filter(p -> p.name == name).findFirst().orElseThrow();
    }

    private static List<Event> events(String ns) {
        return kube.client().v1().events().inNamespace(ns).list().getItems();
    }

    private static List<String> reasons(String ns) {
        return events(ns).stream().map(Event::getReason).toList();
    }

    private static void sql(String statement) throws SQLException {
        db.execute(statement);
    }

    private static long count(String query) throws SQLException {
        return db.count(query);
    }

    private static List<String> columns(String table) throws SQLException {
        return db.columns(table);
    }

    /** True/false for a valid/invalid index, null when it does not exist. */
    private static Boolean indexValid(String index) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('"
                        + index + "')")) {
            return rs.next() ? rs.getBoolean(1) : null;
        }
    }

    private static void assertNoSessionsLeftOf(String applicationName) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Connection c = db.connect(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity"
                            + " WHERE application_name = '" + applicationName + "'")) {
                rs.next();
                return rs.getInt(1) == 0;
            }
        });
    }
}
