package dev.phasegate.metrics;

import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.postgres.StepTelemetry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * phasegate's own metrics, per migration (labels {@code namespace} and {@code migration}, plus an enum value where a
 * metric has one): its status, time per phase, the health gate, statements, lock retries, watchdog cancels, runner
 * lock contention and backfill progress. The current phase and state are an info-style series: one series per
 * migration whose {@code phase} and {@code state} labels carry the current values and whose value is 1, replaced on
 * every change (one series instead of one per possible value). A migration that succeeded or rolled back has no
 * series left; a Failed one keeps its status series until it is aborted or deleted; deletion removes everything.
 */
public final class MigrationMetrics implements StepTelemetry {
    static final String STATUS = "phasegate.migration.status";
    static final String PHASE_TIME = "phasegate.migration.phase";
    static final String GATE_OPEN = "phasegate.health.gate.open";
    static final String GATE_CLOSURES = "phasegate.health.gate.closures";
    static final String PROBE = "phasegate.health.probe.duration";
    static final String APPLIED = "phasegate.statements.applied";
    static final String FAILED = "phasegate.statements.failed";
    static final String LOCK_RETRIES = "phasegate.lock.timeout.retries";
    static final String WATCHDOG = "phasegate.watchdog.cancels";
    static final String RUNNER_BUSY = "phasegate.runner.lock.busy";
    static final String BACKFILL_ROWS = "phasegate.backfill.rows";
    static final String BACKFILL_RATE = "phasegate.backfill.rows.per.second";
    static final String BACKFILL_REMAINING = "phasegate.backfill.estimated.remaining";
    static final String BATCH = "phasegate.backfill.batch.duration";
    /** Few buckets on purpose (each is a series per backfilling migration): around the default 200 ms target. */
    static final Duration[] BATCH_BUCKETS = {Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofMillis(500),
        Duration.ofSeconds(2)};
    /** What a Failed migration keeps until it is aborted or deleted: the series the Failed alert fires on. */
    private static final Set<String> KEPT_AFTER_FAILURE = Set.of(STATUS);

    private final MeterRegistry registry;
    private final Clock clock;
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();

