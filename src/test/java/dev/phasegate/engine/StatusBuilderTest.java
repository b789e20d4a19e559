package dev.phasegate.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.Condition;
import dev.phasegate.api.HealthStatus;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseState;
import dev.phasegate.api.PhaseStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.api.RollbackStatus;
import dev.phasegate.api.SchemaMigrationStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The status written once per reconcile: conditions, their transition times, and the copied decision. */
class StatusBuilderTest {
    static final Instant T1 = Instant.parse("2026-05-04T10:00:00Z");
    static final Instant T2 = Instant.parse("2026-05-04T10:05:00Z");
    static final Instant T3 = Instant.parse("2026-05-04T10:10:00Z");
    static final Instant T4 = Instant.parse("2026-05-04T10:15:00Z");

    static Decision decision(MigrationPhase phase, MigrationState state, Reason reason, String message,
            boolean degraded) {
        return decision(phase, state, reason, message, degraded, null);
    }

    static Decision decision(MigrationPhase phase, MigrationState state, Reason reason, String message,
            boolean degraded, Instant waitUntil) {
        List<PhaseStatus> phases = List.of(new PhaseStatus(PhaseName.CompatibleSchema),
                new PhaseStatus(PhaseName.CodeDeploy), new PhaseStatus(PhaseName.Backfill),
                new PhaseStatus(PhaseName.Cleanup));
        return new Decision(phase, state, reason, message, Optional.ofNullable(waitUntil), Optional.empty(), phases,
                null, Optional.empty(), false, degraded, List.of());
    }

    static Decision running(String message) {
        return decision(MigrationPhase.CompatibleSchema, MigrationState.Running, Reason.Executing, message, false);
    }

    static Decision blocked(Reason reason, String message) {
        return decision(MigrationPhase.CompatibleSchema, MigrationState.Blocked, reason, message, false);
    }

    static Condition condition(SchemaMigrationStatus s, String type) {
        return s.conditions.stream().filter(c -> type.equals(c.type)).findFirst().orElseThrow();
    }

    static String status(SchemaMigrationStatus s, String type) {
        return condition(s, type).status;
    }

    @ParameterizedTest(name = "{0} {1} {2} degraded={3}: Ready={4} Progressing={5} Blocked={6} Degraded={7}"
            + " ActionRequired={8}")
    @CsvSource({
        "CompatibleSchema, Running, Executing,            false, False, True,  False, False, False",
        "CodeDeploy,       Waiting, WaitingPeriod,        false, False, True,  False, False, False",
        "CodeDeploy,       Waiting, OutsideWindow,        false, False, True,  False, False, False",
        "Backfill,         Blocked, LongTransaction,      false, False, False, True,  False, False",
        "Cleanup,          Blocked, DeploymentNotFound,   true,  False, False, True,  True, True",
        "CompatibleSchema, Paused,  Paused,               false, False, False, True,  False, True",
        "Pending,          Blocked, InvalidSpec,          true,  False, False, True,  True, True",
        "RollingBack,      Running, RollingBack,          false, False, True,  False, False, False",
        "RollingBack,      Blocked, LockRetriesExhausted, false, False, False, True,  False, False",
        "Succeeded,        Done,    Succeeded,            false, True,  False, False, False, False",
        "Failed,           Done,    SqlError,             true,  False, False, False, True, True",
        "Failed,           Done,    RollbackFailed,       true,  False, False, False, True, True",
        "RolledBack,       Done,    RolledBack,           false, False, False, False, False, False",
        "Cleanup,          AwaitingApproval, AwaitingApproval, false, False, False, True, False, True",
    })
    void conditionsFollowPhaseStateAndDegraded(MigrationPhase phase, MigrationState state, Reason reason,
            boolean degraded, String ready, String progressing, String blockedCondition, String degradedCondition,
            String actionRequired) {
        SchemaMigrationStatus s = StatusBuilder.build(null, decision(phase, state, reason, "why", degraded), 3, T1,
                null, null);
        assertThat(s.conditions).extracting(c -> c.type).containsExactly(StatusBuilder.READY,
                StatusBuilder.PROGRESSING, StatusBuilder.BLOCKED, StatusBuilder.DEGRADED,
                StatusBuilder.SCHEMA_COMPATIBLE, StatusBuilder.ACTION_REQUIRED);
        assertThat(s.conditions).extracting(c -> c.status).containsExactly(ready, progressing, blockedCondition,
                degradedCondition, "False", actionRequired);
        assertThat(s.conditions).allSatisfy(c -> {
            assertThat(c.reason).isEqualTo(reason.name());
            assertThat(c.message).isEqualTo("why");
            assertThat(c.observedGeneration).isEqualTo(3L);
            assertThat(c.lastTransitionTime).isEqualTo("2026-05-04T10:00:00Z");
        });
    }

