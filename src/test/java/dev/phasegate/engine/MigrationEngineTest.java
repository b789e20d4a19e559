package dev.phasegate.engine;

import static dev.phasegate.api.PhaseName.Backfill;
import static dev.phasegate.api.PhaseName.Cleanup;
import static dev.phasegate.api.PhaseName.CodeDeploy;
import static dev.phasegate.api.PhaseName.CompatibleSchema;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.ApplicationSpec;
import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.DatabaseSpec;
import dev.phasegate.api.DeployMode;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseState;
import dev.phasegate.api.PhaseStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.api.SecretRef;
import dev.phasegate.api.SqlPhaseSpec;
import dev.phasegate.api.WaitsSpec;
import dev.phasegate.api.WindowSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Timelines through the pure phase engine: every phase transition, gate and reason it can produce. */
class MigrationEngineTest {

    // 2026-05-04 is a Monday; every instant below is fixed, the engine never reads a clock.
    static final Instant T0 = Instant.parse("2026-05-04T10:00:00Z");

    static final String EXPAND = "ALTER TABLE orders ADD COLUMN status_v2 text;\n"
            + "CREATE INDEX CONCURRENTLY orders_status_v2_idx ON orders (status_v2);";
    static final String EXPAND_ROLLBACK = "DROP INDEX CONCURRENTLY IF EXISTS orders_status_v2_idx;\n"
            + "ALTER TABLE orders DROP COLUMN IF EXISTS status_v2;";
    static final String CLEANUP = "ALTER TABLE orders DROP COLUMN status;";
    static final String CLEANUP_ROLLBACK = "ALTER TABLE orders ADD COLUMN IF NOT EXISTS status text;";
    static final String DEPLOYMENT = "orders-api";
    static final String OLD_IMAGE = "registry.example/orders-api:1.9";
    static final String NEW_IMAGE = "registry.example/orders-api:2.0";

    // ------------------------------------------------------------------------------------------ fixture

    static SpecBuilder spec() {
        return new SpecBuilder();
    }

    /** Builds specs the way a person writes them: only the phases they need. */
    static final class SpecBuilder {
        private final SchemaMigrationSpec s = new SchemaMigrationSpec();

        SpecBuilder() {
            s.database = new DatabaseSpec();
            s.database.secretRef = new SecretRef("orders-db");
        }

        SpecBuilder expand(String sql) {
            return expand(sql, null);
        }

        SpecBuilder expand(String sql, String rollbackSql) {
            s.compatibleSchema = new SqlPhaseSpec(sql, rollbackSql);
            return this;
        }

        SpecBuilder observe() {
            return app(DeployMode.Observe);
        }

        SpecBuilder patch() {
            return app(DeployMode.Patch);
        }

        private SpecBuilder app(DeployMode mode) {
            s.application = new ApplicationSpec();
            s.application.deployment = DEPLOYMENT;
            s.application.image = NEW_IMAGE;
            s.application.mode = mode;
            return this;
        }

        SpecBuilder container(String name) {
            s.application.container = name;
            return this;
        }

        SpecBuilder backfill() {
            s.backfill = new BackfillSpec();
            s.backfill.table = "orders";
            s.backfill.keyColumn = "id";
            s.backfill.set = "status_v2 = status::text";
            s.backfill.where = "status_v2 IS NULL";
            return this;
        }

        SpecBuilder cleanup(String sql) {
            return cleanup(sql, null);
        }

        SpecBuilder cleanup(String sql, String rollbackSql) {
            s.cleanup = new SqlPhaseSpec(sql, rollbackSql);
            return this;
        }

        SpecBuilder waits(String afterCompatibleSchema, String afterCodeDeploy, String afterBackfill) {
            s.waits = new WaitsSpec();
            s.waits.afterCompatibleSchema = afterCompatibleSchema;
            s.waits.afterCodeDeploy = afterCodeDeploy;
            s.waits.afterBackfill = afterBackfill;
            return this;
        }

        SpecBuilder window(String days, String start, String end, String zone) {
            s.windows.add(new WindowSpec(days.isEmpty() ? List.of() : Arrays.asList(days.split(",")), start, end,
                    zone));
            return this;
        }

        SpecBuilder paused() {
            s.paused = true;
            return this;
        }

        SpecBuilder abort() {
            s.abort = true;
            return this;
        }

        SpecBuilder approvalRequired(PhaseName... phases) {
            s.approvalRequired = new ArrayList<>(List.of(phases));
            return this;
        }

        SchemaMigrationSpec build() {
            return s;
        }
    }

    /**
     * One migration over time. The world (Deployment, health gate, database access, annotation) stays as last set;
     * each decide() gets its own step report, and its Decision is fed back as the next status, as the reconciler
     * does.
     */
    static final class Migration {
        private static final MigrationEngine ENGINE = new MigrationEngine();
        final SchemaMigrationSpec spec;
        SchemaMigrationStatus status;
        Instant now;
        long generation = 1;
        DeploymentObservation deployment;
        HealthGate health = HealthGate.opened();
        Problem databaseProblem;
        boolean abortAnnotation;
        List<String> specProblems = List.of();
        String author;
        final Map<PhaseName, String> approvals = new EnumMap<>(PhaseName.class);
        /** Answers the plan step before anything runs with a clean plan, as most tests are about what comes after. */
        boolean planPasses = true;

        Migration(SchemaMigrationSpec spec) {
            this.spec = spec;
            this.now = T0;
        }

        static Migration of(SpecBuilder spec) {
            return new Migration(spec.build());
        }

        Migration at(String instant) {
            now = Instant.parse(instant);
            return this;
        }

        Migration later(Duration d) {
            now = now.plus(d);
            return this;
        }

        Migration laterSeconds(long seconds) {
            return later(Duration.ofSeconds(seconds));
        }

        Migration deployment(DeploymentObservation d) {
            deployment = d;
            return this;
        }

        Migration health(HealthGate h) {
            health = h;
            return this;
        }

        Migration databaseProblem(Problem p) {
            databaseProblem = p;
            return this;
        }

        Migration abortAnnotation(boolean a) {
            abortAnnotation = a;
            return this;
        }

        Migration author(String user) {
            author = user;
            return this;
        }

        /** What the approval annotation of a phase says; null removes it. */
        Migration approval(PhaseName p, String written) {
            if (written == null) {
                approvals.remove(p);
            } else {
                approvals.put(p, written);
            }
            return this;
        }

        Migration specProblems(String... problems) {
            specProblems = List.of(problems);
            return this;
        }

        Migration edit(Consumer<SchemaMigrationSpec> change) {
            change.accept(spec);
            generation++;
            return this;
        }

        Observations observations(StepObservation step) {
            return Observations.none()
                    .withSpecProblems(specProblems)
                    .withAbortAnnotation(abortAnnotation)
                    .withDatabaseProblem(databaseProblem)
                    .withDeployment(deployment)
                    .withHealth(health)
                    .withApprovals(new Approvals("shop", "orders-v2", generation, Optional.ofNullable(author),
                            approvals))
                    .withStep(step);
        }

        Decision decide() {
            return decide(StepObservation.idle());
        }

        /** Plan steps are answered by the test itself (PlanBeforeStartTest, DryRunTest). */
        Migration unplanned() {
            planPasses = false;
            return this;
        }

        Decision decide(StepObservation step) {
            boolean pending = status == null || status.phase == null || status.phase == MigrationPhase.Pending;
            if (planPasses && pending && !spec.dryRun && step instanceof StepObservation.Idle) {
                step = new StepObservation.Planned("0 error(s), 0 of them not allowed", null);
            }
            Decision d = ENGINE.decide(spec, status, observations(step), now);
            // What the reconciler does with a consistency check's result: status.backfill keeps it.
            BackfillStatus checked = d.acknowledgeStep() && step instanceof StepObservation.Verified v
                    ? Consistency.recorded(status == null ? null : status.backfill, v, now) : null;
            status = StatusBuilder.build(status, d, generation, now, checked, null);
            return d;
        }

        PhaseStatus phase(PhaseName name) {
            return status.phases.stream().filter(p -> p.name == name).findFirst().orElseThrow();
        }
    }

    static StepObservation running(PhaseName p, int done, int total, String detail) {
        return new StepObservation.Running(p, false, done, total, null, detail);
    }

    static StepObservation waitingOn(PhaseName p, Reason reason, String detail) {
        return new StepObservation.Running(p, false, 1, 2, reason, detail);
    }

    static StepObservation completed(PhaseName p, int done) {
        return new StepObservation.Completed(p, false, done, done + " statement(s) applied");
    }

    static StepObservation failed(PhaseName p, int done, Reason reason, String message, boolean retryable) {
        return new StepObservation.Failed(p, false, done, reason, message, retryable);
    }

    static StepObservation rollbackRunning(PhaseName p, Reason waitingOn, String detail) {
        return new StepObservation.Running(p, true, 0, 2, waitingOn, detail);
    }

    static StepObservation rollbackCompleted(PhaseName p) {
        return new StepObservation.Completed(p, true, 2, "rollbackSql applied");
    }

    static StepObservation rollbackFailed(PhaseName p, Reason reason, String message, boolean retryable) {
        return new StepObservation.Failed(p, true, 0, reason, message, retryable);
    }

    /** A Deployment whose single container "api" runs the image everywhere: 3 of 3 updated and available. */
    static DeploymentObservation rolledOut(String image) {
        return new DeploymentObservation(true, "api", List.of("api"), image, 4, 4, 3, 3, 3, 3, false, 0);
    }

    static DeploymentObservation rollingOut(String image, int updated, int available, int total) {
        return new DeploymentObservation(true, "api", List.of("api"), image, 4, 4, 3, updated, available, total,
                false, 0);
    }

    static DeploymentObservation withOtherImagePods(DeploymentObservation d, int pods) {
        return new DeploymentObservation(d.found(), d.container(), d.containers(), d.templateImage(), d.generation(),
                d.observedGeneration(), d.desiredReplicas(), d.updatedReplicas(), d.availableReplicas(),
                d.totalReplicas(), d.progressDeadlineExceeded(), pods);
    }

    static Step runSql(PhaseName p, String sql) {
        return new Step.RunSql(p, false, sql);
    }

    static Step rollbackSql(PhaseName p, String sql) {
        return new Step.RunSql(p, true, sql);
    }

    static Instant at(String instant) {
        return Instant.parse(instant);
    }

    static List<String> messages(Decision d) {
        return d.notes().stream().map(Note::message).toList();
    }

    static StepObservation consistent() {
        return StepObservation.Verified.counted(0, List.of(), "status_v2 IS DISTINCT FROM (status::text)");
    }

