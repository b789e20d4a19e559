package dev.phasegate.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.ApplicationSpec;
import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.DatabaseSpec;
import dev.phasegate.api.DeployMode;
import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.ReplicaSpec;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SecretRef;
import dev.phasegate.api.SqlPhaseSpec;
import dev.phasegate.api.WaitsSpec;
import dev.phasegate.api.WindowSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every problem the spec validator reports names the field, the rejected value and what is accepted. */
class SpecValidatorTest {

    /** The example resource of DESIGN.md, every field set. */
    static SchemaMigrationSpec fullExample() {
        SchemaMigrationSpec s = new SchemaMigrationSpec();
        s.database = new DatabaseSpec();
        s.database.secretRef = new SecretRef("orders-db");
        ReplicaSpec replica = new ReplicaSpec();
        replica.secretRef = new SecretRef("orders-db-replica");
        s.database.replicas = new ArrayList<>(List.of(replica));
        s.application = new ApplicationSpec();
        s.application.deployment = "orders-api";
        s.application.container = "api";
        s.application.image = "registry.example/orders-api:2.0";
        s.application.mode = DeployMode.Observe;
        s.compatibleSchema = new SqlPhaseSpec(
                "ALTER TABLE orders ADD COLUMN status_v2 text;\n"
                        + "CREATE INDEX CONCURRENTLY orders_status_v2_idx ON orders (status_v2);\n",
                "DROP INDEX CONCURRENTLY IF EXISTS orders_status_v2_idx;\n"
                        + "ALTER TABLE orders DROP COLUMN IF EXISTS status_v2;\n");
        s.backfill = new BackfillSpec();
        s.backfill.table = "orders";
        s.backfill.keyColumn = "id";
        s.backfill.set = "status_v2 = status::text";
        s.backfill.where = "status_v2 IS NULL";
        s.backfill.batchSize = 1000;
        s.backfill.targetBatchDuration = "200ms";
        s.cleanup = new SqlPhaseSpec("ALTER TABLE orders DROP COLUMN status;", null);
        s.waits = new WaitsSpec();
        s.waits.afterCompatibleSchema = "0s";
        s.waits.afterCodeDeploy = "24h";
        s.waits.afterBackfill = "168h";
        s.windows = new ArrayList<>(List.of(new WindowSpec(List.of("Sat", "Sun"), "01:00", "05:00",
                "Europe/Berlin")));
        s.health = new HealthSpec();
        s.health.maxTransactionAge = "60s";
        s.health.maxIdleInTransaction = "30s";
        s.health.maxReplicationLag = "10s";
        s.health.maxConnectionUsage = 0.8;
        s.locks = new LocksSpec();
        s.locks.lockTimeout = "500ms";
        s.locks.statementTimeout = "30m";
        s.locks.indexBuildMaxWait = "10m";
        s.locks.maxBlockedQueries = 5;
        s.locks.maxBlockedWait = "1s";
        s.locks.retries = 10;
        return s;
    }

    @Test
    void theFullExampleIsValid() {
        assertThat(SpecValidator.validate(fullExample())).isEmpty();
    }

    @Test
    void aSmallSpecWithDefaultsIsValid() {
        SchemaMigrationSpec s = new SchemaMigrationSpec();
        s.database = new DatabaseSpec();
        s.database.secretRef = new SecretRef("db");
        s.cleanup = new SqlPhaseSpec("DROP TABLE old_orders;", null);
        assertThat(SpecValidator.validate(s)).isEmpty();
    }

    @Test
    void optionalSectionsMayBeAbsent() {
        SchemaMigrationSpec s = fullExample();
        s.database.replicas = null;
        s.waits = null;
        s.windows = null;
        s.health = null;
        s.locks = null;
        s.backfill.batchSize = null;
        s.backfill.targetBatchDuration = null;
        assertThat(SpecValidator.validate(s)).isEmpty();
    }

    @Test
    void boundaryValuesAreAccepted() {
        SchemaMigrationSpec s = fullExample();
        s.waits.afterCompatibleSchema = "0";
        s.health.maxConnectionUsage = 1.0;
        s.health.maxLockWaiters = 0;
        s.locks.retries = 0;
        s.backfill.minBatchSize = 1;
        s.backfill.maxBatchSize = 1;
        s.backfill.batchSize = 1;
        s.backfill.table = "shop.orders";
        s.application.deployment = "a".repeat(253);
        s.windows.add(new WindowSpec(List.of(), "22:00", "24:00", "UTC"));
        assertThat(SpecValidator.validate(s)).isEmpty();
        s.locks.retries = 100;
        assertThat(SpecValidator.validate(s)).isEmpty();
    }