    static Decision withCompatibleSchema(MigrationPhase phase, MigrationState state, Reason reason,
            PhaseState expand) {
        Decision base = decision(phase, state, reason, "why", false);
        List<PhaseStatus> phases = base.phases().stream().map(PhaseStatus::copy).toList();
        phases.get(0).state = expand;
        return new Decision(base.phase(), base.state(), base.reason(), base.message(), base.waitUntil(),
                base.recheckAt(), phases, null, Optional.empty(), false, false, List.of());
    }

    @ParameterizedTest(name = "{0} {1} {2}, CompatibleSchema {3}: SchemaCompatible={4}")
    @CsvSource({
        "CompatibleSchema, Running, Executing,         Running,    False",
        "CompatibleSchema, Paused,  Paused,            Pending,    False",
        "CompatibleSchema, Running, Aborting,          Running,    False",
        "CodeDeploy,       Waiting, WaitingForRollout, Succeeded,  True",
        "Backfill,         Waiting, WaitingPeriod,     Succeeded,  True",
        "Backfill,         Running, BackfillRunning,   Skipped,    True",
        "Cleanup,          Blocked, OldPodsRemaining,  Succeeded,  True",
        "Cleanup,          Blocked, SqlError,          Succeeded,  True",
        "Succeeded,        Done,    Succeeded,         Succeeded,  True",
        "Failed,           Done,    SqlError,          Failed,     False",
        "Backfill,         Running, Aborting,          Succeeded,  False",
        "RollingBack,      Waiting, WaitingForRollout, Succeeded,  False",
        "RolledBack,       Done,    RolledBack,        RolledBack, False",
    })
    void schemaCompatibleOnceTheExpandIsDoneAndNothingTakesItBack(MigrationPhase phase, MigrationState state,
            Reason reason, PhaseState expand, String expected) {
        SchemaMigrationStatus s = StatusBuilder.build(null, withCompatibleSchema(phase, state, reason, expand), 2, T1,
                null, null);
        Condition c = condition(s, StatusBuilder.SCHEMA_COMPATIBLE);
        assertThat(c.status).isEqualTo(expected);
        assertThat(c.reason).isEqualTo(reason.name());
        assertThat(c.observedGeneration).isEqualTo(2L);
    }

    @Test
    void schemaCompatibleKeepsItsTransitionTimeThroughTheLaterPhases() {
        SchemaMigrationStatus s1 = StatusBuilder.build(null, withCompatibleSchema(MigrationPhase.CodeDeploy,
                MigrationState.Waiting, Reason.WaitingForRollout, PhaseState.Succeeded), 1, T1, null, null);
        SchemaMigrationStatus s2 = StatusBuilder.build(s1, withCompatibleSchema(MigrationPhase.Backfill,
                MigrationState.Waiting, Reason.WaitingPeriod, PhaseState.Succeeded), 1, T2, null, null);
        assertThat(condition(s2, StatusBuilder.SCHEMA_COMPATIBLE).lastTransitionTime).isEqualTo("2026-05-04T10:00:00Z");
        SchemaMigrationStatus s3 = StatusBuilder.build(s2, withCompatibleSchema(MigrationPhase.RollingBack,
                MigrationState.Running, Reason.RollingBack, PhaseState.Succeeded), 1, T3, null, null);
        assertThat(condition(s3, StatusBuilder.SCHEMA_COMPATIBLE).status).isEqualTo("False");
        assertThat(condition(s3, StatusBuilder.SCHEMA_COMPATIBLE).lastTransitionTime).isEqualTo("2026-05-04T10:10:00Z");
    }