    public MigrationMetrics(MeterRegistry registry, Clock clock) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Metrics that nobody scrapes, for a reconciler built without the application's registry (tests, the demo). */
    public static MigrationMetrics unscraped(Clock clock) {
        return new MigrationMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), clock);
    }

    /** The gauges' view of one migration, updated from its status on every reconcile and read at scrape time. */
    private static final class Tracked {
        final Tags tags;
        Meter.Id statusSeries;
        final Map<PhaseName, Instant[]> phaseTimes = new EnumMap<>(PhaseName.class);
        boolean forgotten;
        volatile double gateOpen;
        volatile double rowsPerSecond = Double.NaN;
        volatile double remainingSeconds = Double.NaN;

        Tracked(Tags tags) {
            this.tags = tags;
        }
    }

    /**
     * Updates the migration's series from the status just built. A migration that succeeded or rolled back is
     * finished and forgotten: all its series go, so objects kept in Git for years cost nothing. A Failed one keeps
     * its status series only (the Failed alert fires on it) until it is aborted or deleted.
     */
    public void record(String namespace, String name, SchemaMigrationStatus status) {
        if (status == null || status.phase == null || status.state == null) {
            return;
        }
        if (status.phase.isTerminal() && status.phase != MigrationPhase.Failed) {
            forget(namespace, name);
            return;
        }
        Tracked t = tracked(namespace + "/" + name);
        boolean failed = status.phase == MigrationPhase.Failed;
        synchronized (t) {
            Tags statusTags = t.tags.and("phase", status.phase.name(), "state", status.state.name());
            if (t.statusSeries == null || !t.statusSeries.getTags().equals(statusTags.stream().toList())) {
                if (t.statusSeries != null) {
                    registry.remove(t.statusSeries);
                }
                t.statusSeries = Gauge.builder(STATUS, () -> 1).tags(statusTags)
                        .description("1 for the migration's current phase and state (info-style: one series per"
                                + " migration, labels replaced on change)")
                        .register(registry).getId();
            }
            if (failed) {
                // Registered again if an abort brings the migration back to life.
                t.phaseTimes.clear();
            }
            for (PhaseStatus p : status.phases == null ? java.util.List.<PhaseStatus>of() : status.phases) {
                Instant started = parse(p.startedAt);
                if (failed || p.name == null || started == null) {
                    continue;
                }
                boolean fresh = !t.phaseTimes.containsKey(p.name);
                t.phaseTimes.put(p.name, new Instant[] {started, parse(p.finishedAt)});
                if (fresh) {
                    PhaseName phase = p.name;
                    Gauge.builder(PHASE_TIME, t, x -> phaseSeconds(x, phase)).tags(t.tags.and("phase", phase.name()))
                            .baseUnit("seconds").strongReference(true)
                            .description("Time spent in the phase: from its start to its end, or to now while it runs")
                            .register(registry);
                }
            }
        }
        if (failed) {
            removeSeries(t.tags, name2 -> !KEPT_AFTER_FAILURE.contains(name2));
            return;
        }
        if (status.health != null && status.health.gate != null) {
            // Not probed (the migration only waits): no value, rather than a stale one that could page someone.
            t.gateOpen = status.health.notProbedSince != null ? Double.NaN : "Open".equals(status.health.gate) ? 1 : 0;
            Gauge.builder(GATE_OPEN, t, x -> x.gateOpen).tags(t.tags).strongReference(true)
                    .description("1 while the migration's database health gate is open, 0 while it is closed")
                    .register(registry);
        }
        BackfillStatus b = status.backfill;
        if (status.phase != MigrationPhase.Backfill) {
            // Before it, nothing is there; after it (Cleanup, a rollback) its rates would only be stale.
            removeSeries(t.tags, metric -> metric.startsWith("phasegate.backfill."));
        } else {
            // Created at once, so a backfill that never finishes a batch still shows a flat line (and can alert).
            rowsCounter(t);
            t.rowsPerSecond = b == null || b.rowsPerSecond == null ? Double.NaN : b.rowsPerSecond;
            t.remainingSeconds = remaining(b);
            Gauge.builder(BACKFILL_RATE, t, x -> x.rowsPerSecond).tags(t.tags).strongReference(true)
                    .description("Rows per second the backfill updates, over its recent batches")
                    .register(registry);
            Gauge.builder(BACKFILL_REMAINING, t, x -> x.remainingSeconds).tags(t.tags).baseUnit("seconds")
                    .strongReference(true)
                    .description("Estimated time until the backfill has updated every row, at its current rate")
                    .register(registry);
        }
    }

    /** Removes every series of the migration: its object was deleted, or it succeeded or rolled back. */
    public void forget(String namespace, String name) {
        Tracked t = tracked.remove(namespace + "/" + name);
        if (t != null) {
            synchronized (t) {
                // An event still under way (a last health probe) must not bring a series back.
                t.forgotten = true;
            }
        }
        removeSeries(t != null ? t.tags : tagsOf(namespace + "/" + name), n -> true);
    }

    /** How many series the migration has now (for tests and the docs' cardinality figure). */
    public int seriesOf(String namespace, String name) {
        Tags tags = tagsOf(namespace + "/" + name);
        return (int) registry.getMeters().stream().filter(m -> isOurs(m, tags)).count();
    }

    @Override
    public void statementApplied(String migration) {
        count(APPLIED, migration, null, "Statements applied and journaled");
    }

    @Override
    public void statementFailed(String migration, Reason reason) {
        count(FAILED, migration, reason, "Statements that failed, by the step's reason");
    }

    @Override
    public void lockTimeoutRetry(String migration) {
        count(LOCK_RETRIES, migration, null,
                "Statements and batches retried after lock_timeout ended their wait for a lock");
    }

    @Override
    public void watchdogCancel(String migration, Reason reason) {
        count(WATCHDOG, migration, reason, "Statements and batches the lock watchdog cancelled, by reason");
    }

    @Override
    public void runnerLockBusy(String migration) {
        count(RUNNER_BUSY, migration, null,
                "Steps that did not start because another runner held the database's runner lock");
    }

    @Override
    public void backfillBatch(String migration, long rows, Duration took) {
        whileTracked(migration, t -> {
            rowsCounter(t).increment(rows);
            Timer.builder(BATCH).tags(t.tags).serviceLevelObjectives(BATCH_BUCKETS)
                    .description("Duration of committed backfill batches").register(registry).record(took);
        });
    }

    @Override
    public void healthProbe(String migration, Duration took) {
        whileTracked(migration, t -> Timer.builder(PROBE).tags(t.tags)
                .description("Duration of a health probe of the migration's database").register(registry)
                .record(took));
    }

    @Override
    public void healthGateClosed(String migration, Reason reason) {
        count(GATE_CLOSURES, migration, reason, "Times the health gate closed, by the first failing signal");
    }

    private Counter rowsCounter(Tracked t) {
        return Counter.builder(BACKFILL_ROWS).tags(t.tags).description("Rows the backfill updated")
                .register(registry);
    }

    private void count(String name, String migration, Reason reason, String description) {
        whileTracked(migration, t -> Counter.builder(name)
                .tags(reason == null ? t.tags : t.tags.and("reason", reason.name()))
                .description(description).register(registry).increment());
    }

    /**
     * Runs action for a migration that record() knows and forget() has not dropped. Events of an unknown migration
     * are ignored: they can only be a last probe or step report after it succeeded or was deleted (or, harmlessly,
     * one that beat its very first status), and a series created then would never be removed.
     */
    private void whileTracked(String migration, java.util.function.Consumer<Tracked> action) {
        Tracked t = tracked.get(migration);
        if (t != null) {
            synchronized (t) {
                if (!t.forgotten) {
                    action.accept(t);
                }
            }
        }
    }

    private Tracked tracked(String key) {
        return tracked.computeIfAbsent(key, k -> new Tracked(tagsOf(k)));
    }

    private static Tags tagsOf(String key) {
        int slash = key.indexOf('/');
        return Tags.of("namespace", slash < 0 ? "" : key.substring(0, slash), "migration", key.substring(slash + 1));
    }

    private double phaseSeconds(Tracked t, PhaseName phase) {
        Instant[] times;
        synchronized (t) {
            times = t.phaseTimes.get(phase);
        }
        if (times == null) {
            return Double.NaN;
        }
        Instant end = times[1] != null ? times[1] : clock.instant();
        return Math.max(0, Duration.between(times[0], end).toMillis() / 1000.0);
    }

    private static double remaining(BackfillStatus b) {
        if (b == null || b.rowsPerSecond == null || b.rowsPerSecond <= 0 || b.rowsEstimated == null
                || b.rowsDone == null) {
            return Double.NaN;
        }
        return Math.max(0, b.rowsEstimated - b.rowsDone) / b.rowsPerSecond;
    }

    private void removeSeries(Tags tags, java.util.function.Predicate<String> which) {
        for (Meter m : registry.getMeters()) {
            if (isOurs(m, tags) && which.test(m.getId().getName())) {
                registry.remove(m);
            }
        }
    }

    private static boolean isOurs(Meter m, Tags tags) {
        return m.getId().getName().startsWith("phasegate.") && m.getId().getTags().containsAll(tags.stream().toList());
    }

    private static Instant parse(String time) {
        if (time == null) {
            return null;
        }
        try {
            return Instant.parse(time);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