    @Test
    void aMissingSpecIsOneProblem() {
        assertThat(SpecValidator.validate(null)).containsExactly("spec is missing");
    }

    @Test
    void aSpecWithNoPhaseHasNothingToDo() {
        SchemaMigrationSpec s = fullExample();
        s.compatibleSchema = null;
        s.application = null;
        s.backfill = null;
        s.cleanup = null;
        assertThat(SpecValidator.validate(s)).singleElement().satisfies(p -> assertThat(p)
                .contains("nothing to do", "spec.compatibleSchema", "spec.application", "spec.backfill",
                        "spec.cleanup"));
    }

    @Test
    void allProblemsAreReportedTogether() {
        SchemaMigrationSpec s = fullExample();
        s.database.secretRef = null;
        s.locks.lockTimeout = "0";
        s.backfill.where = null;
        s.windows.get(0).timeZone = "Europe/Atlantis";
        assertThat(SpecValidator.validate(s)).hasSize(4)
                .anySatisfy(p -> assertThat(p).contains("spec.database.secretRef.name"))
                .anySatisfy(p -> assertThat(p).contains("spec.locks.lockTimeout"))
                .anySatisfy(p -> assertThat(p).contains("spec.backfill.where"))
                .anySatisfy(p -> assertThat(p).contains("spec.windows[0]", "Europe/Atlantis"));
    }

    static Arguments problem(String name, Consumer<SchemaMigrationSpec> change, String... expected) {
        return Arguments.of(name, change, Arrays.asList(expected));
    }