    @Test
    void lastTransitionTimeMovesOnlyWhenAConditionFlips() {
        SchemaMigrationStatus s1 = StatusBuilder.build(null, running("statement 1 of 2"), 1, T1, null, null);

        // same statuses, new reason and message: times stay, reason and message follow
        SchemaMigrationStatus s2 = StatusBuilder.build(s1, decision(MigrationPhase.CodeDeploy, MigrationState.Waiting,
                Reason.WaitingPeriod, "CodeDeploy waits until 11:00", false), 1, T2, null, null);
        assertThat(s2.conditions).extracting(c -> c.lastTransitionTime).containsOnly("2026-05-04T10:00:00Z");
        assertThat(condition(s2, StatusBuilder.PROGRESSING).reason).isEqualTo("WaitingPeriod");
        assertThat(condition(s2, StatusBuilder.PROGRESSING).message).isEqualTo("CodeDeploy waits until 11:00");

        // Progressing and Blocked flip; Ready and Degraded do not
        SchemaMigrationStatus s3 = StatusBuilder.build(s2, blocked(Reason.LongTransaction, "pid 4242"), 1, T3, null,
                null);
        assertThat(status(s3, StatusBuilder.PROGRESSING)).isEqualTo("False");
        assertThat(condition(s3, StatusBuilder.PROGRESSING).lastTransitionTime).isEqualTo("2026-05-04T10:10:00Z");
        assertThat(status(s3, StatusBuilder.BLOCKED)).isEqualTo("True");
        assertThat(condition(s3, StatusBuilder.BLOCKED).lastTransitionTime).isEqualTo("2026-05-04T10:10:00Z");
        assertThat(condition(s3, StatusBuilder.READY).lastTransitionTime).isEqualTo("2026-05-04T10:00:00Z");
        assertThat(condition(s3, StatusBuilder.DEGRADED).lastTransitionTime).isEqualTo("2026-05-04T10:00:00Z");

        // held a while longer under another reason: no flip
        SchemaMigrationStatus s3b = StatusBuilder.build(s3, blocked(Reason.ReplicationLag, "lag 14s"), 1,
                T3.plusSeconds(30), null, null);
        assertThat(condition(s3b, StatusBuilder.BLOCKED).lastTransitionTime).isEqualTo("2026-05-04T10:10:00Z");
        assertThat(condition(s3b, StatusBuilder.BLOCKED).reason).isEqualTo("ReplicationLag");

        // flip back: the time is the new flip's, not the first True's
        SchemaMigrationStatus s4 = StatusBuilder.build(s3b, running("statement 2 of 2"), 1, T4, null, null);
        assertThat(status(s4, StatusBuilder.PROGRESSING)).isEqualTo("True");
        assertThat(condition(s4, StatusBuilder.PROGRESSING).lastTransitionTime).isEqualTo("2026-05-04T10:15:00Z");
        assertThat(condition(s4, StatusBuilder.BLOCKED).lastTransitionTime).isEqualTo("2026-05-04T10:15:00Z");
    }

    @Test
    void aStatusWithoutConditionsGetsThemAtNow() {
        SchemaMigrationStatus old = new SchemaMigrationStatus();
        old.conditions = null;
        SchemaMigrationStatus s = StatusBuilder.build(old, running("x"), 1, T2, null, null);
        assertThat(s.conditions).hasSize(6)
                .extracting(c -> c.lastTransitionTime).containsOnly("2026-05-04T10:05:00Z");
    }

    @Test
    void observedGenerationIsTheGenerationDecidedOn() {
        SchemaMigrationStatus s1 = StatusBuilder.build(null, running("x"), 4, T1, null, null);
        assertThat(s1.observedGeneration).isEqualTo(4L);
        SchemaMigrationStatus s2 = StatusBuilder.build(s1, running("x"), 5, T2, null, null);
        assertThat(s2.observedGeneration).isEqualTo(5L);
        assertThat(s2.conditions).extracting(c -> c.observedGeneration).containsOnly(5L);
        assertThat(s2.conditions).extracting(c -> c.lastTransitionTime).containsOnly("2026-05-04T10:00:00Z");
    }

