package dev.phasegate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.HealthStatus;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.testing.MutableClock;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Series per migration from status and telemetry: replaced on change, trimmed at the end, gone on delete. */
class MigrationMetricsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final MutableClock clock = new MutableClock(T0);
    private final MigrationMetrics metrics = new MigrationMetrics(registry, clock);

    @Test
    void theStatusIsOneSeriesWhoseLabelsFollowPhaseAndState() {
        metrics.record("shop", "orders", status(MigrationPhase.Pending, MigrationState.Waiting));
        metrics.record("shop", "orders", status(MigrationPhase.CompatibleSchema, MigrationState.Running,
                phase(PhaseName.CompatibleSchema, T0, null)));

        List<Meter> status = List.copyOf(registry.find(MigrationMetrics.STATUS).meters());
        assertThat(status).hasSize(1);
        assertThat(status.get(0).getId().getTag("phase")).isEqualTo("CompatibleSchema");
        assertThat(status.get(0).getId().getTag("state")).isEqualTo("Running");
        assertThat(registry.get(MigrationMetrics.STATUS).gauge().value()).isEqualTo(1.0);
    }

    @Test
    void phaseTimeRunsWhileThePhaseRunsAndStopsWhenItEnds() {
        metrics.record("shop", "orders", status(MigrationPhase.CompatibleSchema, MigrationState.Running,
                phase(PhaseName.CompatibleSchema, T0, null)));
        clock.set(T0.plusSeconds(90));
        assertThat(phaseSeconds("CompatibleSchema")).isEqualTo(90.0);

        metrics.record("shop", "orders", status(MigrationPhase.CodeDeploy, MigrationState.Waiting,
                phase(PhaseName.CompatibleSchema, T0, T0.plusSeconds(100)),
                phase(PhaseName.CodeDeploy, T0.plusSeconds(100), null)));
        clock.set(T0.plusSeconds(1000));
        assertThat(phaseSeconds("CompatibleSchema")).isEqualTo(100.0);
        assertThat(phaseSeconds("CodeDeploy")).isEqualTo(900.0);
    }

    @Test
    void eventsCountByEnumReasonOnly() {
        metrics.record("shop", "orders", status(MigrationPhase.CompatibleSchema, MigrationState.Running));
        metrics.statementApplied("shop/orders");
        metrics.statementApplied("shop/orders");
        metrics.statementFailed("shop/orders", Reason.SqlError);
        metrics.lockTimeoutRetry("shop/orders");
        metrics.watchdogCancel("shop/orders", Reason.BlockedQueries);
        metrics.watchdogCancel("shop/orders", Reason.BlockedQueries);
        metrics.runnerLockBusy("shop/orders");
        metrics.healthGateClosed("shop/orders", Reason.IdleInTransaction);
        metrics.healthProbe("shop/orders", Duration.ofMillis(12));

        assertThat(registry.get(MigrationMetrics.APPLIED).tags("namespace", "shop", "migration", "orders").counter()
                .count()).isEqualTo(2.0);
        assertThat(registry.get(MigrationMetrics.FAILED).tag("reason", "SqlError").counter().count()).isEqualTo(1.0);
        assertThat(registry.get(MigrationMetrics.LOCK_RETRIES).counter().count()).isEqualTo(1.0);
        assertThat(registry.get(MigrationMetrics.WATCHDOG).tag("reason", "BlockedQueries").counter().count())
                .isEqualTo(2.0);
        assertThat(registry.get(MigrationMetrics.RUNNER_BUSY).counter().count()).isEqualTo(1.0);
        assertThat(registry.get(MigrationMetrics.GATE_CLOSURES).tag("reason", "IdleInTransaction").counter().count())
                .isEqualTo(1.0);
        assertThat(registry.get(MigrationMetrics.PROBE).timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(12.0);
        metrics.statementApplied("shop/unknown");
        assertThat(metrics.seriesOf("shop", "unknown")).as("no series for a migration record() never saw").isZero();
        Set<String> labels = new TreeSet<>();
        registry.getMeters().forEach(m -> m.getId().getTags().forEach(t -> labels.add(t.getKey())));
        assertThat(labels).containsExactlyInAnyOrder("namespace", "migration", "reason", "phase", "state");
    }

    @Test
    void backfillRatesAndRemainingTimeComeFromStatusAndBatches() {
        SchemaMigrationStatus s = status(MigrationPhase.Backfill, MigrationState.Running,
                phase(PhaseName.Backfill, T0, null));
        s.backfill = new BackfillStatus();
        s.backfill.rowsDone = 4_000L;
        s.backfill.rowsEstimated = 10_000L;
        s.backfill.rowsPerSecond = 200.0;
        metrics.record("shop", "orders", s);
        assertThat(registry.get(MigrationMetrics.BACKFILL_ROWS).counter().count())
                .as("exists before the first batch, so a stall shows").isZero();
        metrics.backfillBatch("shop/orders", 500, Duration.ofMillis(150));
        metrics.backfillBatch("shop/orders", 500, Duration.ofMillis(900));

        assertThat(registry.get(MigrationMetrics.BACKFILL_ROWS).counter().count()).isEqualTo(1000.0);
        assertThat(registry.get(MigrationMetrics.BACKFILL_RATE).gauge().value()).isEqualTo(200.0);
        assertThat(registry.get(MigrationMetrics.BACKFILL_REMAINING).gauge().value()).isEqualTo(30.0);
        Timer batch = registry.get(MigrationMetrics.BATCH).timer();
        assertThat(batch.count()).isEqualTo(2);
        assertThat(batch.takeSnapshot().histogramCounts()).hasSize(MigrationMetrics.BATCH_BUCKETS.length);
        assertThat(batch.takeSnapshot().histogramCounts()[1].count()).as("<= 200 ms").isEqualTo(1.0);

        metrics.record("shop", "orders", status(MigrationPhase.Cleanup, MigrationState.Running,
                phase(PhaseName.Backfill, T0, T0.plusSeconds(60)), phase(PhaseName.Cleanup, T0.plusSeconds(60), null)));
        assertThat(names("orders")).as("backfill series go with the phase").noneMatch(n -> n.contains("backfill"));
    }

    @Test
    void aFailedMigrationKeepsItsStatusOnlyAndDeletionRemovesEverything() {
        SchemaMigrationStatus running = status(MigrationPhase.CompatibleSchema, MigrationState.Running,
                phase(PhaseName.CompatibleSchema, T0, null));
        running.health = new HealthStatus();
        running.health.gate = "IdleInTransaction";
        metrics.record("shop", "orders", running);
        metrics.record("shop", "other", running);
        metrics.statementApplied("shop/orders");
        metrics.healthProbe("shop/orders", Duration.ofMillis(3));
        assertThat(registry.get(MigrationMetrics.GATE_OPEN).tag("migration", "orders").gauge().value()).isZero();

        metrics.record("shop", "orders", status(MigrationPhase.Failed, MigrationState.Done,
                phase(PhaseName.CompatibleSchema, T0, null)));
        assertThat(names("orders")).containsExactly(MigrationMetrics.STATUS);
        assertThat(registry.get(MigrationMetrics.STATUS).tag("migration", "orders").gauge().getId().getTag("phase"))
                .isEqualTo("Failed");

        metrics.forget("shop", "orders");
        assertThat(metrics.seriesOf("shop", "orders")).isZero();
        assertThat(names("other")).as("another migration's series stay").contains(MigrationMetrics.GATE_OPEN);
    }

    @Test
    void aGateNotProbedWhileTheMigrationOnlyWaitsHasNoValueRatherThanAStaleZero() {
        SchemaMigrationStatus waiting = status(MigrationPhase.CompatibleSchema, MigrationState.Waiting);
        waiting.health = new HealthStatus();
        waiting.health.gate = "IdleInTransaction";
        metrics.record("shop", "orders", waiting);
        assertThat(registry.get(MigrationMetrics.GATE_OPEN).gauge().value()).isZero();

        waiting.health = waiting.health.notProbed("2026-12-02T10:00:00Z");
        metrics.record("shop", "orders", waiting);
        assertThat(registry.get(MigrationMetrics.GATE_OPEN).gauge().value()).as("no alert on a stale value").isNaN();
    }

    @Test
    void aSucceededMigrationIsForgottenEvenWhenReconciledAgain() {
        metrics.record("shop", "orders", status(MigrationPhase.Cleanup, MigrationState.Running,
                phase(PhaseName.Cleanup, T0, null)));
        metrics.statementApplied("shop/orders");
        assertThat(metrics.seriesOf("shop", "orders")).isEqualTo(3);
        SchemaMigrationStatus done = status(MigrationPhase.Succeeded, MigrationState.Done,
                phase(PhaseName.Cleanup, T0, T0.plusSeconds(5)));
        metrics.record("shop", "orders", done);
        assertThat(metrics.seriesOf("shop", "orders")).isZero();
        metrics.record("shop", "orders", done); // a resync or an operator restart
        metrics.healthProbe("shop/orders", Duration.ofMillis(4)); // a probe that was under way
        assertThat(metrics.seriesOf("shop", "orders")).isZero();
    }

    private Set<String> names(String migration) {
        Set<String> names = new TreeSet<>();
        registry.getMeters().stream().filter(m -> migration.equals(m.getId().getTag("migration")))
                .forEach(m -> names.add(m.getId().getName()));
        return names;
    }

    private double phaseSeconds(String phase) {
        return registry.get(MigrationMetrics.PHASE_TIME).tag("phase", phase).tag("migration", "orders").gauge()
                .value();
    }

    private static SchemaMigrationStatus status(MigrationPhase phase, MigrationState state, PhaseStatus... phases) {
        SchemaMigrationStatus s = new SchemaMigrationStatus();
        s.phase = phase;
        s.state = state;
        s.phases = List.of(phases);
        return s;
    }

    private static PhaseStatus phase(PhaseName name, Instant started, Instant finished) {
        PhaseStatus p = new PhaseStatus(name);
        p.startedAt = started.toString();
        p.finishedAt = finished == null ? null : finished.toString();
        return p;
    }
}