    static Stream<Arguments> problems() {
        return Stream.of(
                problem("no database", s -> s.database = null,
                        "spec.database.secretRef.name is required", "jdbcUrl", "username", "password"),
                problem("no secretRef", s -> s.database.secretRef = null, "spec.database.secretRef.name is required"),
                problem("blank secret name", s -> s.database.secretRef.name = " ",
                        "spec.database.secretRef.name is required"),
                problem("secret name not a Kubernetes name", s -> s.database.secretRef.name = "Orders_DB",
                        "spec.database.secretRef.name", "Kubernetes object name", "\"Orders_DB\""),
                problem("replica without secretRef", s -> s.database.replicas.add(new ReplicaSpec()),
                        "spec.database.replicas[1].secretRef.name is required"),
                problem("null replica", s -> s.database.replicas.add(0, null),
                        "spec.database.replicas[0].secretRef.name is required"),
                problem("no deployment", s -> s.application.deployment = null,
                        "spec.application.deployment is required"),
                problem("deployment not a Kubernetes name", s -> s.application.deployment = "Orders API",
                        "spec.application.deployment", "Kubernetes object name", "\"Orders API\""),
                problem("deployment name too long", s -> s.application.deployment = "a".repeat(254),
                        "spec.application.deployment", "Kubernetes object name"),
                problem("no image", s -> s.application.image = "", "spec.application.image is required"),
                problem("empty compatibleSchema", s -> s.compatibleSchema.sql = "  ",
                        "spec.compatibleSchema.sql is empty", "remove spec.compatibleSchema"),
                problem("empty cleanup", s -> s.cleanup.sql = null, "spec.cleanup.sql is empty",
                        "remove spec.cleanup"),
                problem("table with SQL in it", s -> s.backfill.table = "orders; DROP TABLE users",
                        "spec.backfill.table", "orders or shop.orders", "\"orders; DROP TABLE users\""),
                problem("no table", s -> s.backfill.table = null, "spec.backfill.table", "got nothing"),
                problem("three-part table name", s -> s.backfill.table = "db.shop.orders", "spec.backfill.table",
                        "\"db.shop.orders\""),
                problem("qualified key column", s -> s.backfill.keyColumn = "orders.id", "spec.backfill.keyColumn",
                        "column name", "\"orders.id\""),
                problem("no set", s -> s.backfill.set = "", "spec.backfill.set is required", "status::text"),
                problem("no where", s -> s.backfill.where = null, "spec.backfill.where is required", "guard"),
                problem("batch size 0", s -> s.backfill.batchSize = 0, "spec.backfill.batchSize", "1 or more",
                        "got 0"),
                problem("negative min batch size", s -> s.backfill.minBatchSize = -5, "spec.backfill.minBatchSize",
                        "got -5"),
                problem("max batch size 0", s -> {
                    s.backfill.minBatchSize = null;
                    s.backfill.maxBatchSize = 0;
                }, "spec.backfill.maxBatchSize", "got 0"),
                problem("min above max", s -> {
                    s.backfill.minBatchSize = 200;
                    s.backfill.maxBatchSize = 100;
                }, "spec.backfill.minBatchSize (200)", "maxBatchSize (100)"),
                problem("zero target batch duration", s -> s.backfill.targetBatchDuration = "0s",
                        "spec.backfill.targetBatchDuration must be more than 0", "\"0s\""),
                problem("pause with a space", s -> s.backfill.pauseBetweenBatches = "1 s",
                        "spec.backfill.pauseBetweenBatches", "\"1 s\""),
                problem("negative wait", s -> s.waits.afterCompatibleSchema = "-1h",
                        "spec.waits.afterCompatibleSchema", "negative"),
                problem("uppercase unit", s -> s.waits.afterCodeDeploy = "24H", "spec.waits.afterCodeDeploy",
                        "lowercase"),
                problem("wait in words", s -> s.waits.afterBackfill = "7 days", "spec.waits.afterBackfill",
                        "\"7 days\""),
                problem("window start 25:00", s -> s.windows.get(0).start = "25:00", "spec.windows[0]", "start",
                        "\"25:00\""),
                problem("second window without end", s -> s.windows.add(new WindowSpec(List.of(), "01:00", null,
                        "UTC")), "spec.windows[1]", "end"),
                problem("unknown time zone", s -> s.windows.get(0).timeZone = "Mars/Olympus", "spec.windows[0]",
                        "timeZone", "\"Mars/Olympus\""),
                problem("unknown day", s -> s.windows.get(0).days = List.of("Sat", "Caturday"), "spec.windows[0]",
                        "\"Caturday\""),
                problem("null window", s -> s.windows.add(null), "spec.windows[1]"),
                problem("zero transaction age", s -> s.health.maxTransactionAge = "0",
                        "spec.health.maxTransactionAge must be more than 0"),
                problem("idle age without unit", s -> s.health.maxIdleInTransaction = "30",
                        "spec.health.maxIdleInTransaction", "no unit"),
                problem("zero replication lag", s -> s.health.maxReplicationLag = "0ms",
                        "spec.health.maxReplicationLag must be more than 0"),
                problem("connection usage above 1", s -> s.health.maxConnectionUsage = 1.5,
                        "spec.health.maxConnectionUsage", "(0, 1]", "1.5"),
                problem("connection usage 0", s -> s.health.maxConnectionUsage = 0.0,
                        "spec.health.maxConnectionUsage", "0.0"),
                problem("negative lock waiters", s -> s.health.maxLockWaiters = -1, "spec.health.maxLockWaiters",
                        "0 or more"),
                problem("lock timeout 0", s -> s.locks.lockTimeout = "0", "spec.locks.lockTimeout must be more than 0"),
                problem("lock timeout not shorter than statement timeout", s -> s.locks.lockTimeout = "30m",
                        "spec.locks.lockTimeout (30m)", "shorter than statementTimeout (30m)"),
                problem("index build wait with a space", s -> s.locks.indexBuildMaxWait = "10 m",
                        "spec.locks.indexBuildMaxWait", "\"10 m\""),
                problem("zero blocked wait", s -> s.locks.maxBlockedWait = "0ms",
                        "spec.locks.maxBlockedWait must be more than 0"),
                problem("zero blocked queries", s -> s.locks.maxBlockedQueries = 0, "spec.locks.maxBlockedQueries",
                        "1 or more", "got 0"),
                problem("negative retries", s -> s.locks.retries = -1, "spec.locks.retries", "-1"),
                problem("too many retries", s -> s.locks.retries = 101, "spec.locks.retries", "100", "101"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("problems")
    void eachProblemNamesItsFieldAndValue(String name, Consumer<SchemaMigrationSpec> change, List<String> expected) {
        SchemaMigrationSpec s = fullExample();
        change.accept(s);
        assertThat(SpecValidator.validate(s)).singleElement()
                .satisfies(p -> assertThat(p).contains(expected));
    }

    @Test
    void aZeroStatementTimeoutIsReportedOnItsOwnField() {
        SchemaMigrationSpec s = fullExample();
        s.locks.statementTimeout = "0s";
        assertThat(SpecValidator.validate(s))
                .anySatisfy(p -> assertThat(p).contains("spec.locks.statementTimeout must be more than 0"));
    }
}