    @Test
    void waitUntilIsAnRfc3339InstantInUtcOrAbsent() {
        SchemaMigrationStatus s = StatusBuilder.build(null, decision(MigrationPhase.Cleanup, MigrationState.Waiting,
                Reason.OutsideWindow, "next window", false, Instant.parse("2026-05-08T23:00:00Z")), 1, T1, null,
                null);
        assertThat(s.waitUntil).isEqualTo("2026-05-08T23:00:00Z");
        assertThat(Instant.parse(s.waitUntil)).isEqualTo(Instant.parse("2026-05-08T23:00:00Z"));
        assertThat(StatusBuilder.build(s, running("x"), 1, T2, null, null).waitUntil).isNull();
    }

    @Test
    void theDecisionIsCopiedIntoTheStatus() {
        RollbackStatus rollback = new RollbackStatus();
        rollback.cause = Reason.Aborting;
        rollback.phases = List.of(PhaseName.CompatibleSchema);
        Decision base = decision(MigrationPhase.RollingBack, MigrationState.Running, Reason.RollingBack,
                "rolling back CompatibleSchema", false);
        Decision d = new Decision(base.phase(), base.state(), base.reason(), base.message(), base.waitUntil(),
                Optional.of(T2), base.phases(), rollback, Optional.empty(), true, false, List.of());
        SchemaMigrationStatus s = StatusBuilder.build(null, d, 2, T1, null, null);
        assertThat(s.phase).isEqualTo(MigrationPhase.RollingBack);
        assertThat(s.state).isEqualTo(MigrationState.Running);
        assertThat(s.reason).isEqualTo(Reason.RollingBack);
        assertThat(s.message).isEqualTo("rolling back CompatibleSchema");
        assertThat(s.phases).extracting(p -> p.name).containsExactly(PhaseName.values());
        assertThat(s.rollback).isSameAs(rollback);
        // a recheck is the reconciler's business, not a deadline a person waits for
        assertThat(s.waitUntil).isNull();
    }

    @Test
    void backfillAndHealthAreKeptUntilNewOnesAreGiven() {
        BackfillStatus progress = new BackfillStatus();
        progress.rowsDone = 12_000L;
        HealthStatus health = new HealthStatus();
        health.gate = "open";
        SchemaMigrationStatus s1 = StatusBuilder.build(null, running("x"), 1, T1, progress, health);
        assertThat(s1.backfill).isSameAs(progress);
        assertThat(s1.health).isSameAs(health);

        SchemaMigrationStatus s2 = StatusBuilder.build(s1, running("x"), 1, T2, null, null);
        assertThat(s2.backfill).isSameAs(progress);
        assertThat(s2.health).isSameAs(health);

        BackfillStatus more = new BackfillStatus();
        more.rowsDone = 24_000L;
        SchemaMigrationStatus s3 = StatusBuilder.build(s2, running("x"), 1, T3, more, null);
        assertThat(s3.backfill).isSameAs(more);
        assertThat(s3.health).isSameAs(health);

        assertThat(StatusBuilder.build(null, running("x"), 1, T1, null, null).backfill).isNull();
    }

    @Test
    void aTimelineThroughTheEngineKeepsBlockedSinceTheGateClosed() {
        MigrationEngineTest.Migration m = MigrationEngineTest.Migration.of(
                MigrationEngineTest.spec().expand(MigrationEngineTest.EXPAND));
        m.health(HealthGate.closed(Reason.LongTransaction, "pid 4242 running for 5m")).decide();
        m.laterSeconds(5).decide();
        m.laterSeconds(5).decide();
        assertThat(condition(m.status, StatusBuilder.BLOCKED).status).isEqualTo("True");
        assertThat(condition(m.status, StatusBuilder.BLOCKED).lastTransitionTime).isEqualTo("2026-05-04T10:00:00Z");
        m.health(HealthGate.opened()).laterSeconds(5).decide();
        assertThat(condition(m.status, StatusBuilder.BLOCKED).status).isEqualTo("False");
        assertThat(condition(m.status, StatusBuilder.BLOCKED).lastTransitionTime).isEqualTo("2026-05-04T10:00:15Z");
        assertThat(condition(m.status, StatusBuilder.PROGRESSING).lastTransitionTime)
                .isEqualTo("2026-05-04T10:00:15Z");
    }
}
