package dev.phasegate.postgres;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.Durations;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.BatchSizer;
import dev.phasegate.api.HealthSpec;
import dev.phasegate.engine.BackfillPacer;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.BackfillCheckpoints.Checkpoint;
import dev.phasegate.postgres.BackfillPlan.Cursor;
import dev.phasegate.postgres.BackfillPlan.Remaining;
import dev.phasegate.postgres.BackfillPlan.Upper;
import java.math.BigDecimal;
import java.math.MathContext;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The batched backfill (rule 7): keyset batches over the key column with range predicates
 * ({@code key > last AND key <= upper AND (guard)}), each its own short transaction that also saves the checkpoint;
 * batch size adapting towards the target duration; a pause while the health gate is closed; resume from the
 * checkpoint; and the phase ends only when a verification query finds no row left that matches the guard (another
 * pass runs when the application wrote such rows meanwhile).
 *
 * <p>Holds the runner lock like {@link SqlStepExecutor}; one session for the batches. Stop requests end it at the
 * next batch boundary; {@link StepControl#cancelNow} cancels the running statement, whose batch rolls back.
 */
public final class Backfiller {

    /** Tunables that are not part of the resource; tests shorten them. */
    public record Options(Duration reportEvery, Duration gatePoll, int maxPasses, Duration minBatchTimeout,
            Duration rateWindow) {
        public static Options defaults() {
            return new Options(Duration.ofSeconds(1), Duration.ofSeconds(1), 20, Duration.ofSeconds(5),
                    Duration.ofSeconds(10));
        }

        public Options withReportEvery(Duration d) {
            return new Options(d, gatePoll, maxPasses, minBatchTimeout, rateWindow);
        }

        public Options withGatePoll(Duration d) {
            return new Options(reportEvery, d, maxPasses, minBatchTimeout, rateWindow);
        }
    }

    /**
     * One migration's backfill. {@code spec} is read before every batch, so edits of the batch settings (batchSize,
     * min/max, targetBatchDuration, pauseBetweenBatches) apply to the next batch; table, keyColumn, set and where
     * are read once at the start (the engine refuses changes of those after the phase started).
     */
    public record BackfillRequest(String migrationUid, String migration, Supplier<BackfillSpec> spec,
            ConnectionSettings db, SessionSettings session, LockPolicy locks, HealthSpec health) {
        /** With the default health limits, which adaptive pacing slows down at half of. */
        public BackfillRequest(String migrationUid, String migration, Supplier<BackfillSpec> spec,
                ConnectionSettings db, SessionSettings session, LockPolicy locks) {
            this(migrationUid, migration, spec, db, session, locks, null);
        }

        public BackfillRequest {
            Objects.requireNonNull(migrationUid, "migrationUid");
            Objects.requireNonNull(migration, "migration");
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(db, "db");
            Objects.requireNonNull(session, "session");
            Objects.requireNonNull(locks, "locks");
        }
    }

    /** Receives progress; called on the backfill's thread, so it must not block. */
    public interface Listener {
        /** At most every {@link Options#reportEvery}, and at once when the state changes (gate, retry, pass). */
        void progress(StepObservation.Running running, BackfillStatus progress);

        /** After every committed batch. */
        default void batch(Batch batch) {
        }
    }

    /**
     * A committed batch: {@code keys} planned keys over (fromKey, toKey] ({@code full} false: the pass's last,
     * shorter batch), the rows it updated, how long it took (key lookup to commit) and the size of the next batch.
     */
    public record Batch(int pass, int keys, boolean full, long rows, String fromKey, String toKey, Duration took,
            int nextSize) {
    }

    private final Options options;
    private final StepTelemetry telemetry;

    public Backfiller() {
        this(Options.defaults());
    }

    public Backfiller(Options options) {
        this(options, StepTelemetry.NONE);
    }

    /** A backfiller that reports batches, lock retries, watchdog cancels and runner-lock contention to telemetry. */
    public Backfiller(Options options, StepTelemetry telemetry) {
        this.options = Objects.requireNonNull(options, "options");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    public StepObservation run(BackfillRequest req, Listener listener, StepControl control,
            Supplier<HealthGate> gate) {
        BackfillSpec spec = req.spec().get();
        if (spec == null) {
            return failed(Reason.InvalidSpec, "spec.backfill is missing", false);
        }
        BatchSizer.Settings settings;
        try {
            settings = settings(spec);
            if (spec.pauseBetweenBatches != null) {
                Durations.parse(spec.pauseBetweenBatches);
            }
            AdaptivePacing.allowance(spec.latencyAllowance);
        } catch (IllegalArgumentException e) {
            return failed(Reason.InvalidSpec, "spec.backfill: " + e.getMessage(), false);
        }
        RunnerLock lock = null;
        try {
            lock = RunnerLock.tryAcquire(Sessions.open(req.db(), req.session()));
            if (lock == null) {
                telemetry.runnerLockBusy(req.migration());
                String holder;
                try (Connection c = Sessions.open(req.db(), req.session())) {
                    holder = RunnerLock.holder(c);
                }
                return failed(Reason.RunnerBusy, "another migration runner works on database " + req.db().describe()
                        + " (" + holder + "); waiting for it to finish", true);
            }
            try (Connection c = Sessions.open(req.db(), req.session());
                    Connection watcher = Sessions.open(req.db(), LockWatchdog.session(req.session()))) {
                java.util.Optional<String> leftovers = Leftovers.clear(lock, c, watcher,
                        req.session().applicationName());
                if (leftovers.isPresent()) {
                    return failed(Reason.RunnerBusy, leftovers.get(), true);
                }
                BackfillPlan.Inspection inspection = BackfillPlan.inspect(c, spec);
                if (inspection.problem() != null) {
                    BackfillPlan.Problem p = inspection.problem();
                    return failed(p.reason(), p.message(), p.retryable());
                }
                BackfillPlan plan = inspection.plan();
                BackfillCheckpoints.ensure(c);
                Checkpoint cp = BackfillCheckpoints.begin(c, req.migrationUid(), req.migration(), plan.table,
                        plan.keyColumn);
                return new Run(req, listener, control, gate, c,
                        new Watch(watcher, LockWatchdog.backendPid(c), lock), plan, cp,
                        new BatchSizer(settings), spec).execute();
            }
        } catch (SQLException e) {
            SqlFailure f = SqlFailure.of(e, req.db());
            if (control.stopRequested() && SqlFailure.QUERY_CANCELED.equals(f.sqlState())) {
                return failed(control.stopReason(), "backfill stopped (" + control.stopReason() + ")", true);
            }
            return failed(f.reason(), "backfill: " + f.message(), f.retryable());
        } finally {
            if (lock != null) {
                try {
                    lock.close();
                } catch (SQLException ignored) {
                    // the server releases the advisory lock with the session anyway
                }
            }
        }
    }

    static BatchSizer.Settings settings(BackfillSpec spec) {
        Duration target = spec.targetBatchDuration == null ? Duration.ofMillis(200)
                : Durations.parse(spec.targetBatchDuration);
        return BatchSizer.Settings.of(spec.batchSize, spec.minBatchSize, spec.maxBatchSize, target);
    }

    /** The lock watchdog's connection and the backend whose batches it watches (rule 6). */
    private record Watch(Connection connection, int pid, RunnerLock lock) {
    }


    private static StepObservation.Failed failed(Reason reason, String message, boolean retryable) {
        return new StepObservation.Failed(PhaseName.Backfill, false, 0, reason, message, retryable);
    }

    /** The state of one run: from the checkpoint through passes until verified, stopped or failed. */
    private final class Run {
        private final BackfillRequest req;
        private final Listener listener;
        private final StepControl control;
        private final Supplier<HealthGate> gate;
        private final Connection c;
        private final Watch watch;
        private final BackfillPlan plan;
        private final BatchSizer sizer;
        private final long startNanos = System.nanoTime();
        private final long rowsAtStart;
        private final ArrayDeque<long[]> rateSamples = new ArrayDeque<>();

        private int pass;
        private Cursor cursor;
        private long rowsDone;
        private long passRows;
        private long passKeys;
        private long batches;
        private boolean guardChecked;
        private Duration pause = Duration.ZERO;
        /** Null while a fixed pauseBetweenBatches is set: adaptive pacing starts when the pause is left out. */
        private Duration fixedPause;
        private AdaptivePacing pacing;
        private BackfillPacer.Pace pace;
        private String allowance;
        /** The spec's batch settings, before the pacer's factor on the target. */
        private BatchSizer.Settings base;
        private long statementTimeoutMs = -1;
        private long batchTimeoutMs;
        private long lastReportNanos = Long.MIN_VALUE;

        // progress estimates, refreshed at the start of every pass
        private long passEstimate = -1;
        private long reltuples = -1;
        private BigDecimal keyLow;
        private BigDecimal keyHigh;

        Run(BackfillRequest req, Listener listener, StepControl control, Supplier<HealthGate> gate, Connection c,
                Watch watch, BackfillPlan plan, Checkpoint cp, BatchSizer sizer, BackfillSpec spec) {
            this.req = req;
            this.listener = listener;
            this.control = control;
            this.gate = gate;
            this.c = c;
            this.watch = watch;
            this.plan = plan;
            this.sizer = sizer;
            this.base = sizer.settings();
            this.pass = cp.pass();
            this.cursor = cp.lastKey() == null ? Cursor.START : new Cursor(cp.lastKey(), cp.inclusive());
            this.rowsDone = cp.rowsDone();
            this.rowsAtStart = cp.rowsDone();
            this.passRows = cp.passRows();
            this.passKeys = cp.passKeys();
            this.batches = cp.batches();
            applyPause(spec);
        }

        StepObservation execute() throws SQLException {
            try {
                return walk();
            } finally {
                if (pacing != null) {
                    pacing.close();
                }
            }
        }

        private StepObservation walk() throws SQLException {
            if (plan.keyTypeName.startsWith("timestamp")) {
                // Keys travel as text between batches and restarts; ISO output reads back exactly.
                try (Statement s = c.createStatement()) {
                    s.execute("SET DateStyle = ISO");
                }
            }
            batchTimeoutMs = batchTimeout(sizer.settings().target());
            setStatementTimeout(batchTimeoutMs);
            boolean resumed = cursor.key() != null || batches > 0;
            estimatePass(-1);
            report(true, null, resumed ? "resuming from the checkpoint (pass " + pass + ", after key "
                    + (cursor.key() == null ? "-" : cursor.key()) + ", " + rowsDone + " rows done)" : "starting");
            while (true) {
                if (cursor.atStart()) {
                    String[] bounds = plan.keyBounds(c);
                    if (bounds[0] != null) {
                        cursor = new Cursor(bounds[0], true);
                    }
                }
                while (cursor.key() != null) {
                    StepObservation stop = beforeBatch();
                    if (stop != null) {
                        return stop;
                    }
                    Outcome o = batch();
                    if (o.stop() != null) {
                        return o.stop();
                    }
                    if (o.passEnded()) {
                        break;
                    }
                    if (!pause.isZero() && !control.sleep(pause)) {
                        return stopped();
                    }
                }
                if (control.stopRequested()) {
                    return stopped();
                }
                report(true, null, "pass " + pass + " walked the whole key range; verifying that no row still"
                        + " matches the guard");
                setStatementTimeout(req.session().statementTimeout().toMillis());
                Remaining left = plan.remaining(c, control);
                setStatementTimeout(batchTimeoutMs);
                if (left.rows() == 0) {
                    Checkpoint done = checkpoint(true);
                    BackfillCheckpoints.save(c, req.migration(), done);
                    BackfillStatus status = status(System.nanoTime(), true);
                    listener.progress(running(null, "verified: " + describe(status)), status);
                    return new StepObservation.Completed(PhaseName.Backfill, false, 0, rowsDone + " rows in " + pass
                            + " pass(es), " + batches + " batches; verified: no row of " + plan.table
                            + " matches the guard");
                }
                if (left.nullKeys() > 0) {
                    return failed(Reason.InvalidSpec, left.nullKeys() + " row(s) of " + plan.table + " that match"
                            + " the guard have a NULL " + plan.keyColumn + "; key ranges never reach them", false);
                }
                if (pass >= options.maxPasses()) {
                    return failed(Reason.SqlError, "after " + pass + " passes " + left.rows() + " row(s) of "
                            + plan.table + " still match the guard: the application keeps writing rows that need"
                            + " the backfill (is the new code, which writes the new column, rolled out?)", true);
                }
                pass++;
                cursor = new Cursor(left.minKey(), true);
                passRows = 0;
                passKeys = 0;
                BackfillCheckpoints.save(c, req.migration(), checkpoint(false));
                estimatePass(left.rows());
                report(true, null, left.rows() + " row(s) still match the guard (written meanwhile?); pass "
                        + pass + " starts at key " + left.minKey());
            }
        }

        /** Stop request, health gate and edited settings, between two batches. */
        private StepObservation beforeBatch() throws SQLException {
            if (control.stopRequested()) {
                return stopped();
            }
            if (!watch.lock().held()) {
                return failed(Reason.RunnerBusy, "the session holding the runner lock was lost; backfill stopped at"
                        + " its checkpoint so that no second runner works beside it, retrying", true);
            }
            HealthGate g = gate();
            if (!g.open()) {
                report(true, g.reason(), "backfill paused by the health gate: " + g.message());
                while (!g.open()) {
                    if (!control.sleep(options.gatePoll())) {
                        return stopped();
                    }
                    HealthGate now = gate();
                    boolean changed = now.open() || now.reason() != g.reason()
                            || !Objects.equals(now.message(), g.message());
                    g = now;
                    if (!g.open()) {
                        report(changed, g.reason(), "backfill paused by the health gate: " + g.message());
                    }
                }
                report(true, null, "health gate open again; backfill resumes");
            }
            BackfillSpec spec = req.spec().get();
            if (spec != null) {
                try {
                    base = settings(spec);
                    applyPause(spec);
                    sizer.apply(scaled(base));
                } catch (IllegalArgumentException ignored) {
                    // an invalid edit is reported by spec validation; the last good settings stay
                }
                long timeout = batchTimeout(sizer.settings().target());
                if (timeout != batchTimeoutMs) {
                    batchTimeoutMs = timeout;
                    setStatementTimeout(timeout);
                }
            }
            if (fixedPause == null && pacing == null) {
                startPacing();
            }
            return null;
        }

        private HealthGate gate() {
            try {
                HealthGate g = gate.get();
                return g == null ? HealthGate.opened() : g;
            } catch (RuntimeException e) {
                return HealthGate.closed(Reason.ProbeFailed, "health probe failed: " + e.getMessage());
            }
        }

        private record Outcome(boolean passEnded, StepObservation stop) {
        }

        /**
         * One batch, retried (smaller, after a backoff) when it times out on a lock, when the lock watchdog cancels
         * it because sessions queue behind it, or when it hits statement_timeout.
         */
        private Outcome batch() throws SQLException {
            int retry = 0;
            // Sessions queued behind tries that were retried (a cancel for BlockedQueries among them) count for the
            // pace after the batch that finally commits.
            int queuedBefore = 0;
            while (true) {
                int size = sizer.size();
                long t0 = System.nanoTime();
                Upper upper;
                long rows;
                Optional<LockWatchdog.Breach> breach = Optional.empty();
                Optional<Blockers> blockedBy = Optional.empty();
                int queued;
                Duration waitedAtCommit;
                try {
                    upper = plan.upper(c, cursor, size, control);
                    if (upper == null) {
                        return new Outcome(true, null);
                    }
                    String from = cursor.key();
                    try (LockWatchdog dog = LockWatchdog.watch(watch.connection(), watch.pid(), req.locks(), false,
                            line -> report(true, null, "batch after key " + from + ": " + line),
                            control::cancelRunning)) {
                        try {
                            c.setAutoCommit(false);
                            rows = plan.update(c, cursor, upper.key(), control);
                            if (!guardChecked && rows > 0) {
                                long still = plan.stillMatching(c, cursor, upper.key(), control);
                                if (still > 0) {
                                    c.rollback();
                                    return new Outcome(false, failed(Reason.InvalidSpec, "spec.backfill.set does"
                                            + " not make the guard (spec.backfill.where) false: " + still + " of "
                                            + rows + " rows still matched it after the first batch, so passes"
                                            + " would never end; the batch was rolled back", false));
                                }
                                guardChecked = true;
                            }
                            BackfillCheckpoints.save(c, req.migration(), new Checkpoint(pass, upper.key(), false,
                                    rowsDone + rows, passRows + rows, passKeys + size, batches + 1, false));
                            // Adaptive pacing: who waits for this batch's rows, read while it still holds them.
                            waitedAtCommit = adaptive() ? dog.longestQueuedWait().orElse(Duration.ZERO)
                                    : Duration.ZERO;
                            c.commit();
                            queued = Math.max(queuedBefore, dog.mostQueued());
                        } catch (SQLException e) {
                            queuedBefore = Math.max(queuedBefore, dog.mostQueued());
                            // only a cancel can be the watchdog's doing; a dead connection is reported as such
                            if (SqlFailure.QUERY_CANCELED.equals(e.getSQLState()) && !control.stopRequested()) {
                                breach = dog.breach();
                            }
                            blockedBy = breach.isPresent() ? dog.blockersAtBreach() : dog.blockers();
                            throw e;
                        }
                    }
                } catch (SQLException e) {
                    rollbackQuietly();
                    String state = e.getSQLState() == null ? "" : e.getSQLState();
                    if (control.stopRequested() && SqlFailure.QUERY_CANCELED.equals(state)) {
                        return new Outcome(false, stopped());
                    }
                    boolean lockBusy = breach.isPresent() || state.equals(SqlFailure.LOCK_NOT_AVAILABLE)
                            || state.equals("40P01") || state.equals("40001");
                    boolean timedOut = !lockBusy && state.equals(SqlFailure.QUERY_CANCELED);
                    if (!lockBusy && !timedOut) {
                        SqlFailure f = SqlFailure.of(e, req.db());
                        return new Outcome(false, failed(f.reason(), "batch of " + size + " keys after key "
                                + cursor.key() + " in " + plan.table + ": " + f.message(), f.retryable()));
                    }
                    if (breach.isPresent()) {
                        telemetry.watchdogCancel(req.migration(), breach.get().reason());
                    } else if (state.equals(SqlFailure.LOCK_NOT_AVAILABLE)) {
                        telemetry.lockTimeoutRetry(req.migration());
                    }
                    retry++;
                    int next = lockBusy ? sizer.afterLockTimeout()
                            : sizer.afterStatementTimeout(Duration.ofMillis(batchTimeoutMs));
                    String why = breach.map(LockWatchdog.Breach::message).orElse(lockBusy
                            ? "rows locked by another session (" + SqlFailure.serverText(e) + ")"
                            : "statement_timeout " + batchTimeoutMs + " ms");
                    if (retry > req.locks().retries()) {
                        Reason reason = breach.map(LockWatchdog.Breach::reason).orElse(lockBusy
                                ? Reason.LockRetriesExhausted : Reason.StatementTimeout);
                        return new Outcome(false, failed(reason, "backfill batch after key " + cursor.key()
                                + " gave up after " + retry + " tries, down to " + size + " keys: " + why, true));
                    }
                    Duration wait = lockBusy ? req.locks().backoff(retry, ThreadLocalRandom.current().nextDouble())
                            : Duration.ZERO;
                    // As for statements: a lock wait retries as soon as the transactions it waited on are over.
                    Optional<Blockers> watched = !lockBusy || breach.filter(b -> b.reason() != Reason.BlockedQueries)
                            .isPresent() ? Optional.empty() : blockedBy;
                    report(true, breach.map(LockWatchdog.Breach::reason).orElse(Reason.RetryBackoff),
                            "backfill batch after key " + cursor.key() + ": " + why + "; retry " + retry + "/"
                                    + req.locks().retries() + RetryWait.when(watched, wait) + " with " + next
                                    + " keys");
                    if (!wait.isZero() && RetryWait.await(watch.connection(), watched, wait, control,
                            ThreadLocalRandom.current().nextDouble()) == RetryWait.Outcome.STOPPED) {
                        return new Outcome(false, stopped());
                    }
                    continue;
                } finally {
                    restoreAutoCommit();
                }
                long end = System.nanoTime();
                Duration took = Duration.ofNanos(end - t0);
                String from = cursor.key();
                cursor = new Cursor(upper.key(), false);
                rowsDone += rows;
                passRows += rows;
                passKeys += size;
                batches++;
                int next = upper.full() ? sizer.afterBatch(size, took) : sizer.size();
                boolean slowed = pace(took, queued, waitedAtCommit);
                sample(end);
                listener.batch(new Batch(pass, size, upper.full(), rows, from, upper.key(), took, next));
                telemetry.backfillBatch(req.migration(), rows, took);
                // Slowing down is a change of state, reported at once: left to the timer, its reason (in
                // status.backfill.pacing) could be replaced by a later one before anybody saw it.
                report(slowed, null, null);
                return new Outcome(false, null);
            }
        }

        private StepObservation stopped() {
            return failed(control.stopReason() == null ? Reason.Paused : control.stopReason(), "backfill stopped at"
                    + " a batch boundary after " + rowsDone + " rows (pass " + pass + ", last key "
                    + (cursor.key() == null ? "-" : cursor.key()) + "); it resumes from there", true);
        }

        private Checkpoint checkpoint(boolean finished) {
            return new Checkpoint(pass, cursor.key(), cursor.inclusive(), rowsDone, passRows, passKeys, batches,
                    finished);
        }

        private void applyPause(BackfillSpec spec) {
            fixedPause = spec.pauseBetweenBatches == null ? null : Durations.parse(spec.pauseBetweenBatches);
            if (fixedPause != null) {
                pause = fixedPause;
            }
            allowance = spec.latencyAllowance;
        }

        /**
         * Adaptive pacing: the probe's baseline is measured now, before a batch of this run has touched the table.
         * The key it reads is the cursor's, a row that exists. Without a probe the backfill runs unpaced, as a
         * probe that cannot read the table says nothing about the application's latency.
         */
        private void startPacing() {
            report(true, null, "measuring the latency of a primary-key read of " + plan.table
                    + " before the first batch (adaptive pacing)");
            try {
                pacing = AdaptivePacing.start(req.db(), req.session(), plan, cursor.key(),
                        AdaptivePacing.allowance(allowance), req.health(), control);
                pace = pacing.pace();
            } catch (SQLException | IllegalArgumentException e) {
                pace = new BackfillPacer.Pace(1, 1, Duration.ZERO, "adaptive pacing unavailable ("
                        + (e instanceof SQLException se ? SqlFailure.serverText(se) : e.getMessage())
                        + "); running unpaced");
            }
            pause = pace.pause();
        }

        /**
         * The pause after a batch that took {@code took} while {@code queued} sessions waited behind it (the longest
         * of those still waiting when it committed for {@code waitedAtCommit}), and the batch target, from the pacing
         * in force. Whether the pacing slowed down.
         */
        private boolean pace(Duration took, int queued, Duration waitedAtCommit) {
            if (!adaptive()) {
                return false;
            }
            BackfillPacer.Pace before = pace;
            pace = pacing.afterBatch(took, queued, waitedAtCommit, watch.connection());
            pause = pace.pause();
            sizer.apply(scaled(base));
            return before != null && (pace.duty() < before.duty() || pace.targetScale() < before.targetScale());
        }

        /** Adaptive pacing is in force: it started, and no fixed pause has been set since (a spec edit can). */
        private boolean adaptive() {
            return fixedPause == null && pacing != null;
        }

        /** The spec's target batch duration times the pacer's factor (shorter batches hold locks shorter). */
        private BatchSizer.Settings scaled(BatchSizer.Settings spec) {
            if (fixedPause != null || pace == null || pace.targetScale() >= 1) {
                return spec;
            }
            Duration target = Duration.ofNanos(Math.max(1_000_000L,
                    (long) (spec.target().toNanos() * pace.targetScale())));
            return new BatchSizer.Settings(spec.start(), spec.min(), spec.max(), target);
        }

        /** The batches' statement_timeout: a safety net well above the target, never above the spec's bound. */
        private long batchTimeout(Duration target) {
            long ms = Math.max(options.minBatchTimeout().toMillis(), target.toMillis() * 10);
            return Math.min(ms, req.session().statementTimeout().toMillis());
        }

        private void setStatementTimeout(long ms) throws SQLException {
            if (ms == statementTimeoutMs) {
                return;
            }
            try (Statement s = c.createStatement()) {
                s.execute("SET statement_timeout = " + ms);
            }
            statementTimeoutMs = ms;
        }

        private void rollbackQuietly() {
            try {
                if (!c.getAutoCommit()) {
                    c.rollback();
                }
            } catch (SQLException ignored) {
                // a broken connection: the server rolls the transaction back itself
            }
        }

        private void restoreAutoCommit() {
            try {
                c.setAutoCommit(true);
            } catch (SQLException ignored) {
                // a broken connection; the next statement reports it
            }
        }

        // -------------------------------------------------------------- progress

        /** Refreshes the estimates at the start (or resumption) of a pass; remaining: exact count when known. */
        private void estimatePass(long remaining) throws SQLException {
            reltuples = plan.reltuples(c);
            long guess = remaining >= 0 ? remaining : plan.guardEstimate(c);
            if (guess >= 0 && reltuples > 0 && remaining < 0) {
                guess = Math.min(guess, reltuples);
            }
            passEstimate = guess < 0 ? -1 : passRows + guess;
            keyLow = null;
            keyHigh = null;
            if (plan.numericKey() && reltuples <= 0) {
                String[] bounds = plan.keyBounds(c);
                if (bounds[0] != null) {
                    keyLow = new BigDecimal(pass > 1 && cursor.key() != null && cursor.inclusive() && passRows == 0
                            ? cursor.key() : bounds[0]);
                    keyHigh = new BigDecimal(bounds[1]);
                }
            }
        }

        /**
         * Share of this pass's keys behind the cursor, 0..1. Pass 1 counts the keys it walked against reltuples,
         * which holds however sparse the keys are; without statistics, integer keys fall back to the cursor's
         * position in the key range. Later passes start from an exact count of the rows left.
         */
        private double keyFraction() {
            if (pass == 1 && reltuples > 0) {
                return Math.min(1.0, (double) passKeys / reltuples);
            }
            if (plan.numericKey() && reltuples <= 0) {
                if (keyLow == null || cursor.key() == null || cursor.inclusive()) {
                    return 0;
                }
                BigDecimal span = keyHigh.subtract(keyLow);
                if (span.signum() <= 0) {
                    return 1;
                }
                double f = new BigDecimal(cursor.key()).subtract(keyLow).divide(span, MathContext.DECIMAL64)
                        .doubleValue();
                return Math.max(0, Math.min(1, f));
            }
            return 0;
        }

        private long estimatedTotal() {
            long before = rowsDone - passRows;
            double f = keyFraction();
            long est;
            if (f >= 0.05 && passRows > 0) {
                est = before + Math.round(passRows / f);
            } else {
                est = before + Math.max(passRows, passEstimate);
            }
            return Math.max(est, rowsDone);
        }

        private void sample(long nanos) {
            rateSamples.addLast(new long[] {nanos, rowsDone});
            long horizon = nanos - options.rateWindow().toNanos();
            while (rateSamples.size() > 2 && rateSamples.peekFirst()[0] < horizon) {
                rateSamples.removeFirst();
            }
        }

        private double rate(long now) {
            if (rateSamples.size() >= 2) {
                long[] first = rateSamples.peekFirst();
                long[] last = rateSamples.peekLast();
                // Up to now, so that a pause (gate, backoff) lowers the rate instead of freezing it.
                double secs = (Math.max(now, last[0]) - first[0]) / 1e9;
                return secs <= 0 ? 0 : (last[1] - first[1]) / secs;
            }
            double secs = (now - startNanos) / 1e9;
            return secs <= 0 ? 0 : (rowsDone - rowsAtStart) / secs;
        }

        private BackfillStatus status(long now, boolean finished) {
            BackfillStatus s = new BackfillStatus();
            s.rowsDone = rowsDone;
            long est = finished ? rowsDone : estimatedTotal();
            s.rowsEstimated = est;
            s.percent = finished ? 100 : est <= 0 ? 0 : (int) Math.min(99, rowsDone * 100 / est);
            s.lastKey = cursor.key();
            double rate = rate(now);
            s.rowsPerSecond = Math.round(rate * 10) / 10.0;
            s.batchSize = sizer.size();
            s.passes = pass;
            s.pause = Durations.format(pause.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
            s.pacing = fixedPause != null ? "fixed by spec.backfill.pauseBetweenBatches"
                    : pace == null ? null : pace.why();
            if (!finished && rate > 0 && est > rowsDone) {
                s.eta = Durations.format(Duration.ofSeconds((long) Math.ceil((est - rowsDone) / rate)));
            }
            return s;
        }

        private String describe(BackfillStatus s) {
            return String.format(Locale.ROOT, "backfill of %s (pass %d): %,d of ~%,d rows (%d%%), %,.0f rows/s,"
                    + " batch %,d keys, last key %s%s", plan.table, s.passes, s.rowsDone, s.rowsEstimated, s.percent,
                    s.rowsPerSecond, s.batchSize, s.lastKey == null ? "-" : s.lastKey,
                    s.eta == null ? "" : ", ETA " + s.eta);
        }

        private StepObservation.Running running(Reason waitingOn, String detail) {
            return new StepObservation.Running(PhaseName.Backfill, false, (int) Math.min(Integer.MAX_VALUE, batches),
                    0, waitingOn, detail);
        }

        private void report(boolean force, Reason waitingOn, String what) {
            long now = System.nanoTime();
            if (!force && lastReportNanos != Long.MIN_VALUE
                    && now - lastReportNanos < options.reportEvery().toNanos()) {
                return;
            }
            lastReportNanos = now;
            BackfillStatus s = status(now, false);
            listener.progress(running(waitingOn, what == null ? describe(s) : what + "; " + describe(s)), s);
        }
    }
}