    /** Expand + Observe deploy + backfill + cleanup, no waits: the full migration, quickly. */
    static Migration fullMigrationAt(PhaseName runningPhase) {
        Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).observe().backfill()
                .cleanup(CLEANUP, CLEANUP_ROLLBACK));
        m.deployment(rolledOut(OLD_IMAGE));
        m.decide();
        if (runningPhase == CompatibleSchema) {
            return m;
        }
        m.laterSeconds(30).decide(completed(CompatibleSchema, 2));
        if (runningPhase == CodeDeploy) {
            return m;
        }
        m.deployment(rolledOut(NEW_IMAGE)).laterSeconds(30).decide();
        if (runningPhase == Backfill) {
            return m;
        }
        m.laterSeconds(30).decide(new StepObservation.Completed(Backfill, false, 0, "backfilled 2000000 rows"));
        m.laterSeconds(30).decide(consistent());
        return m;
    }

    // ------------------------------------------------------------------------------------------ tests

    @Test
    void wholeMigrationReadsLikeATimeline() {
        Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).observe().backfill().cleanup(CLEANUP)
                .waits("1h", "24h", "168h"));
        m.deployment(rolledOut(OLD_IMAGE));

        Decision d = m.decide();
        assertThat(d.phase()).isEqualTo(MigrationPhase.CompatibleSchema);
        assertThat(d.state()).isEqualTo(MigrationState.Running);
        assertThat(d.reason()).isEqualTo(Reason.Executing);
        assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
        assertThat(d.recheckAt()).contains(T0.plusSeconds(15));
        assertThat(d.acknowledgeStep()).as("the plan step's result is recorded").isTrue();
        assertThat(d.degraded()).isFalse();
        assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("CompatibleSchema", "started"));
        PhaseStatus expand = m.phase(CompatibleSchema);
        assertThat(expand.state).isEqualTo(PhaseState.Running);
        assertThat(expand.startedAt).isEqualTo("2026-05-04T10:00:00Z");
        assertThat(expand.attempts).isEqualTo(1);
        assertThat(expand.specHash).isEqualTo(PhaseSpecs.hash(m.spec, CompatibleSchema));

        d = m.laterSeconds(5).decide(running(CompatibleSchema, 1, 2, "CREATE INDEX CONCURRENTLY orders_status_v2_idx"));
        assertThat(d.state()).isEqualTo(MigrationState.Running);
        assertThat(d.reason()).isEqualTo(Reason.Executing);
        assertThat(d.message()).contains("orders_status_v2_idx");
        assertThat(d.step()).isEmpty();
        assertThat(m.phase(CompatibleSchema).statementsDone).isEqualTo(1);
        assertThat(m.phase(CompatibleSchema).statementsTotal).isEqualTo(2);

        d = m.at("2026-05-04T10:01:00Z").decide(completed(CompatibleSchema, 2));
        assertThat(d.acknowledgeStep()).isTrue();
        assertThat(d.phase()).isEqualTo(MigrationPhase.CodeDeploy);
        assertThat(d.state()).isEqualTo(MigrationState.Waiting);
        assertThat(d.reason()).isEqualTo(Reason.WaitingPeriod);
        assertThat(d.waitUntil()).contains(at("2026-05-04T11:01:00Z"));
        assertThat(d.message()).contains("CodeDeploy", "2026-05-04T11:01:00Z", "1h", "CompatibleSchema");
        assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("CompatibleSchema", "succeeded"));
        assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Succeeded);
        assertThat(m.phase(CompatibleSchema).finishedAt).isEqualTo("2026-05-04T10:01:00Z");
        assertThat(m.phase(CompatibleSchema).statementsDone).isEqualTo(2);
        assertThat(m.phase(CodeDeploy).notBefore).isEqualTo("2026-05-04T11:01:00Z");

        d = m.at("2026-05-04T11:00:59Z").decide();
        assertThat(d.reason()).isEqualTo(Reason.WaitingPeriod);
        assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.Pending);

        d = m.at("2026-05-04T11:01:00Z").decide();
        assertThat(d.phase()).isEqualTo(MigrationPhase.CodeDeploy);
        assertThat(d.reason()).isEqualTo(Reason.WaitingForRollout);
        assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.Running);

        d = m.deployment(rollingOut(NEW_IMAGE, 1, 3, 4)).later(Duration.ofMinutes(5)).decide();
        assertThat(d.reason()).isEqualTo(Reason.RolloutInProgress);

        d = m.deployment(rolledOut(NEW_IMAGE)).at("2026-05-04T11:30:00Z").decide();
        assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.Succeeded);
        assertThat(d.phase()).isEqualTo(MigrationPhase.Backfill);
        assertThat(d.reason()).isEqualTo(Reason.WaitingPeriod);
        assertThat(d.waitUntil()).contains(at("2026-05-05T11:30:00Z"));
        assertThat(d.message()).contains("1d", "CodeDeploy");

        d = m.at("2026-05-05T11:30:00Z").decide();
        assertThat(d.state()).isEqualTo(MigrationState.Running);
        assertThat(d.reason()).isEqualTo(Reason.BackfillRunning);
        assertThat(d.step()).contains(new Step.RunBackfill());
        assertThat(d.message()).contains("orders");

        d = m.later(Duration.ofMinutes(1)).decide(running(Backfill, 0, 0, "12000 of ~2000000 rows"));
        assertThat(d.reason()).isEqualTo(Reason.BackfillRunning);
        assertThat(d.message()).contains("12000");
        assertThat(d.step()).isEmpty();

        d = m.at("2026-05-05T14:00:00Z").decide(new StepObservation.Completed(Backfill, false, 0, "2000000 rows"));
        assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);
        assertThat(d.reason()).isEqualTo(Reason.Verifying);
        assertThat(d.step()).contains(new Step.VerifyBackfill());

        d = m.at("2026-05-05T14:10:00Z").decide(consistent());
        assertThat(d.reason()).isEqualTo(Reason.WaitingPeriod);
        assertThat(d.waitUntil()).contains(at("2026-05-12T14:00:00Z"));
        assertThat(d.message()).contains("7d", "Backfill");
        assertThat(m.status.backfill.mismatchedRows).isZero();
        assertThat(m.status.backfill.verifiedAt).isEqualTo("2026-05-05T14:10:00Z");

        // A week-old count says nothing about the rows old code may have touched since: count again.
        d = m.at("2026-05-12T14:00:00Z").decide();
        assertThat(d.step()).contains(new Step.VerifyBackfill());
        d = m.at("2026-05-12T14:05:00Z").decide(consistent());
        assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
        assertThat(m.phase(Cleanup).oneWay).isTrue();

        d = m.laterSeconds(2).decide(completed(Cleanup, 1));
        assertThat(d.phase()).isEqualTo(MigrationPhase.Succeeded);
        assertThat(d.state()).isEqualTo(MigrationState.Done);
        assertThat(d.reason()).isEqualTo(Reason.Succeeded);
        assertThat(d.acknowledgeStep()).isTrue();
        assertThat(d.nextDeadline()).isEmpty();
        assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("migration succeeded"));
        assertThat(m.status.phases).extracting(p -> p.state).containsOnly(PhaseState.Succeeded);
    }

    @Nested
    class Starting {
        @Test
        void aMissingStatusIsPendingAndPlansFirst() {
            Decision d = new MigrationEngine().decide(spec().expand(EXPAND).build(), null, Observations.none(), T0);
            assertThat(d.phase()).isEqualTo(MigrationPhase.Pending);
            assertThat(d.step()).contains(new Step.Plan());
            assertThat(d.phases()).extracting(p -> p.name).containsExactly(PhaseName.values());
        }

        @Test
        void aRunningStepThatWaitsOnSomethingIsBlockedWithThatReason() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            Decision d = m.laterSeconds(10).decide(waitingOn(CompatibleSchema, Reason.LongTransaction,
                    "CREATE INDEX CONCURRENTLY waits for pid 4242 (analytics, 5m old)"));
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.LongTransaction);
            assertThat(d.message()).contains("pid 4242", "analytics");
            assertThat(d.step()).isEmpty();
            assertThat(d.recheckAt()).contains(T0.plusSeconds(25));

            d = m.laterSeconds(10).decide(running(CompatibleSchema, 1, 2, "building"));
            assertThat(d.state()).isEqualTo(MigrationState.Running);
            assertThat(d.reason()).isEqualTo(Reason.Executing);
        }

        @Test
        void anIdleExecutorDuringARunningPhaseGetsTheSameStepAgainWithoutCountingAnAttempt() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            Decision d = m.laterSeconds(15).decide();
            assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(1);
        }

        @Test
        void aWaitIsRoundedUpToTheSecondSoItIsNeverShortened() {
            Migration m = Migration.of(spec().expand(EXPAND).backfill().waits("1h", "0s", "0s"));
            m.decide();
            Decision d = m.at("2026-05-04T10:00:30.400Z").decide(completed(CompatibleSchema, 2));
            assertThat(d.waitUntil()).contains(at("2026-05-04T11:00:31Z"));
            assertThat(m.phase(Backfill).notBefore).isEqualTo("2026-05-04T11:00:31Z");
        }

        @Test
        void aZeroWaitStartsTheNextPhaseInTheSameRound() {
            Migration m = Migration.of(spec().expand(EXPAND).backfill());
            m.decide();
            Decision d = m.laterSeconds(30).decide(completed(CompatibleSchema, 2));
            assertThat(d.phase()).isEqualTo(MigrationPhase.Backfill);
            assertThat(d.step()).contains(new Step.RunBackfill());
            assertThat(d.acknowledgeStep()).isTrue();
            assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("CompatibleSchema", "succeeded"))
                    .anySatisfy(n -> assertThat(n).contains("Backfill", "started"));
        }

        @Test
        void aRunningBackfillThatWaitsOnReplicationLagIsBlocked() {
            Migration m = Migration.of(spec().backfill());
            m.decide();
            Decision d = m.laterSeconds(5).decide(waitingOn(Backfill, Reason.ReplicationLag,
                    "replica lag 14s > 10s; backfill throttled"));
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.ReplicationLag);
            assertThat(d.message()).contains("14s", "10s");
        }
    }

    @Nested
    class Skipping {
        @Test
        void phasesWithNothingToDoAreSkippedAndTheFirstRealPhaseStartsAtOnce() {
            Migration m = Migration.of(spec().cleanup(CLEANUP));
            Decision d = m.decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);
            assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
            for (PhaseName p : List.of(CompatibleSchema, CodeDeploy, Backfill)) {
                assertThat(m.phase(p).state).isEqualTo(PhaseState.Skipped);
                assertThat(m.phase(p).startedAt).isNull();
            }
            assertThat(m.phase(CompatibleSchema).message).contains("spec.compatibleSchema");
            assertThat(m.phase(CodeDeploy).message).contains("spec.application");
            assertThat(m.phase(Backfill).message).contains("spec.backfill");
        }

        @Test
        void trailingPhasesAreSkippedAndTheMigrationSucceeds() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            Decision d = m.laterSeconds(3).decide(completed(CompatibleSchema, 2));
            assertThat(d.phase()).isEqualTo(MigrationPhase.Succeeded);
            assertThat(d.state()).isEqualTo(MigrationState.Done);
            assertThat(m.status.phases).extracting(p -> p.state).containsExactly(PhaseState.Succeeded,
                    PhaseState.Skipped, PhaseState.Skipped, PhaseState.Skipped);
        }

        @Test
        void aSkippedPhaseCarriesTheWaitOnSoASkipNeverShortensIt() {
            Migration m = Migration.of(spec().expand(EXPAND).backfill().waits("2h", "0s", "0s"));
            m.decide();
            Decision d = m.at("2026-05-04T10:00:30Z").decide(completed(CompatibleSchema, 2));
            assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.Skipped);
            assertThat(d.phase()).isEqualTo(MigrationPhase.Backfill);
            assertThat(d.reason()).isEqualTo(Reason.WaitingPeriod);
            assertThat(d.waitUntil()).contains(at("2026-05-04T12:00:30Z"));
            assertThat(m.phase(Backfill).notBefore).isEqualTo("2026-05-04T12:00:30Z");
            // the message names the wait that really holds: 2h after CompatibleSchema, not CodeDeploy's 0s
            assertThat(d.message()).contains("Backfill", "2026-05-04T12:00:30Z", "2h", "CompatibleSchema")
                    .doesNotContain("0s");

            assertThat(m.at("2026-05-04T12:00:29Z").decide().reason()).isEqualTo(Reason.WaitingPeriod);
            assertThat(m.at("2026-05-04T12:00:30Z").decide().step()).contains(new Step.RunBackfill());
        }

        @Test
        void aWaitCarriedOverTwoSkippedPhasesStillHolds() {
            Migration m = Migration.of(spec().expand(EXPAND).cleanup(CLEANUP).waits("30m", "0s", "0s"));
            m.decide();
            Decision d = m.laterSeconds(60).decide(completed(CompatibleSchema, 2));
            assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);
            assertThat(d.reason()).isEqualTo(Reason.WaitingPeriod);
            assertThat(d.waitUntil()).contains(at("2026-05-04T10:31:00Z"));
            assertThat(d.message()).contains("30m", "CompatibleSchema");
        }
    }

    @Nested
    class CodeDeployObserve {
        Migration m;

        Decision startCodeDeploy(DeploymentObservation deployment) {
            m = Migration.of(spec().expand(EXPAND).observe().cleanup(CLEANUP));
            m.deployment(deployment);
            m.decide();
            return m.laterSeconds(10).decide(completed(CompatibleSchema, 2));
        }

        @Test
        void waitsForRolloutUntilTheTemplateHasTheImage() {
            Decision d = startCodeDeploy(rolledOut(OLD_IMAGE));
            assertThat(d.phase()).isEqualTo(MigrationPhase.CodeDeploy);
            assertThat(d.state()).isEqualTo(MigrationState.Waiting);
            assertThat(d.reason()).isEqualTo(Reason.WaitingForRollout);
            assertThat(d.message()).contains(DEPLOYMENT, NEW_IMAGE, OLD_IMAGE, "api");
            assertThat(d.step()).isEmpty();
            assertThat(d.recheckAt()).contains(T0.plusSeconds(40));
            assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.Running);
            assertThat(m.phase(CodeDeploy).previousImage).isNull();
        }

        @Test
        void reportsProgressWhileTheRolloutRuns() {
            startCodeDeploy(rolledOut(OLD_IMAGE));
            Decision d = m.deployment(rollingOut(NEW_IMAGE, 1, 3, 4)).laterSeconds(30).decide();
            assertThat(d.state()).isEqualTo(MigrationState.Running);
            assertThat(d.reason()).isEqualTo(Reason.RolloutInProgress);
            assertThat(d.message()).contains(DEPLOYMENT, NEW_IMAGE, "1/3 updated", "3/3 available",
                    "3 old replica(s)");
            assertThat(d.recheckAt()).contains(m.now.plusSeconds(15));
        }

        @Test
        void aRolloutTheControllerHasNotSeenYetIsNotComplete() {
            startCodeDeploy(rolledOut(OLD_IMAGE));
            DeploymentObservation stale = new DeploymentObservation(true, "api", List.of("api"), NEW_IMAGE, 5, 4, 3, 3,
                    3, 3, false, 0);
            Decision d = m.deployment(stale).laterSeconds(30).decide();
            assertThat(d.reason()).isEqualTo(Reason.RolloutInProgress);
            assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.Running);
        }

        @Test
        void aCompleteRolloutFinishesThePhase() {
            startCodeDeploy(rolledOut(OLD_IMAGE));
            Decision d = m.deployment(rolledOut(NEW_IMAGE)).laterSeconds(30).decide();
            assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.Succeeded);
            assertThat(m.phase(CodeDeploy).message).contains(DEPLOYMENT, NEW_IMAGE, "3 replica");
            assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);
            assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
            assertThat(d.acknowledgeStep()).isFalse();
        }

        @Test
        void anAlreadyRolledOutImageFinishesThePhaseAtOnce() {
            Decision d = startCodeDeploy(rolledOut(NEW_IMAGE));
            assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.Succeeded);
            assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);
        }

        @Test
        void aRolloutPastItsProgressDeadlineIsBlockedAndDegraded() {
            startCodeDeploy(rolledOut(OLD_IMAGE));
            DeploymentObservation stuck = new DeploymentObservation(true, "api", List.of("api"), NEW_IMAGE, 4, 4, 3, 1,
                    0, 4, true, 0);
            Decision d = m.deployment(stuck).laterSeconds(600).decide();
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.ProgressDeadlineExceeded);
            assertThat(d.degraded()).isTrue();
            assertThat(d.message()).contains(DEPLOYMENT, "progressDeadlineSeconds", "1/3 updated");
            assertThat(d.recheckAt()).contains(m.now.plusSeconds(30));
        }

        @Test
        void aMissingDeploymentIsBlockedAndDegraded() {
            Decision d = startCodeDeploy(DeploymentObservation.missing());
            assertThat(d.phase()).isEqualTo(MigrationPhase.CodeDeploy);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.DeploymentNotFound);
            assertThat(d.degraded()).isTrue();
            assertThat(d.message()).contains(DEPLOYMENT, "spec.application.deployment");
            assertThat(d.recheckAt()).contains(m.now.plusSeconds(30));

            d = m.deployment(null).laterSeconds(30).decide();
            assertThat(d.reason()).isEqualTo(Reason.DeploymentNotFound);
        }

        @Test
        void aNamedContainerThatDoesNotExistIsBlocked() {
            m = Migration.of(spec().expand(EXPAND).observe().container("web"));
            m.deployment(new DeploymentObservation(true, "web", List.of("api", "envoy"), null, 4, 4, 3, 3, 3, 3, false,
                    0));
            m.decide();
            Decision d = m.laterSeconds(10).decide(completed(CompatibleSchema, 2));
            assertThat(d.reason()).isEqualTo(Reason.ContainerNotFound);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.degraded()).isTrue();
            assertThat(d.message()).contains("web", DEPLOYMENT, "api", "envoy");
        }

        @Test
        void severalContainersAndNoContainerNameIsBlocked() {
            Decision d = startCodeDeploy(new DeploymentObservation(true, null, List.of("api", "envoy"), null, 4, 4, 3,
                    3, 3, 3, false, 0));
            assertThat(d.reason()).isEqualTo(Reason.ContainerNotFound);
            assertThat(d.message()).contains(DEPLOYMENT, "2 containers", "api", "envoy",
                    "spec.application.container");
        }

        @Test
        void codeDeployNeedsNeitherTheDatabaseNorAnOpenHealthGate() {
            m = Migration.of(spec().observe());
            m.deployment(rolledOut(OLD_IMAGE))
                    .databaseProblem(new Problem(Reason.DatabaseUnavailable, "connection refused"))
                    .health(HealthGate.closed(Reason.LongTransaction, "pid 7 open for 1h"));
            Decision d = m.decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.CodeDeploy);
            assertThat(d.reason()).isEqualTo(Reason.WaitingForRollout);
        }
    }

    @Nested
    class CodeDeployPatch {
        @Test
        void setsTheImageAndRemembersThePreviousOne() {
            Migration m = Migration.of(spec().patch());
            m.deployment(rolledOut(OLD_IMAGE));
            Decision d = m.decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.CodeDeploy);
            assertThat(d.state()).isEqualTo(MigrationState.Running);
            assertThat(d.reason()).isEqualTo(Reason.RolloutInProgress);
            assertThat(d.step()).contains(new Step.PatchImage(DEPLOYMENT, "api", NEW_IMAGE));
            assertThat(d.message()).contains(NEW_IMAGE, OLD_IMAGE, DEPLOYMENT, "api");
            assertThat(m.phase(CodeDeploy).previousImage).isEqualTo(OLD_IMAGE);

            // the patch has not landed yet: ask again, but keep the image we found first
            d = m.laterSeconds(15).decide();
            assertThat(d.step()).contains(new Step.PatchImage(DEPLOYMENT, "api", NEW_IMAGE));
            assertThat(m.phase(CodeDeploy).previousImage).isEqualTo(OLD_IMAGE);

            d = m.deployment(rollingOut(NEW_IMAGE, 2, 2, 4)).laterSeconds(15).decide();
            assertThat(d.step()).isEmpty();
            assertThat(d.reason()).isEqualTo(Reason.RolloutInProgress);
            assertThat(m.phase(CodeDeploy).previousImage).isEqualTo(OLD_IMAGE);

            d = m.deployment(rolledOut(NEW_IMAGE)).laterSeconds(15).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.Succeeded);
        }
    }

    @Nested
    class CleanupGate {
        Migration m;

        /** Runs up to the wait before Cleanup, then shows the Deployment as given when Cleanup may start. */
        Decision reachCleanup(SpecBuilder spec, DeploymentObservation atCleanup) {
            m = Migration.of(spec.waits("1h", "1h", "0s"));
            m.deployment(rolledOut(NEW_IMAGE));
            m.decide();
            Decision d = m.laterSeconds(10).decide(completed(CompatibleSchema, 2));
            while (d.phase() != MigrationPhase.Cleanup) {
                d = m.at(d.waitUntil().orElseThrow().toString()).decide();
            }
            assertThat(d.reason()).isEqualTo(Reason.WaitingPeriod);
            m.deployment(atCleanup);
            return m.at(d.waitUntil().orElseThrow().toString()).decide();
        }

        @Test
        void holdsWhileOldPodsRun() {
            Decision d = reachCleanup(spec().expand(EXPAND).observe().cleanup(CLEANUP),
                    withOtherImagePods(rolledOut(NEW_IMAGE), 2));
            assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.OldPodsRemaining);
            assertThat(d.degraded()).isFalse();
            assertThat(d.step()).isEmpty();
            assertThat(d.message()).contains("2 pod(s)", DEPLOYMENT, NEW_IMAGE);
            assertThat(d.recheckAt()).contains(m.now.plusSeconds(30));
            assertThat(m.phase(Cleanup).state).isEqualTo(PhaseState.Pending);

            d = m.deployment(rolledOut(NEW_IMAGE)).laterSeconds(30).decide();
            assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
        }

        @Test
        void holdsWhileOldReplicasRemain() {
            Decision d = reachCleanup(spec().expand(EXPAND).observe().cleanup(CLEANUP),
                    rollingOut(NEW_IMAGE, 3, 3, 5));
            assertThat(d.reason()).isEqualTo(Reason.OldPodsRemaining);
            assertThat(d.message()).contains("2 pod(s)");
        }

        @Test
        void holdsWhenThePodTemplateWasRolledBackToAnotherImage() {
            Decision d = reachCleanup(spec().expand(EXPAND).observe().cleanup(CLEANUP), rolledOut(OLD_IMAGE));
            assertThat(d.reason()).isEqualTo(Reason.OldPodsRemaining);
            assertThat(d.message()).contains(NEW_IMAGE, "pod template now has " + OLD_IMAGE);
        }

        @Test
        void aMissingDeploymentIsNoProofAndDegrades() {
            Decision d = reachCleanup(spec().expand(EXPAND).observe().cleanup(CLEANUP),
                    DeploymentObservation.missing());
            assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);
            assertThat(d.reason()).isEqualTo(Reason.DeploymentNotFound);
            assertThat(d.degraded()).isTrue();
            assertThat(d.message()).contains("Cleanup", DEPLOYMENT);
        }

        @Test
        void withoutAnApplicationThereIsNoPodGate() {
            Decision d = reachCleanup(spec().expand(EXPAND).cleanup(CLEANUP), null);
            assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
        }

        @Test
        void cleanupWithoutRollbackSqlIsAnnouncedAsOneWay() {
            Decision d = reachCleanup(spec().expand(EXPAND).cleanup(CLEANUP), null);
            assertThat(m.phase(Cleanup).oneWay).isTrue();
            assertThat(d.notes()).anySatisfy(n -> {
                assertThat(n.reason()).isEqualTo(Reason.Starting);
                assertThat(n.message()).contains("Cleanup", "ONE-WAY", "rollbackSql");
            });
        }

        @Test
        void cleanupWithRollbackSqlIsReversible() {
            Decision d = reachCleanup(spec().expand(EXPAND).cleanup(CLEANUP, CLEANUP_ROLLBACK), null);
            assertThat(m.phase(Cleanup).oneWay).isFalse();
            assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("Cleanup", "reversible"))
                    .noneSatisfy(n -> assertThat(n).contains("ONE-WAY"));
        }
    }

    @Nested
    class Terminal {
        @Test
        void succeededIsTerminalAndIdempotent() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            Decision done = m.laterSeconds(5).decide(completed(CompatibleSchema, 2));
            assertThat(done.phase()).isEqualTo(MigrationPhase.Succeeded);

            for (int i = 0; i < 3; i++) {
                Decision again = m.later(Duration.ofDays(1)).decide();
                assertThat(again.phase()).isEqualTo(MigrationPhase.Succeeded);
                assertThat(again.state()).isEqualTo(MigrationState.Done);
                assertThat(again.reason()).isEqualTo(Reason.Succeeded);
                assertThat(again.message()).isEqualTo(done.message());
                assertThat(again.step()).isEmpty();
                assertThat(again.notes()).isEmpty();
                assertThat(again.acknowledgeStep()).isFalse();
                assertThat(again.nextDeadline()).isEmpty();
                assertThat(again.phases()).extracting(p -> p.state).containsExactly(PhaseState.Succeeded,
                        PhaseState.Skipped, PhaseState.Skipped, PhaseState.Skipped);
            }
        }

        @Test
        void neitherAbortNorSpecProblemsReopenASucceededMigration() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK));
            m.decide();
            m.laterSeconds(5).decide(completed(CompatibleSchema, 2));
            m.specProblems("spec.locks.lockTimeout must be more than 0");
            Decision d = m.edit(s -> s.abort = true).laterSeconds(5).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.Succeeded);
            assertThat(d.step()).isEmpty();
            assertThat(d.rollback()).isNull();
        }
    }

    @Nested
    class WindowGate {
        @Test
        void outsideAWindowWaitsForItsNextOpening() {
            Migration m = Migration.of(spec().expand(EXPAND).window("Sat,Sun", "01:00", "05:00", "Europe/Berlin"));
            Decision d = m.decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.CompatibleSchema);
            assertThat(d.state()).isEqualTo(MigrationState.Waiting);
            assertThat(d.reason()).isEqualTo(Reason.OutsideWindow);
            // Saturday 01:00 CEST is Friday 23:00 UTC
            assertThat(d.waitUntil()).contains(at("2026-05-08T23:00:00Z"));
            assertThat(d.message()).contains("CompatibleSchema", "Sat,Sun 01:00-05:00 Europe/Berlin",
                    "2026-05-08T23:00:00Z");
            assertThat(d.step()).isEmpty();
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Pending);
            assertThat(m.status.waitUntil).isEqualTo("2026-05-08T23:00:00Z");

            assertThat(m.at("2026-05-08T22:59:59Z").decide().reason()).isEqualTo(Reason.OutsideWindow);
            assertThat(m.at("2026-05-08T23:00:00Z").decide().step()).contains(runSql(CompatibleSchema, EXPAND));
        }

        @ParameterizedTest(name = "{0} {1}-{2} {3}, at {4}: next opening {5}")
        @CsvSource({
            // crossing midnight: Friday 22:00 to Saturday 02:00
            "Fri, 22:00, 02:00, UTC, 2026-05-09T01:59:59Z, 2026-05-09T01:59:59Z",
            "Fri, 22:00, 02:00, UTC, 2026-05-09T02:00:00Z, 2026-05-15T22:00:00Z",
            "Fri, 22:00, 02:00, UTC, 2026-05-08T21:00:00Z, 2026-05-08T22:00:00Z",
            // 2026-03-29 Europe/Berlin springs forward at 02:00: 02:30 does not exist, the window opens 03:00 CEST
            "Sun, 02:30, 04:00, Europe/Berlin, 2026-03-28T12:00:00Z, 2026-03-29T01:00:00Z",
            // 2026-10-25 falls back at 03:00: 02:30 happens twice, the window opens at the first (CEST)
            "Sun, 02:30, 04:00, Europe/Berlin, 2026-10-24T12:00:00Z, 2026-10-25T00:30:00Z",
        })
        void theWindowOpensWhenTheCalendarSays(String days, String start, String end, String zone, String now,
                String nextOpen) {
            Migration m = Migration.of(spec().expand(EXPAND).window(days, start, end, zone)).at(now);
            Decision d = m.decide();
            if (now.equals(nextOpen)) {
                assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
            } else {
                assertThat(d.reason()).isEqualTo(Reason.OutsideWindow);
                assertThat(d.waitUntil()).contains(at(nextOpen));
                assertThat(d.message()).contains(nextOpen);
                assertThat(m.at(nextOpen).decide().step()).contains(runSql(CompatibleSchema, EXPAND));
            }
        }

        @Test
        void aRunningStepIsNotStoppedWhenTheWindowCloses() {
            Migration m = Migration.of(spec().expand(EXPAND).window("Fri", "22:00", "02:00", "UTC"))
                    .at("2026-05-09T01:59:00Z");
            m.decide();
            Decision d = m.at("2026-05-09T02:10:00Z").decide(running(CompatibleSchema, 1, 2, "building index"));
            assertThat(d.state()).isEqualTo(MigrationState.Running);
            assertThat(d.reason()).isEqualTo(Reason.Executing);
        }

        @Test
        void aRetryWaitsForTheWindowToo() {
            Migration m = Migration.of(spec().expand(EXPAND).window("Fri", "22:00", "02:00", "UTC"))
                    .at("2026-05-09T01:58:00Z");
            m.decide();
            m.at("2026-05-09T01:59:00Z").decide(failed(CompatibleSchema, 0, Reason.RunnerBusy,
                    "another migration holds the runner lock", true));
            Decision d = m.at("2026-05-09T02:00:00Z").decide();
            assertThat(d.reason()).isEqualTo(Reason.OutsideWindow);
            assertThat(d.waitUntil()).contains(at("2026-05-15T22:00:00Z"));
            assertThat(d.step()).isEmpty();
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(1);

            d = m.at("2026-05-15T22:00:00Z").decide();
            assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(2);
        }
    }

    @Nested
    class Pausing {
        @Test
        void pausedBeforeAPhaseStartsNothing() {
            Migration m = Migration.of(spec().expand(EXPAND).paused());
            Decision d = m.decide();
            assertThat(d.state()).isEqualTo(MigrationState.Paused);
            assertThat(d.reason()).isEqualTo(Reason.Paused);
            assertThat(d.message()).contains("CompatibleSchema", "spec.paused");
            assertThat(d.step()).isEmpty();
            assertThat(d.degraded()).isFalse();
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Pending);

            d = m.edit(s -> s.paused = false).laterSeconds(60).decide();
            assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
        }

        @Test
        void aStepStoppedByPauseHasNoCoolDownAndResumesAsTheNextAttempt() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            m.edit(s -> s.paused = true);
            // the engine does not stop the step itself: the reconciler asks the executor to stop at a safe point
            Decision d = m.laterSeconds(5).decide(running(CompatibleSchema, 1, 2, "between statements"));
            assertThat(d.state()).isEqualTo(MigrationState.Running);
            assertThat(d.step()).isEmpty();

            d = m.laterSeconds(1).decide(failed(CompatibleSchema, 1, Reason.Paused, "stopped after statement 1 of 2",
                    true));
            assertThat(d.acknowledgeStep()).isTrue();
            assertThat(d.state()).isEqualTo(MigrationState.Paused);
            assertThat(d.reason()).isEqualTo(Reason.Paused);
            assertThat(d.waitUntil()).isEmpty();
            assertThat(d.step()).isEmpty();
            assertThat(m.phase(CompatibleSchema).statementsDone).isEqualTo(1);
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Running);
            assertThat(d.notes()).noneSatisfy(n -> assertThat(n.message()).contains("ended"));

            d = m.edit(s -> s.paused = false).laterSeconds(60).decide();
            assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(2);
            assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("attempt 2"));
        }

        @Test
        void aStepStoppedByPauseAtAFractionalInstantIsPausedNotBackingOff() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            m.edit(s -> s.paused = true);
            Decision d = m.at("2026-05-04T10:00:05.500Z").decide(failed(CompatibleSchema, 1, Reason.Paused,
                    "stopped after statement 1 of 2", true));
            assertThat(d.state()).isEqualTo(MigrationState.Paused);
            assertThat(d.reason()).isEqualTo(Reason.Paused);
        }
    }

    @Nested
    class SpecChanges {
        Migration m;

        @Test
        void anEditedPhaseIsRefusedUntilItIsPutBack() {
            m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).backfill());
            m.decide();
            m.laterSeconds(5).decide(running(CompatibleSchema, 1, 2, "building"));
            m.edit(s -> s.compatibleSchema.sql = EXPAND + "\nALTER TABLE orders ADD COLUMN note text;");

            Decision d = m.laterSeconds(5).decide(completed(CompatibleSchema, 2));
            assertThat(d.phase()).isEqualTo(MigrationPhase.CompatibleSchema);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.SpecChangedAfterStart);
            assertThat(d.degraded()).isTrue();
            assertThat(d.step()).isEmpty();
            assertThat(d.acknowledgeStep()).isFalse();
            assertThat(d.message()).contains("spec.compatibleSchema", "CompatibleSchema", "1 statement(s)",
                    "spec.abort");
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Running);

            m.edit(s -> s.compatibleSchema.sql = EXPAND);
            d = m.laterSeconds(5).decide(completed(CompatibleSchema, 2));
            assertThat(d.degraded()).isFalse();
            assertThat(d.acknowledgeStep()).isTrue();
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Succeeded);
            assertThat(d.step()).contains(new Step.RunBackfill());
        }

        @Test
        void rollbackSqlAndTuningKnobsMayChangeMidWay() {
            m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).backfill());
            m.decide();
            m.edit(s -> s.compatibleSchema.rollbackSql = "ALTER TABLE orders DROP COLUMN IF EXISTS status_v2;");
            assertThat(m.laterSeconds(5).decide(running(CompatibleSchema, 1, 2, "x")).reason())
                    .isEqualTo(Reason.Executing);
            m.laterSeconds(5).decide(completed(CompatibleSchema, 2));
            m.edit(s -> {
                s.backfill.batchSize = 500;
                s.backfill.targetBatchDuration = "100ms";
                s.locks.lockTimeout = "200ms";
            });
            assertThat(m.laterSeconds(5).decide(running(Backfill, 0, 0, "batch 3")).reason())
                    .isEqualTo(Reason.BackfillRunning);
        }

        @Test
        void anotherImageAfterTheRolloutStartedIsRefused() {
            m = Migration.of(spec().observe());
            m.deployment(rolledOut(OLD_IMAGE));
            m.decide();
            Decision d = m.edit(s -> s.application.image = "registry.example/orders-api:3.0").laterSeconds(5).decide();
            assertThat(d.reason()).isEqualTo(Reason.SpecChangedAfterStart);
            assertThat(d.message()).contains("spec.application", "CodeDeploy");
            d = m.edit(s -> s.application.image = NEW_IMAGE).laterSeconds(5).decide();
            assertThat(d.reason()).isEqualTo(Reason.WaitingForRollout);
            assertThat(d.degraded()).isFalse();
        }

        @Test
        void anEditReversedDuringACoolDownDoesNotKeepSayingSpecChanged() {
            m = Migration.of(spec().expand(EXPAND));
            m.decide();
            m.laterSeconds(10).decide(failed(CompatibleSchema, 1, Reason.LockRetriesExhausted,
                    "lock_timeout on orders 10 times", true));
            Decision d = m.edit(s -> s.compatibleSchema.sql = "SELECT 1").laterSeconds(5).decide();
            assertThat(d.reason()).isEqualTo(Reason.SpecChangedAfterStart);
            d = m.edit(s -> s.compatibleSchema.sql = EXPAND).laterSeconds(5).decide();
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isNotEqualTo(Reason.SpecChangedAfterStart);
            assertThat(d.degraded()).isFalse();
            assertThat(d.waitUntil()).contains(at("2026-05-04T10:01:10Z"));
            assertThat(d.message()).contains("lock_timeout on orders");
        }
    }

    @Nested
    class InvalidSpec {
        @Test
        void specProblemsBlockBeforeAnythingStarts() {
            Migration m = Migration.of(spec().expand(EXPAND))
                    .specProblems("spec.locks.lockTimeout must be more than 0 (got \"0\")",
                            "spec.windows[0]: invalid start \"25:00\"");
            Decision d = m.decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.Pending);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.InvalidSpec);
            assertThat(d.degraded()).isTrue();
            assertThat(d.step()).isEmpty();
            assertThat(d.message()).contains("spec.locks.lockTimeout", "spec.windows[0]", "25:00");
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Pending);

            d = m.specProblems().laterSeconds(5).decide();
            assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
        }

        @Test
        void specProblemsMidWayLeaveAFinishedStepUnrecorded() {
            Migration m = Migration.of(spec().expand(EXPAND).backfill());
            m.decide();
            Decision d = m.specProblems("spec.backfill.keyColumn must be a column name (got nothing)").laterSeconds(5)
                    .decide(completed(CompatibleSchema, 2));
            assertThat(d.reason()).isEqualTo(Reason.InvalidSpec);
            assertThat(d.phase()).isEqualTo(MigrationPhase.CompatibleSchema);
            assertThat(d.acknowledgeStep()).isFalse();
            assertThat(d.step()).isEmpty();
        }
    }

    @Nested
    class DatabaseAccess {
        @ParameterizedTest
        @EnumSource(value = Reason.class, names = {"SecretNotFound", "SecretInvalid", "DatabaseUnavailable",
            "AuthenticationFailed", "PermissionDenied"})
        void aDatabaseProblemBlocksAndIsRecheckedLater(Reason reason) {
            Migration m = Migration.of(spec().expand(EXPAND))
                    .databaseProblem(new Problem(reason, "Secret orders-db: something about " + reason));
            Decision d = m.decide();
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(reason);
            assertThat(d.message()).contains("orders-db", reason.name());
            assertThat(d.degraded()).isTrue();
            assertThat(d.step()).isEmpty();
            assertThat(d.recheckAt()).contains(T0.plusSeconds(30));
            assertThat(d.nextDeadline()).contains(T0.plusSeconds(30));

            d = m.databaseProblem(null).laterSeconds(30).decide();
            assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
            assertThat(d.degraded()).isFalse();
        }
    }

    @Nested
    class HealthGateClosed {
        @Test
        void aClosedGateHoldsThePhaseAndPassesTheReasonOn() {
            Migration m = Migration.of(spec().expand(EXPAND))
                    .health(HealthGate.closed(Reason.IdleInTransaction,
                            "pid 4242 (billing-batch) idle in transaction for 1h"));
            Decision d = m.decide();
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.IdleInTransaction);
            assertThat(d.message()).contains("CompatibleSchema", "pid 4242", "billing-batch", "1h");
            assertThat(d.degraded()).isFalse();
            assertThat(d.step()).isEmpty();
            assertThat(d.recheckAt()).contains(T0.plusSeconds(5));
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Pending);

            d = m.health(HealthGate.opened()).laterSeconds(5).decide();
            assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
        }

        @Test
        void theGateIsCheckedBeforeEveryAttempt() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            m.laterSeconds(5).decide(failed(CompatibleSchema, 0, Reason.DatabaseUnavailable, "connection reset",
                    true));
            Decision d = m.health(HealthGate.closed(Reason.ReplicationLag, "replica orders-db-replica lag 14s > 10s"))
                    .laterSeconds(20).decide();
            assertThat(d.reason()).isEqualTo(Reason.ReplicationLag);
            assertThat(d.step()).isEmpty();
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(1);
            d = m.health(HealthGate.opened()).laterSeconds(5).decide();
            assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(2);
        }
    }

    @Nested
    class Retries {
        @Test
        void aRetryableFailureCoolsDownThenStartsTheNextAttempt() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            Instant failedAt = at("2026-05-04T10:00:10Z");
            Decision d = m.at("2026-05-04T10:00:10Z").decide(failed(CompatibleSchema, 1, Reason.LockRetriesExhausted,
                    "lock_timeout 500ms on orders, 10 retries", true));
            Instant next = failedAt.plus(Backoff.cooldown(Reason.LockRetriesExhausted, 1));
            assertThat(next).isEqualTo(at("2026-05-04T10:01:10Z"));
            assertThat(d.acknowledgeStep()).isTrue();
            assertThat(d.phase()).isEqualTo(MigrationPhase.CompatibleSchema);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.LockRetriesExhausted);
            assertThat(d.waitUntil()).contains(next);
            assertThat(d.step()).isEmpty();
            assertThat(d.message()).contains("lock_timeout 500ms on orders", "attempt 1", "2026-05-04T10:01:10Z");
            assertThat(d.notes()).anySatisfy(n -> {
                assertThat(n.warning()).isTrue();
                assertThat(n.reason()).isEqualTo(Reason.LockRetriesExhausted);
                assertThat(n.message()).contains("CompatibleSchema", "attempt 1", "2026-05-04T10:01:10Z");
            });
            PhaseStatus rec = m.phase(CompatibleSchema);
            assertThat(rec.state).isEqualTo(PhaseState.Running);
            assertThat(rec.nextAttemptAt).isEqualTo("2026-05-04T10:01:10Z");
            assertThat(rec.statementsDone).isEqualTo(1);

            d = m.at("2026-05-04T10:00:40Z").decide();
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.LockRetriesExhausted);
            assertThat(d.waitUntil()).contains(next);
            assertThat(d.step()).isEmpty();
            assertThat(d.notes()).isEmpty();
            assertThat(d.acknowledgeStep()).isFalse();

            d = m.at("2026-05-04T10:01:09Z").decide();
            assertThat(d.step()).isEmpty();

            d = m.at("2026-05-04T10:01:10Z").decide();
            assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
            assertThat(d.state()).isEqualTo(MigrationState.Running);
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(2);
            assertThat(m.phase(CompatibleSchema).nextAttemptAt).isNull();
            assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("CompatibleSchema", "attempt 2"));

            // the second failure cools down twice as long
            d = m.at("2026-05-04T10:01:20Z").decide(failed(CompatibleSchema, 1, Reason.LockRetriesExhausted,
                    "lock_timeout again", true));
            assertThat(d.waitUntil()).contains(at("2026-05-04T10:03:20Z"));
            assertThat(d.message()).contains("attempt 2");
        }

        @Test
        void aBusyRunnerIsRetriedSoon() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            Decision d = m.at("2026-05-04T10:00:10.250Z").decide(failed(CompatibleSchema, 0, Reason.RunnerBusy,
                    "migration shop/other holds the runner lock of orders-db", true));
            assertThat(d.reason()).isEqualTo(Reason.RunnerBusy);
            // 5 s, rounded up to the next whole second
            assertThat(d.waitUntil()).contains(at("2026-05-04T10:00:16Z"));
            assertThat(d.message()).contains("shop/other");
            assertThat(m.at("2026-05-04T10:00:16Z").decide().step()).contains(runSql(CompatibleSchema, EXPAND));
        }

        @Test
        void aDatabaseOutageUsesTheAccessBackoff() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            Decision d = m.laterSeconds(10).decide(failed(CompatibleSchema, 0, Reason.DatabaseUnavailable,
                    "connection refused", true));
            assertThat(d.waitUntil()).contains(T0.plusSeconds(25));
        }
    }

    @Nested
    class Failures {
        @Test
        void aFailureThatAppliedNothingWaitsForASpecFixAndThenRetries() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).backfill());
            m.decide();
            Decision d = m.laterSeconds(5).decide(failed(CompatibleSchema, 0, Reason.SqlError,
                    "ERROR: relation \"orders\" does not exist", false));
            assertThat(d.acknowledgeStep()).isTrue();
            assertThat(d.phase()).as("not terminal: nothing was applied").isEqualTo(MigrationPhase.CompatibleSchema);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.SqlError);
            assertThat(d.degraded()).isTrue();
            assertThat(d.step()).isEmpty();
            assertThat(d.rollback()).isNull();
            assertThat(d.message()).contains("CompatibleSchema", "relation \"orders\" does not exist",
                    "nothing of this phase was applied", "Edit the spec to fix it");
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Running);
            assertThat(m.phase(CompatibleSchema).awaitingSpecFix).isEqualTo(Reason.SqlError);
            assertThat(d.notes()).anySatisfy(n -> {
                assertThat(n.warning()).isTrue();
                assertThat(n.message()).contains("CompatibleSchema", "failed");
            });

            Decision again = m.laterSeconds(600).decide();
            assertThat(again.phase()).isEqualTo(MigrationPhase.CompatibleSchema);
            assertThat(again.reason()).isEqualTo(Reason.SqlError);
            assertThat(again.step()).as("the same spec is not tried again").isEmpty();
            assertThat(again.notes()).as("no Event while nothing changes").isEmpty();

            String fixed = "CREATE TABLE orders (id bigint PRIMARY KEY);\n" + EXPAND;
            Decision retry = m.edit(s -> s.compatibleSchema.sql = fixed).laterSeconds(5).decide();
            assertThat(retry.state()).isEqualTo(MigrationState.Running);
            assertThat(retry.step()).contains(runSql(CompatibleSchema, fixed));
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(2);
            assertThat(m.phase(CompatibleSchema).awaitingSpecFix).isNull();
            assertThat(retry.reason()).isNotEqualTo(Reason.SpecChangedAfterStart);
        }

        @Test
        void aRollbackThatWouldDropPreexistingObjectsIsHeldNotRun() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).backfill());
            m.decide();
            Decision d = m.laterSeconds(5).decide(failed(CompatibleSchema, 1, Reason.RollbackHeld,
                    "statement 2/2: ERROR ...; automatic rollback held: its rollbackSql would drop column"
                            + " orders.status_v2, which existed before this phase started", false));
            assertThat(d.phase()).isEqualTo(MigrationPhase.CompatibleSchema);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.RollbackHeld);
            assertThat(d.rollback()).as("no automatic rollback").isNull();
            assertThat(d.step()).isEmpty();
            assertThat(d.message()).contains("orders.status_v2", "1 statement(s) of this phase stay applied",
                    "spec.abort to run its rollbackSql as written");

            Decision abort = m.edit(s -> s.abort = true).laterSeconds(5).decide();
            assertThat(abort.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(abort.rollback().cause).isEqualTo(Reason.Aborting);
            assertThat(abort.step()).as("a person asked for it: the rollback runs as written")
                    .contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
        }

        @Test
        void aFailureAfterStatementsWithoutRollbackSqlSaysWhatRemains() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            Decision d = m.laterSeconds(5).decide(failed(CompatibleSchema, 1, Reason.SqlError,
                    "ERROR: column \"status_v2\" already exists", false));
            assertThat(d.phase()).isEqualTo(MigrationPhase.Failed);
            assertThat(d.message()).contains("1 statement(s)", "no rollbackSql", "status_v2");
            assertThat(d.rollback()).isNull();
        }

        @Test
        void aFailureAfterStatementsRollsBackThatPhaseOnly() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).cleanup(CLEANUP, CLEANUP_ROLLBACK));
            m.decide();
            Decision d = m.laterSeconds(5).decide(completed(CompatibleSchema, 2));
            assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));

            d = m.laterSeconds(5).decide(new StepObservation.Failed(Cleanup, false, 1, Reason.SqlError,
                    "ERROR: cannot drop column status because view orders_v depends on it", false));
            assertThat(d.acknowledgeStep()).isTrue();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.state()).isEqualTo(MigrationState.Running);
            assertThat(d.reason()).isEqualTo(Reason.RollingBack);
            assertThat(d.step()).contains(rollbackSql(Cleanup, CLEANUP_ROLLBACK));
            assertThat(d.rollback().cause).isEqualTo(Reason.SqlError);
            assertThat(d.rollback().causeMessage).contains("Cleanup", "orders_v");
            assertThat(d.rollback().phases).containsExactly(Cleanup);
            assertThat(d.rollback().startedAt).isEqualTo(Instant.parse("2026-05-04T10:00:10Z").toString());
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Succeeded);

            d = m.laterSeconds(5).decide(rollbackRunning(Cleanup, null, "statement 1 of 1"));
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.reason()).isEqualTo(Reason.RollingBack);
            assertThat(d.message()).contains("Cleanup", "statement 1 of 1");

            d = m.laterSeconds(5).decide(rollbackCompleted(Cleanup));
            assertThat(d.acknowledgeStep()).isTrue();
            assertThat(d.phase()).isEqualTo(MigrationPhase.Failed);
            assertThat(d.state()).isEqualTo(MigrationState.Done);
            assertThat(d.reason()).isEqualTo(Reason.SqlError);
            assertThat(d.degraded()).isTrue();
            assertThat(d.message()).contains("Cleanup", "orders_v", "rolled back");
            assertThat(m.phase(Cleanup).state).isEqualTo(PhaseState.RolledBack);
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Succeeded);
            assertThat(m.status.rollback.cause).isEqualTo(Reason.SqlError);
        }
    }

    @Nested
    class Abort {
        @Test
        void abortCancelsTheRunningStepThenRollsBackNewestFirst() {
            Migration m = fullMigrationAt(Cleanup);
            assertThat(m.status.phase).isEqualTo(MigrationPhase.Cleanup);
            m.edit(s -> s.abort = true);

            Decision d = m.laterSeconds(5).decide(running(Cleanup, 0, 1, "ALTER TABLE orders DROP COLUMN status"));
            assertThat(d.step()).contains(new Step.Cancel());
            assertThat(d.state()).isEqualTo(MigrationState.Running);
            assertThat(d.reason()).isEqualTo(Reason.Aborting);
            assertThat(d.message()).contains("Cleanup");
            assertThat(d.acknowledgeStep()).isFalse();
            assertThat(d.phase()).isEqualTo(MigrationPhase.Cleanup);

            d = m.laterSeconds(1).decide(failed(Cleanup, 0, Reason.Aborting, "cancelled", true));
            assertThat(d.acknowledgeStep()).isTrue();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.rollback().cause).isEqualTo(Reason.Aborting);
            assertThat(d.rollback().causeMessage).contains("spec.abort");
            assertThat(d.rollback().phases).containsExactly(Cleanup, Backfill, CodeDeploy, CompatibleSchema);
            assertThat(d.step()).contains(rollbackSql(Cleanup, CLEANUP_ROLLBACK));
            assertThat(d.notes()).anySatisfy(n -> {
                assertThat(n.warning()).isTrue();
                assertThat(n.reason()).isEqualTo(Reason.Aborting);
                assertThat(n.message()).contains("Cleanup", "CompatibleSchema", "spec.abort");
            });

            d = m.laterSeconds(5).decide(rollbackCompleted(Cleanup));
            assertThat(d.acknowledgeStep()).isTrue();
            // Observe mode: the expand is not undone while the new code still runs; GitOps must revert it first.
            assertThat(d.step()).isEmpty();
            assertThat(d.state()).isEqualTo(MigrationState.Waiting);
            assertThat(d.reason()).isEqualTo(Reason.WaitingForRollout);
            assertThat(d.message()).contains(DEPLOYMENT, NEW_IMAGE, "GitOps");
            assertThat(m.phase(Cleanup).state).isEqualTo(PhaseState.RolledBack);
            assertThat(m.phase(Backfill).state).isEqualTo(PhaseState.RolledBack);
            assertThat(m.phase(Backfill).message).contains("not reverted");

            d = m.deployment(rolledOut(OLD_IMAGE)).laterSeconds(5).decide();
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.RolledBack);
            assertThat(m.phase(CodeDeploy).message).contains(DEPLOYMENT, OLD_IMAGE, "again");
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Succeeded);

            d = m.laterSeconds(5).decide(rollbackCompleted(CompatibleSchema));
            assertThat(d.phase()).isEqualTo(MigrationPhase.RolledBack);
            assertThat(d.state()).isEqualTo(MigrationState.Done);
            assertThat(d.reason()).isEqualTo(Reason.RolledBack);
            assertThat(d.degraded()).isFalse();
            assertThat(d.message()).contains("Cleanup", "Backfill", "CodeDeploy", "CompatibleSchema", "spec.abort");
            assertThat(m.status.phases).extracting(p -> p.state).containsOnly(PhaseState.RolledBack);

            Decision again = m.laterSeconds(60).decide();
            assertThat(again.phase()).isEqualTo(MigrationPhase.RolledBack);
            assertThat(again.step()).isEmpty();
            assertThat(again.notes()).isEmpty();
        }

        @Test
        void aStepThatFinishedWhileTheAbortCameInStillCounts() {
            Migration m = fullMigrationAt(CompatibleSchema);
            Decision d = m.edit(s -> s.abort = true).laterSeconds(5).decide(completed(CompatibleSchema, 2));
            assertThat(d.acknowledgeStep()).isTrue();
            assertThat(d.rollback().phases).containsExactly(CompatibleSchema);
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
            assertThat(m.phase(CompatibleSchema).statementsDone).isEqualTo(2);
        }

        @Test
        void phasesWithoutRollbackSqlAreMarkedWithWhatRemains() {
            Migration m = Migration.of(spec().expand(EXPAND).observe());
            m.deployment(rolledOut(OLD_IMAGE));
            m.decide();
            m.laterSeconds(10).decide(completed(CompatibleSchema, 2));
            Decision d = m.edit(s -> s.abort = true).laterSeconds(10).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RolledBack);
            assertThat(d.rollback().phases).containsExactly(CodeDeploy, CompatibleSchema);
            assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.RolledBack);
            assertThat(m.phase(CompatibleSchema).message).contains("spec.compatibleSchema.rollbackSql", "2 applied");
            assertThat(d.notes()).anySatisfy(n -> {
                assertThat(n.warning()).isTrue();
                assertThat(n.message()).contains("CompatibleSchema", "no rollbackSql");
            });
        }

        @Test
        void patchModeRestoresThePreviousImageBeforeOlderPhasesRollBack() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).patch());
            m.deployment(rolledOut(OLD_IMAGE));
            m.decide();
            Decision d = m.laterSeconds(10).decide(completed(CompatibleSchema, 2));
            assertThat(d.step()).contains(new Step.PatchImage(DEPLOYMENT, "api", NEW_IMAGE));
            m.deployment(rollingOut(NEW_IMAGE, 1, 2, 4));

            d = m.edit(s -> s.abort = true).laterSeconds(10).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.rollback().phases).containsExactly(CodeDeploy, CompatibleSchema);
            assertThat(d.step()).contains(new Step.PatchImage(DEPLOYMENT, "api", OLD_IMAGE));
            assertThat(d.reason()).isEqualTo(Reason.RollingBack);
            assertThat(d.message()).contains(OLD_IMAGE, DEPLOYMENT);

            // the old image is back in the template, but pods of the new code still run: the schema stays
            d = m.deployment(rollingOut(OLD_IMAGE, 1, 3, 4)).laterSeconds(10).decide();
            assertThat(d.step()).isEmpty();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.message()).contains(DEPLOYMENT, OLD_IMAGE, "1/3 updated");
            assertThat(m.phase(CodeDeploy).state).isNotEqualTo(PhaseState.RolledBack);

            d = m.deployment(rolledOut(OLD_IMAGE)).laterSeconds(10).decide();
            assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.RolledBack);
            assertThat(m.phase(CodeDeploy).message).contains(OLD_IMAGE, "restored");
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
        }

        @Test
        void patchModeRollbackDoesNotClaimARestoreWhenTheDeploymentIsGone() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).patch());
            m.deployment(rolledOut(OLD_IMAGE));
            m.decide();
            m.laterSeconds(10).decide(completed(CompatibleSchema, 2));
            m.deployment(DeploymentObservation.missing());
            m.edit(s -> s.abort = true).laterSeconds(10).decide();
            assertThat(m.phase(CodeDeploy).state).isEqualTo(PhaseState.RolledBack);
            assertThat(m.phase(CodeDeploy).message).contains(DEPLOYMENT, "not found").doesNotContain("restored on");
        }

        @Test
        void theAbortAnnotationAbortsLikeTheSpecField() {
            Migration m = fullMigrationAt(CodeDeploy);
            Decision d = m.abortAnnotation(true).laterSeconds(10).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.rollback().cause).isEqualTo(Reason.Aborting);
            assertThat(d.rollback().causeMessage).contains("phasegate.dev/abort");
            assertThat(d.rollback().phases).containsExactly(CodeDeploy, CompatibleSchema);
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
        }

        @Test
        void abortBeforeAnythingStartedEndsRolledBackAtOnce() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).abort());
            Decision d = m.decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RolledBack);
            assertThat(d.state()).isEqualTo(MigrationState.Done);
            assertThat(d.step()).isEmpty();
            assertThat(d.rollback().phases).isEmpty();
            assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("nothing"));
        }

        @Test
        void abortDuringAWaitRollsBackAtOnce() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).backfill().waits("1h", "0s", "0s"));
            m.decide();
            assertThat(m.laterSeconds(10).decide(completed(CompatibleSchema, 2)).reason())
                    .isEqualTo(Reason.WaitingPeriod);
            Decision d = m.edit(s -> s.abort = true).laterSeconds(10).decide();
            assertThat(d.rollback().phases).containsExactly(CompatibleSchema);
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
            assertThat(d.waitUntil()).isEmpty();
        }

        @Test
        void abortAfterAFailureRollsBackWhatRan() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).backfill());
            m.decide();
            m.laterSeconds(10).decide(completed(CompatibleSchema, 2));
            Decision d = m.laterSeconds(10).decide(failed(Backfill, 0, Reason.Unsupported,
                    "the batched backfill executor is not available in this version", false));
            assertThat(d.phase()).isEqualTo(MigrationPhase.Backfill);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);

            d = m.edit(s -> s.abort = true).laterSeconds(10).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.rollback().cause).isEqualTo(Reason.Aborting);
            assertThat(d.rollback().causeMessage).as("the held phase is not terminal: a plain abort").contains("spec.abort");
            assertThat(d.rollback().phases).containsExactly(Backfill, CompatibleSchema);
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));

            d = m.laterSeconds(10).decide(rollbackCompleted(CompatibleSchema));
            assertThat(d.phase()).isEqualTo(MigrationPhase.RolledBack);
            assertThat(d.reason()).isEqualTo(Reason.RolledBack);
        }

        @Test
        void abortAfterAFailureThatRolledBackItsOwnPhaseRollsBackTheEarlierOnes() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).cleanup(CLEANUP, CLEANUP_ROLLBACK));
            m.decide();
            m.laterSeconds(5).decide(completed(CompatibleSchema, 2));
            m.laterSeconds(5).decide(failed(Cleanup, 1, Reason.SqlError, "view orders_v depends on it", false));
            Decision d = m.laterSeconds(5).decide(rollbackCompleted(Cleanup));
            assertThat(d.phase()).isEqualTo(MigrationPhase.Failed);

            d = m.edit(s -> s.abort = true).laterSeconds(5).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.rollback().cause).isEqualTo(Reason.Aborting);
            assertThat(d.rollback().phases).containsExactly(CompatibleSchema);
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));

            d = m.laterSeconds(5).decide(rollbackCompleted(CompatibleSchema));
            assertThat(d.phase()).isEqualTo(MigrationPhase.RolledBack);
            assertThat(m.status.phases).extracting(p -> p.state).containsExactly(PhaseState.RolledBack,
                    PhaseState.Skipped, PhaseState.Skipped, PhaseState.RolledBack);
        }

        @Test
        void abortWhileAFailedPhaseIsRolledBackGoesOnWithTheRestOnceItIsDone() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).cleanup(CLEANUP, CLEANUP_ROLLBACK));
            m.decide();
            m.laterSeconds(5).decide(completed(CompatibleSchema, 2));
            m.laterSeconds(5).decide(failed(Cleanup, 1, Reason.SqlError, "view orders_v depends on it", false));
            m.edit(s -> s.abort = true);

            Decision d = m.laterSeconds(5).decide(rollbackRunning(Cleanup, null, "statement 1 of 1"));
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.step()).isEmpty();
            assertThat(d.rollback().phases).containsExactly(Cleanup);

            d = m.laterSeconds(5).decide(rollbackCompleted(Cleanup));
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.rollback().cause).isEqualTo(Reason.Aborting);
            assertThat(d.rollback().causeMessage).contains("orders_v");
            assertThat(d.rollback().phases).containsExactly(CompatibleSchema);
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));

            d = m.laterSeconds(5).decide(rollbackCompleted(CompatibleSchema));
            assertThat(d.phase()).isEqualTo(MigrationPhase.RolledBack);
        }

        @Test
        void abortAfterAFailedRollbackTriesThatRollbackAgain() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).cleanup(CLEANUP, CLEANUP_ROLLBACK));
            m.decide();
            m.laterSeconds(5).decide(completed(CompatibleSchema, 2));
            m.laterSeconds(5).decide(failed(Cleanup, 1, Reason.SqlError, "view orders_v depends on it", false));
            Decision d = m.laterSeconds(5).decide(rollbackFailed(Cleanup, Reason.SqlError, "column status exists",
                    false));
            assertThat(d.phase()).isEqualTo(MigrationPhase.Failed);
            assertThat(d.reason()).isEqualTo(Reason.RollbackFailed);

            m.edit(s -> s.cleanup.rollbackSql = "SELECT 1;");
            d = m.edit(s -> s.abort = true).laterSeconds(60).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.rollback().phases).containsExactly(Cleanup, CompatibleSchema);
            assertThat(d.step()).contains(rollbackSql(Cleanup, "SELECT 1;"));
        }

        @Test
        void abortDuringACoolDownRollsBackWithoutWaiting() {
            Migration m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK));
            m.decide();
            m.laterSeconds(5).decide(failed(CompatibleSchema, 1, Reason.LockRetriesExhausted, "lock_timeout", true));
            Decision d = m.edit(s -> s.abort = true).laterSeconds(5).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
            assertThat(m.phase(CompatibleSchema).nextAttemptAt).isNull();
        }
    }

    @Nested
    class RollbackTrouble {
        Migration m;

        Decision abortAfterExpand() {
            m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).backfill().waits("1h", "0s", "0s"));
            m.decide();
            m.laterSeconds(10).decide(completed(CompatibleSchema, 2));
            return m.edit(s -> s.abort = true).laterSeconds(10).decide();
        }

        @Test
        void aRetryableRollbackFailureCoolsDownAndTriesAgain() {
            Decision d = abortAfterExpand();
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(1);

            d = m.at("2026-05-04T10:01:00Z").decide(rollbackFailed(CompatibleSchema, Reason.LockRetriesExhausted,
                    "lock_timeout on orders", true));
            assertThat(d.acknowledgeStep()).isTrue();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.LockRetriesExhausted);
            assertThat(d.waitUntil()).contains(at("2026-05-04T10:02:00Z"));
            assertThat(d.message()).contains("CompatibleSchema", "lock_timeout on orders", "2026-05-04T10:02:00Z");
            assertThat(d.step()).isEmpty();
            assertThat(d.notes()).anySatisfy(n -> assertThat(n.message()).contains("rollback", "CompatibleSchema"));

            d = m.at("2026-05-04T10:01:30Z").decide();
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.LockRetriesExhausted);
            assertThat(d.step()).isEmpty();

            d = m.at("2026-05-04T10:02:00Z").decide();
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(2);
        }

        @Test
        void aRollbackAttemptIsCountedOnceWhileTheExecutorHasNotPickedItUp() {
            abortAfterExpand();
            Decision d = m.laterSeconds(15).decide();
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
            assertThat(m.phase(CompatibleSchema).attempts).isEqualTo(1);
        }

        @Test
        void aNonRetryableRollbackFailureFailsTheMigrationForGood() {
            abortAfterExpand();
            Decision d = m.laterSeconds(10).decide(rollbackFailed(CompatibleSchema, Reason.SqlError,
                    "ERROR: cannot drop column status_v2 because other objects depend on it", false));
            assertThat(d.phase()).isEqualTo(MigrationPhase.Failed);
            assertThat(d.state()).isEqualTo(MigrationState.Done);
            assertThat(d.reason()).isEqualTo(Reason.RollbackFailed);
            assertThat(d.degraded()).isTrue();
            assertThat(d.message()).contains("CompatibleSchema", "other objects depend on it",
                    "spec.compatibleSchema.rollbackSql");
            assertThat(d.notes()).anySatisfy(n -> assertThat(n.reason()).isEqualTo(Reason.RollbackFailed));
            assertThat(m.phase(CompatibleSchema).message).contains("other objects depend on it");

            // abort is still set: no endless restart of a failed abort
            Decision again = m.laterSeconds(60).decide();
            assertThat(again.phase()).isEqualTo(MigrationPhase.Failed);
            assertThat(again.reason()).isEqualTo(Reason.RollbackFailed);
            assertThat(again.step()).isEmpty();
        }

        @Test
        void aRunningRollbackThatWaitsIsBlocked() {
            abortAfterExpand();
            Decision d = m.laterSeconds(10).decide(rollbackRunning(CompatibleSchema, Reason.BlockedQueries,
                    "DROP INDEX CONCURRENTLY: 6 queries queued"));
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.BlockedQueries);
            assertThat(d.message()).contains("CompatibleSchema", "6 queries");
            assertThat(d.step()).isEmpty();
        }

        @Test
        void rollbackWaitsForDatabaseAccess() {
            m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).backfill().waits("1h", "0s", "0s"));
            m.decide();
            m.laterSeconds(10).decide(completed(CompatibleSchema, 2));
            m.databaseProblem(new Problem(Reason.SecretNotFound, "Secret orders-db not found"));
            Decision d = m.edit(s -> s.abort = true).laterSeconds(10).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.SecretNotFound);
            assertThat(d.message()).contains("CompatibleSchema", "orders-db");
            assertThat(d.step()).isEmpty();
            assertThat(d.recheckAt()).contains(m.now.plusSeconds(30));

            d = m.databaseProblem(null).laterSeconds(30).decide();
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
        }

        @Test
        void rollbackWaitsForTheHealthGateLikeEveryOtherStatement() {
            m = Migration.of(spec().expand(EXPAND, EXPAND_ROLLBACK).backfill().waits("1h", "0s", "0s"));
            m.decide();
            m.laterSeconds(10).decide(completed(CompatibleSchema, 2));
            m.health(HealthGate.closed(Reason.LongTransaction, "pid 4242 (analytics) running for 5m"));
            Decision d = m.edit(s -> s.abort = true).laterSeconds(10).decide();
            assertThat(d.phase()).isEqualTo(MigrationPhase.RollingBack);
            assertThat(d.state()).isEqualTo(MigrationState.Blocked);
            assertThat(d.reason()).isEqualTo(Reason.LongTransaction);
            assertThat(d.message()).contains("CompatibleSchema", "pid 4242");
            assertThat(d.step()).isEmpty();
            assertThat(d.recheckAt()).contains(m.now.plusSeconds(5));

            d = m.health(HealthGate.opened()).laterSeconds(5).decide();
            assertThat(d.step()).contains(rollbackSql(CompatibleSchema, EXPAND_ROLLBACK));
        }
    }

    @Nested
    class Acknowledgement {
        static Stream<Arguments> reports() {
            return Stream.of(
                    Arguments.of("idle", StepObservation.idle(), false),
                    Arguments.of("running", running(CompatibleSchema, 1, 2, "x"), false),
                    Arguments.of("running, waiting", waitingOn(CompatibleSchema, Reason.LongTransaction, "x"), false),
                    Arguments.of("completed", completed(CompatibleSchema, 2), true),
                    Arguments.of("failed, retryable",
                            failed(CompatibleSchema, 0, Reason.LockRetriesExhausted, "x", true), true),
                    Arguments.of("failed for good", failed(CompatibleSchema, 0, Reason.SqlError, "x", false), true),
                    Arguments.of("completed, of another phase", completed(Backfill, 2), false),
                    Arguments.of("completed, of a rollback", rollbackCompleted(CompatibleSchema), false));
        }

        @ParameterizedTest(name = "{0}: acknowledge = {2}")
        @MethodSource("reports")
        void exactlyAConsumedResultIsAcknowledged(String name, StepObservation report, boolean acknowledged) {
            Migration m = Migration.of(spec().expand(EXPAND).backfill().waits("1h", "0s", "0s"));
            m.decide();
            assertThat(m.laterSeconds(5).decide(report).acknowledgeStep()).isEqualTo(acknowledged);
        }

        @Test
        void aResultIsNotAcknowledgedWhileTheSpecIsBlocked() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            m.edit(s -> s.compatibleSchema.sql = "SELECT 1");
            assertThat(m.laterSeconds(5).decide(completed(CompatibleSchema, 2)).acknowledgeStep()).isFalse();
            m.specProblems("spec.database.secretRef.name is required");
            assertThat(m.laterSeconds(5).decide(completed(CompatibleSchema, 2)).acknowledgeStep()).isFalse();
        }
    }

    @Nested
    class TransitionNotes {
        @Test
        void aGateClosingAndOpeningEachGiveOneNote() {
            Migration m = Migration.of(spec().expand(EXPAND))
                    .health(HealthGate.closed(Reason.LongTransaction, "pid 4242 (analytics) running for 5m"));
            Decision d = m.decide();
            assertThat(d.notes()).singleElement().satisfies(n -> {
                assertThat(n.warning()).isTrue();
                assertThat(n.reason()).isEqualTo(Reason.LongTransaction);
                assertThat(n.message()).contains("pid 4242", "analytics");
            });

            d = m.laterSeconds(5).decide();
            assertThat(d.reason()).isEqualTo(Reason.LongTransaction);
            assertThat(d.notes()).isEmpty();

            d = m.health(HealthGate.closed(Reason.ReplicationLag, "replica lag 14s > 10s")).laterSeconds(5).decide();
            assertThat(d.notes()).singleElement().satisfies(n -> {
                assertThat(n.reason()).isEqualTo(Reason.ReplicationLag);
                assertThat(n.message()).contains("14s");
            });

            d = m.health(HealthGate.opened()).laterSeconds(5).decide();
            assertThat(d.notes()).anySatisfy(n -> {
                assertThat(n.warning()).isFalse();
                assertThat(n.message()).contains("no longer held", "ReplicationLag");
            }).anySatisfy(n -> assertThat(n.message()).contains("CompatibleSchema", "started"));
        }

        @Test
        void pauseAndResumeAreNoted() {
            Migration m = Migration.of(spec().expand(EXPAND).paused());
            assertThat(m.decide().notes()).anySatisfy(n -> assertThat(n.reason()).isEqualTo(Reason.Paused));
            Decision d = m.edit(s -> s.paused = false).laterSeconds(5).decide();
            assertThat(messages(d)).anySatisfy(n -> assertThat(n).contains("no longer held", "Paused"));
        }

        @Test
        void aFailureNoteIsNotDoubledByTheGateNote() {
            Migration m = Migration.of(spec().expand(EXPAND));
            m.decide();
            Decision d = m.laterSeconds(5).decide(failed(CompatibleSchema, 0, Reason.RunnerBusy, "runner busy", true));
            assertThat(d.notes()).filteredOn(n -> n.reason() == Reason.RunnerBusy).hasSize(1);
        }

        @Test
        void waitingAndRunningAreNotGateChanges() {
            Migration m = Migration.of(spec().expand(EXPAND).window("Sat", "01:00", "05:00", "UTC"));
            assertThat(m.decide().notes()).isEmpty();
            assertThat(m.laterSeconds(5).decide().notes()).isEmpty();
        }
    }

    @Nested
    class Deadlines {
        static Decision decision(Optional<Instant> waitUntil, Optional<Instant> recheckAt) {
            return new Decision(MigrationPhase.CompatibleSchema, MigrationState.Waiting, Reason.WaitingPeriod, "m",
                    waitUntil, recheckAt, List.of(), null, Optional.empty(), false, false, List.of());
        }

        @Test
        void theEarliestDeadlineWins() {
            Instant a = at("2026-05-04T10:00:05Z");
            Instant b = at("2026-05-04T11:00:00Z");
            assertThat(decision(Optional.of(a), Optional.of(b)).nextDeadline()).contains(a);
            assertThat(decision(Optional.of(b), Optional.of(a)).nextDeadline()).contains(a);
            assertThat(decision(Optional.of(b), Optional.empty()).nextDeadline()).contains(b);
            assertThat(decision(Optional.empty(), Optional.of(a)).nextDeadline()).contains(a);
            assertThat(decision(Optional.empty(), Optional.empty()).nextDeadline()).isEmpty();
        }

        @Test
        void theEngineAlwaysLeavesADeadlineUnlessDoneOrWaitingForAPerson() {
            Migration m = Migration.of(spec().expand(EXPAND).backfill().waits("1h", "0s", "0s"));
            assertThat(m.decide().nextDeadline()).contains(T0.plusSeconds(15));
            assertThat(m.laterSeconds(10).decide(completed(CompatibleSchema, 2)).nextDeadline())
                    .contains(at("2026-05-04T11:00:10Z"));
            m.edit(s -> s.paused = true);
            assertThat(m.at("2026-05-04T11:00:10Z").decide().nextDeadline()).isEmpty();
        }
    }

    @Nested
    class CoolDowns {
        @ParameterizedTest(name = "{0} after attempt {1}: {2}")
        @CsvSource({
            "RunnerBusy, 1, PT5S",
            "RunnerBusy, 9, PT5S",
            "Paused, 3, PT0S",
            "Aborting, 3, PT0S",
            "LockRetriesExhausted, 0, PT1M",
            "LockRetriesExhausted, 1, PT1M",
            "BlockedQueries, 2, PT2M",
            "IndexBuildWaitExceeded, 3, PT4M",
            "StatementTimeout, 4, PT8M",
            "LockRetriesExhausted, 5, PT15M",
            "LockRetriesExhausted, 1000, PT15M",
            "DatabaseUnavailable, 1, PT15S",
            "ProbeFailed, 2, PT30S",
            "AuthenticationFailed, 5, PT4M",
            "DatabaseUnavailable, 6, PT5M",
            "DatabaseUnavailable, 2147483647, PT5M",
        })
        void coolDownsGrowAndAreCapped(Reason reason, int attempts, Duration expected) {
            assertThat(Backoff.cooldown(reason, attempts)).isEqualTo(expected);
        }
    }

    @Nested
    class PhaseFacts {
        @Test
        void theHashCoversWhatMustNotChangeOnly() {
            SchemaMigrationSpec a = spec().expand(EXPAND, EXPAND_ROLLBACK).observe().backfill().build();
            String expand = PhaseSpecs.hash(a, CompatibleSchema);
            String deploy = PhaseSpecs.hash(a, CodeDeploy);
            String backfill = PhaseSpecs.hash(a, Backfill);
            assertThat(expand).hasSize(16).isNotEqualTo(deploy);
            a.compatibleSchema.rollbackSql = "SELECT 1";
            a.backfill.batchSize = 5;
            assertThat(PhaseSpecs.hash(a, CompatibleSchema)).isEqualTo(expand);
            assertThat(PhaseSpecs.hash(a, Backfill)).isEqualTo(backfill);
            a.application.mode = DeployMode.Patch;
            assertThat(PhaseSpecs.hash(a, CodeDeploy)).isNotEqualTo(deploy);
            a.backfill.where = "status_v2 IS DISTINCT FROM status::text";
            assertThat(PhaseSpecs.hash(a, Backfill)).isNotEqualTo(backfill);
        }

        @Test
        void missingWaitsMeanNoWait() {
            SchemaMigrationSpec s = spec().expand(EXPAND).build();
            s.waits = null;
            for (PhaseName p : PhaseName.values()) {
                assertThat(PhaseSpecs.waitAfter(s, p)).isZero();
            }
            s.waits = new WaitsSpec();
            s.waits.afterBackfill = "1d12h";
            assertThat(PhaseSpecs.waitAfter(s, Backfill)).isEqualTo(Duration.ofHours(36));
            assertThat(PhaseSpecs.waitAfter(s, Cleanup)).isZero();
        }

        @Test
        void blankSqlIsNothingToDo() {
            SchemaMigrationSpec s = spec().expand("  \n").cleanup(CLEANUP, " ").build();
            assertThat(PhaseSpecs.hasWork(s, CompatibleSchema)).isFalse();
            assertThat(PhaseSpecs.hasWork(s, Cleanup)).isTrue();
            assertThat(PhaseSpecs.hasRollbackSql(s, Cleanup)).isFalse();
            assertThat(PhaseSpecs.hasRollbackSql(s, Backfill)).isFalse();
        }
    }

    @Test
    void decideDoesNotChangeTheStatusItIsGiven() {
        Migration m = Migration.of(spec().expand(EXPAND).backfill());
        m.decide();
        SchemaMigrationStatus before = m.status;
        String snapshot = describe(before);
        new MigrationEngine().decide(m.spec, before, m.observations(completed(CompatibleSchema, 2)),
                T0.plusSeconds(10));
        assertThat(describe(before)).isEqualTo(snapshot);
    }

    private static String describe(SchemaMigrationStatus s) {
        List<String> parts = new ArrayList<>();
        parts.add(s.phase + "/" + s.state + "/" + s.reason);
        for (PhaseStatus p : s.phases) {
            parts.add(p.name + ":" + p.state + ":" + p.attempts + ":" + p.statementsDone + ":" + p.finishedAt + ":"
                    + p.notBefore + ":" + p.nextAttemptAt);
        }
        return String.join(",", parts);
    }
}
