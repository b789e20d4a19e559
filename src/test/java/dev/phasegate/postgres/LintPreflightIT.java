package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.LintStatus;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SqlPhaseSpec;
import dev.phasegate.lint.LintThresholds;
import dev.phasegate.lint.PlanLine;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** status.lint.plan as the operator fills it: the backfill's line between the expand's and Cleanup's, in phase order. */
@WithPostgres
class LintPreflightIT {

    static PostgresDatabase db;

    @BeforeAll
    static void table() throws SQLException {
        db.execute("""
                CREATE TABLE lp_orders (id bigint PRIMARY KEY, status int, status_v2 text);
                INSERT INTO lp_orders SELECT g, g % 4, NULL FROM generate_series(1, 5000) g;
                ANALYZE lp_orders;
                """);
    }

    private static SchemaMigrationSpec spec() {
        SchemaMigrationSpec spec = new SchemaMigrationSpec();
        spec.compatibleSchema = new SqlPhaseSpec("ALTER TABLE lp_orders ADD COLUMN note text", null);
        spec.backfill = new BackfillSpec();
        spec.backfill.table = "lp_orders";
        spec.backfill.keyColumn = "id";
        spec.backfill.set = "status_v2 = status::text";
        spec.backfill.where = "status_v2 IS DISTINCT FROM status::text";
        spec.backfill.batchSize = 500;
        spec.cleanup = new SqlPhaseSpec("ALTER TABLE lp_orders DROP COLUMN status", null);
        return spec;
    }

    private static LintPreflight.Result run(PhaseName before) throws SQLException {
        return run(spec(), before);
    }

    private static LintPreflight.Result run(SchemaMigrationSpec spec, PhaseName before) throws SQLException {
        try (Connection c = db.connect()) {
            return LintPreflight.run(c, spec, before, "2026-01-01T00:00:00Z", LintThresholds.DEFAULT);
        }
    }

    @Test
    void theBackfillIsPlannedBetweenTheExpandAndCleanup() throws SQLException {
        LintPreflight.Result result = run(PhaseName.CompatibleSchema);
        assertThat(result.plan().lines()).extracting(PlanLine::phase)
                .containsExactly(PhaseName.CompatibleSchema, PhaseName.Backfill, PhaseName.Cleanup);
        assertThat(result.verdict().status().plan).as("status shows the lines' text")
                .containsExactlyElementsOf(result.plan().lines().stream().map(PlanLine::text).toList());
        assertThat(result.verdict().status().plan).satisfiesExactly(
                l -> assertThat(l).startsWith("CompatibleSchema 1 ALTER TABLE lp_orders: ACCESS EXCLUSIVE"),
                l -> assertThat(l).startsWith("Backfill 1 BACKFILL lp_orders: ROW EXCLUSIVE, writes rows in batches,"
                        + " up to ~5,000 rows in ~10 batches of 500: under 1 s unpaced (")
                        .endsWith("at an assumed 20 MB/s); adaptive pacing slows it when the app's latency rises"),
                l -> assertThat(l).startsWith("Cleanup 1 ALTER TABLE lp_orders: ACCESS EXCLUSIVE"));
    }

    @Test
    void beforeCleanupTheBackfillIsDoneAndNotPlannedAgain() throws SQLException {
        assertThat(run(PhaseName.Cleanup).verdict().status().plan).singleElement()
                .satisfies(l -> assertThat(l).startsWith("Cleanup 1 "));
    }

    @Test
    void aLongScriptsPlanIsCutButKeepsTheBackfillLine() throws SQLException {
        SchemaMigrationSpec spec = spec();
        spec.compatibleSchema.sql = IntStream.rangeClosed(1, 25)
                .mapToObj(i -> "ALTER TABLE lp_orders ADD COLUMN c" + i + " text;").collect(Collectors.joining("\n"));
        LintPreflight.Result result = run(spec, PhaseName.CompatibleSchema);
        LintStatus status = result.verdict().status();
        assertThat(status.plan).hasSize(LintPreflight.MAX_PLAN);
        assertThat(status.plan.get(LintPreflight.MAX_PLAN - 2)).startsWith("CompatibleSchema 19 ");
        assertThat(status.plan.get(LintPreflight.MAX_PLAN - 1)).startsWith("Backfill 1 BACKFILL lp_orders");
        assertThat(status.planOmitted).as("6 expand statements and the Cleanup one").isEqualTo(7);
        assertThat(result.plan().statements()).as("26 statements, the backfill not among them").isEqualTo(26);
        assertThat(result.plan().backfill()).isTrue();
    }
}
