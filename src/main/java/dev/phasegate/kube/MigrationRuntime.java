package dev.phasegate.kube;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.DatabaseIdentity;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.StepRunner;
import java.time.Duration;
import java.time.Instant;

/**
 * Everything the operator keeps in memory for one migration (namespace/name): the step it runs, the backfill's
 * latest progress and spec, the last progress Event and the series of Events it has published. One object with one lifecycle: created when the migration first
 * needs it, closed when the object is deleted or the migration has ended, so no per-migration state outlives it.
 */
final class MigrationRuntime {
    static final Duration PROGRESS_REPORT_INTERVAL = Duration.ofSeconds(5);
    private final String key;
    private volatile StepRunner.Step step;
    private volatile BackfillStatus backfillProgress;
    private volatile BackfillSpec backfillSpec;
    private int decileReported = -1;
    private volatile DatabaseIdentity databaseSeen;
    private volatile dev.phasegate.api.LintStatus lint;
    /** The plan lint shows, with each line's phase, to compare the next lint's plan with. */
    private volatile dev.phasegate.lint.ShownPlan plan;
    private final java.util.concurrent.atomic.AtomicReference<String> lintReport =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final EventSeries events;
    private Instant lastReport;
    private Reason lastReportedWait;
    private int lastReportedStatement = -1;

    MigrationRuntime(String key) {
        this.key = key;
        this.events = new EventSeries(key.substring(key.indexOf('/') + 1));
    }

    /**
     * Whether a step's report should trigger a reconcile now. A backfill reports after every batch, several times a
     * second; each reconcile costs a Secret read and a status write, so plain progress is passed on at most every
     * {@link #PROGRESS_REPORT_INTERVAL} (the status is that fresh), while the end of the step, the start of each
     * statement of a script and every change of what it waits on (a lock wait, a closed gate) go out at once.
     */
    synchronized boolean reportNow(Instant now) {
        StepRunner.Step s = step;
        if (s == null || s.finished()) {
            return true;
        }
        StepObservation.Running r = s.state() instanceof StepObservation.Running running ? running : null;
        Reason waiting = r == null ? null : r.waitingOn();
        // A script's statements, not the backfill's batches (which it reports in the same field).
        int statement = r == null || r.phase() == PhaseName.Backfill ? -1 : r.statementsDone();
        if (lastReport == null || waiting != lastReportedWait || statement != lastReportedStatement
                || Duration.between(lastReport, now).compareTo(PROGRESS_REPORT_INTERVAL) >= 0) {
            lastReport = now;
            lastReportedWait = waiting;
            lastReportedStatement = statement;
            return true;
        }
        return false;
    }

    /** The Events this migration has published, so that repeats raise a count instead of adding objects. */
    EventSeries events() {
        return events;
    }

    String key() {
        return key;
    }

    /** The step's state for this object (uid), or Idle; a step of an earlier object with this name is not its. */
    StepObservation observe(String uid) {
        StepRunner.Step s = step;
        return s == null || !s.owner().equals(uid) ? StepObservation.idle() : s.state();
    }

    /**
     * Whether a step may start now. Refused while a step runs, or while a finished step's result is not recorded
     * (unless it belongs to an earlier object with this name, whose result nobody will record).
     */
    boolean canStart(String uid) {
        StepRunner.Step s = step;
        return s == null || s.finished() && !s.owner().equals(uid);
    }

    /** What is in the way of a new step, for the status message when canStart is false. */
    String busyWith() {
        StepRunner.Step s = step;
        return s == null ? "nothing" : (s.finished() ? "an unrecorded result" : "a running step")
                + (s.state() instanceof StepObservation.Running r ? " (" + r.detail() + ")" : "");
    }

    void started(StepRunner.Step s) {
        step = s;
    }

    /** Forgets a finished step's result once it is in status. */
    void acknowledge() {
        StepRunner.Step s = step;
        if (s != null && s.finished()) {
            step = null;
            backfillProgress = null;
            backfillSpec = null;
            decileReported = -1;
        }
    }

    void requestStop(Reason reason) {
        StepRunner.Step s = step;
        if (s != null) {
            s.requestStop(reason);
        }
    }

    void cancel(Reason reason) {
        StepRunner.Step s = step;
        if (s != null) {
            s.cancel(reason);
        }
    }

    /** Cancels what runs and waits for its sessions to close; false if it did not stop within atMost. */
    boolean stop(Duration atMost) {
        StepRunner.Step s = step;
        if (s == null) {
            return true;
        }
        s.cancel(Reason.Aborting);
        return s.awaitFinished(atMost);
    }

    boolean running() {
        StepRunner.Step s = step;
        return s != null && !s.finished();
    }

    /** The lint's last result for status.lint, or null before it ran in this operator. */
    dev.phasegate.api.LintStatus lint() {
        return lint;
    }

    /**
     * Records a lint verdict; its report, and how its plan differs from the last one (this operator's, or the one
     * status showed when this runtime began), become one Event at the next reconcile. Synchronized with lintShown so
     * that the status and the plan always come from the same lint.
     */
    synchronized void linted(dev.phasegate.postgres.LintPreflight.Result result) {
        dev.phasegate.lint.ShownPlan earlier = plan;
        lint = result.verdict().status();
        plan = result.plan();
        String report = java.util.stream.Stream.of(dev.phasegate.lint.PlanChanges.describe(earlier, plan),
                result.verdict().report()).flatMap(java.util.Optional::stream)
                .collect(java.util.stream.Collectors.joining("; "));
        if (!report.isEmpty()) {
            lintReport.set(report);
        }
    }

    /** The lint result status showed, when this operator has none of its own yet (after a restart). */
    synchronized void lintShown(dev.phasegate.api.LintStatus shown) {
        if (lint == null) {
            lint = shown;
            plan = dev.phasegate.lint.ShownPlan.of(shown);
        }
    }

    /** The lint report not yet sent as an Event, once. */
    java.util.Optional<String> takeLintReport() {
        return java.util.Optional.ofNullable(lintReport.getAndSet(null));
    }

    /** The database the last step connected to, until status records it. */
    DatabaseIdentity databaseSeen() {
        return databaseSeen;
    }

    void databaseSeen(DatabaseIdentity identity) {
        databaseSeen = identity;
    }

    BackfillStatus backfillProgress() {
        return backfillProgress;
    }

    void backfillProgress(BackfillStatus progress) {
        backfillProgress = progress;
    }

    /** The backfill's spec as edited since it started: batch settings reach a running backfill at its next batch. */
    BackfillSpec currentBackfillSpec(BackfillSpec fallback) {
        BackfillSpec s = backfillSpec;
        return s == null ? fallback : s;
    }

    void editBackfillSpec(BackfillSpec spec) {
        backfillSpec = spec;
    }

    /** Returns true when the backfill crossed into a new decile since the last Event (one Event per 10 %). */
    synchronized boolean crossedDecile(int decile) {
        if (decile > decileReported) {
            boolean report = decileReported >= 0 || decile > 0;
            decileReported = decile;
            return report && decile > 0;
        }
        return false;
    }
}
