package dev.phasegate.postgres;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.Durations;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.BatchSizer;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.BackfillPlan.Cursor;
import dev.phasegate.postgres.BackfillPlan.Upper;
import dev.phasegate.postgres.sql.SetList;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The consistency check before Cleanup: counts the rows whose targets of spec.backfill.set differ from what set
 * computes on that row ({@code target IS DISTINCT FROM CAST((expr) AS <target's type>)}), walking the key in the
 * backfill's ranges. Read-only: a read-only session, AccessShare locks only (nothing is prepared that writes), each
 * batch a short statement under lock_timeout and a batch-sized statement_timeout, watched by the lock watchdog, and
 * paused while the health gate is closed. Takes no runner lock: it writes nothing, so it never competes with one.
 */
public final class BackfillVerifier {
    static final int EXAMPLES = 5;
    private static final Pattern PLAIN_NAME = Pattern.compile("[a-z_][a-z0-9_]*");
    private static final String VERIFY_GT = "phasegate_verify_gt";
    private static final String VERIFY_GE = "phasegate_verify_ge";

    /** Tunables that are not part of the resource; tests shorten them. */
    public record Options(Duration reportEvery, Duration gatePoll, Duration minBatchTimeout) {
        public static Options defaults() {
            return new Options(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(5));
        }
    }

    /** One migration's check; the spec is the one in force when the check starts. */
    public record VerifyRequest(String migration, BackfillSpec spec, ConnectionSettings db, SessionSettings session,
            LockPolicy locks) {
        public VerifyRequest {
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(db, "db");
            Objects.requireNonNull(session, "session");
            Objects.requireNonNull(locks, "locks");
        }
    }

    private final Options options;

    public BackfillVerifier() {
        this(Options.defaults());
    }

    public BackfillVerifier(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Runs the check to the end; never throws (a failure is a result the engine decides on). */
    public StepObservation.Verified run(VerifyRequest req, Consumer<StepObservation.Running> progress,
            StepControl control, Supplier<HealthGate> gate) {
        try {
            return check(req, progress, control, gate);
        } catch (SQLException e) {
            SqlFailure f = SqlFailure.of(e, req.db());
            if (control.stopRequested() && SqlFailure.QUERY_CANCELED.equals(f.sqlState())) {
                return stopped(control);
            }
            return StepObservation.Verified.failed(f.reason(), "consistency check: " + f.message(), f.retryable());
        } catch (RuntimeException e) {
            return StepObservation.Verified.failed(Reason.SqlError, "consistency check: internal error "
                    + e.getClass().getSimpleName(), true);
        }
    }

    private StepObservation.Verified check(VerifyRequest req, Consumer<StepObservation.Running> progress,
            StepControl control, Supplier<HealthGate> gate) throws SQLException {
        BackfillSpec spec = req.spec();
        SetList.Parsed parsed = SetList.parse(spec.set);
        if (parsed.problem() != null) {
            return StepObservation.Verified.failed(Reason.Inconsistent, parsed.problem(), false);
        }
        BatchSizer sizer;
        Duration pause;
        try {
            sizer = new BatchSizer(Backfiller.settings(spec));
            // The check only reads; without a fixed pause it rests as long as its batches take (half speed).
            pause = spec.pauseBetweenBatches == null ? null : Durations.parse(spec.pauseBetweenBatches);
        } catch (IllegalArgumentException e) {
            return StepObservation.Verified.failed(Reason.InvalidSpec, "spec.backfill: " + e.getMessage(), false);
        }
        try (Connection c = Sessions.open(req.db(), req.session());
                Connection watcher = Sessions.open(req.db(), LockWatchdog.session(req.session()))) {
            try (Statement s = c.createStatement()) {
                // Nothing the check runs may write, whatever set's expressions call.
                s.execute("SET default_transaction_read_only = on");
            }
            BackfillPlan.Inspection inspection = BackfillPlan.inspectForReading(c, spec);
            if (inspection.problem() != null) {
                BackfillPlan.Problem p = inspection.problem();
                return StepObservation.Verified.failed(p.reason(), p.message(), p.retryable());
            }
            BackfillPlan plan = inspection.plan();
            Map<String, String> types = new LinkedHashMap<>();
            for (SetList.Assignment a : parsed.assignments()) {
                Optional<String> type = columnType(c, plan, a.column());
                if (type.isEmpty()) {
                    return StepObservation.Verified.failed(Reason.Inconsistent, "spec.backfill.set assigns to column "
                            + a.column() + ", which table " + plan.table + " does not have", false);
                }
                types.put(a.column(), type.get());
            }
            List<String> executed = new ArrayList<>();
            List<String> shown = new ArrayList<>();
            for (SetList.Assignment a : parsed.assignments()) {
                String q = Identifiers.quote(a.column());
                // The cast makes the comparison see what the assignment stored (e.g. rounding into an integer).
                executed.add("(" + q + " IS DISTINCT FROM CAST((" + a.expression() + "\n) AS " + types.get(a.column())
                        + "))");
                shown.add((PLAIN_NAME.matcher(a.column()).matches() ? a.column() : q) + " IS DISTINCT FROM ("
                        + a.expression() + ")");
            }
            String compared = String.join(" OR ", shown);
            String predicate = String.join(" OR ", executed);
            String range = " WHERE " + plan.qKey + " %s $1 AND " + plan.qKey + " <= $2 AND (" + predicate + ")";
            String params = "(" + plan.keyType + ", " + plan.keyType + ")";
            for (String[] s : new String[][] {{VERIFY_GT, ">"}, {VERIFY_GE, ">="}}) {
                Optional<BackfillPlan.Problem> p = BackfillPlan.prepareOne(c, "the consistency check of"
                        + " spec.backfill.set", "PREPARE " + s[0] + params + " AS SELECT count(*) OVER (), m.k::text AS"
                        + " key FROM (SELECT " + plan.qKey + " AS k FROM " + plan.qTable + range.formatted(s[1])
                        + ") m ORDER BY m.k LIMIT " + EXAMPLES);
                if (p.isPresent()) {
                    return StepObservation.Verified.failed(Reason.Inconsistent, p.get().message(), false);
                }
            }
            return new Walk(req, plan, c, new Watch(watcher, LockWatchdog.backendPid(c)), sizer, pause, progress,
                    control, gate, compared).run();
        }
    }

    /** The declared type of a target column, with its modifier (varchar(20), numeric(10,2)). */
    private static Optional<String> columnType(Connection c, BackfillPlan plan, String column) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT format_type(a.atttypid, a.atttypmod) FROM"
                + " pg_attribute a WHERE a.attrelid = to_regclass(?) AND a.attname = ? AND a.attnum > 0"
                + " AND NOT a.attisdropped")) {
            ps.setString(1, plan.qTable);
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    private static StepObservation.Verified stopped(StepControl control) {
        Reason r = control.stopReason() == null ? Reason.Paused : control.stopReason();
        return StepObservation.Verified.failed(r, "consistency check stopped (" + r + ")", true);
    }

    private record Watch(Connection connection, int pid) {
    }

    /** One walk over the key range. */
    private final class Walk {
        private final VerifyRequest req;
        private final BackfillPlan plan;
        private final Connection c;
        private final Watch watch;
        private final BatchSizer sizer;
        private final Duration pause;
        private final Consumer<StepObservation.Running> progress;
        private final StepControl control;
        private final Supplier<HealthGate> gate;
        private final String compared;
        private final List<String> examples = new ArrayList<>();
        private long mismatched;
        private long keysChecked;
        private int batches;
        private long estimate = -1;
        private long lastReport = Long.MIN_VALUE;
        private long timeoutMs = -1;

        Walk(VerifyRequest req, BackfillPlan plan, Connection c, Watch watch, BatchSizer sizer, Duration pause,
                Consumer<StepObservation.Running> progress, StepControl control, Supplier<HealthGate> gate,
                String compared) {
            this.req = req;
            this.plan = plan;
            this.c = c;
            this.watch = watch;
            this.sizer = sizer;
            this.pause = pause;
            this.progress = progress;
            this.control = control;
            this.gate = gate;
            this.compared = compared;
        }

        StepObservation.Verified run() throws SQLException {
            if (plan.keyTypeName.startsWith("timestamp")) {
                try (Statement s = c.createStatement()) {
                    s.execute("SET DateStyle = ISO");
                }
            }
            long batchTimeout = Math.min(Math.max(options.minBatchTimeout().toMillis(),
                    sizer.settings().target().toMillis() * 10), req.session().statementTimeout().toMillis());
            estimate = plan.reltuples(c);
            report(true, null, "starting");
            String[] bounds = plan.keyBounds(c);
            Cursor cursor = bounds[0] == null ? null : new Cursor(bounds[0], true);
            while (cursor != null) {
                if (control.stopRequested()) {
                    return stopped(control);
                }
                HealthGate g = gate();
                while (!g.open()) {
                    report(true, g.reason(), "paused by the health gate: " + g.message());
                    if (!control.sleep(options.gatePoll())) {
                        return stopped(control);
                    }
                    g = gate();
                }
                int size = sizer.size();
                long t0 = System.nanoTime();
                int retry = 0;
                Upper upper;
                while (true) {
                    setTimeout(batchTimeout);
                    Optional<LockWatchdog.Breach> breach = Optional.empty();
                    try {
                        upper = plan.upper(c, cursor, size, control);
                        if (upper == null) {
                            break;
                        }
                        String from = cursor.key();
                        Cursor at = cursor;
                        try (LockWatchdog dog = LockWatchdog.watch(watch.connection(), watch.pid(), req.locks(),
                                false, line -> report(true, null, "batch after key " + from + ": " + line),
                                control::cancelRunning)) {
                            try {
                                count(at, upper.key());
                            } catch (SQLException e) {
                                if (SqlFailure.QUERY_CANCELED.equals(e.getSQLState()) && !control.stopRequested()) {
                                    breach = dog.breach();
                                }
                                throw e;
                            }
                        }
                        break;
                    } catch (SQLException e) {
                        String state = e.getSQLState() == null ? "" : e.getSQLState();
                        if (control.stopRequested() && SqlFailure.QUERY_CANCELED.equals(state)) {
                            return stopped(control);
                        }
                        boolean lockBusy = breach.isPresent() || SqlFailure.LOCK_NOT_AVAILABLE.equals(state);
                        boolean timedOut = !lockBusy && SqlFailure.QUERY_CANCELED.equals(state);
                        if (!lockBusy && !timedOut) {
                            throw e;
                        }
                        retry++;
                        if (retry > req.locks().retries()) {
                            Reason reason = breach.map(LockWatchdog.Breach::reason).orElse(lockBusy
                                    ? Reason.LockRetriesExhausted : Reason.StatementTimeout);
                            return StepObservation.Verified.failed(reason, "consistency check: batch after key "
                                    + cursor.key() + " gave up after " + retry + " tries: " + breach.map(
                                            LockWatchdog.Breach::message).orElse(SqlFailure.serverText(e)), true);
                        }
                        size = lockBusy ? sizer.afterLockTimeout()
                                : sizer.afterStatementTimeout(Duration.ofMillis(batchTimeout));
                        Duration wait = lockBusy ? req.locks().backoff(retry, ThreadLocalRandom.current()
                                .nextDouble()) : Duration.ZERO;
                        if (!wait.isZero() && !control.sleep(wait)) {
                            return stopped(control);
                        }
                    }
                }
                if (upper == null) {
                    break;
                }
                keysChecked += size;
                batches++;
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                if (upper.full()) {
                    sizer.afterBatch(size, took);
                }
                cursor = upper.full() ? new Cursor(upper.key(), false) : null;
                report(false, null, null);
                Duration rest = pause == null ? took : pause;
                if (cursor != null && !rest.isZero() && !control.sleep(rest)) {
                    return stopped(control);
                }
            }
            return StepObservation.Verified.counted(mismatched, examples, compared);
        }

        private void count(Cursor from, String upper) throws SQLException {
            String name = from.inclusive() ? VERIFY_GE : VERIFY_GT;
            try (Statement s = c.createStatement()) {
                control.running(s);
                try (ResultSet rs = s.executeQuery("EXECUTE " + name + "(" + BackfillPlan.literal(c, from.key())
                        + ", " + BackfillPlan.literal(c, upper) + ")")) {
                    boolean first = true;
                    while (rs.next()) {
                        if (first) {
                            mismatched += rs.getLong(1);
                            first = false;
                        }
                        if (examples.size() < EXAMPLES) {
                            examples.add(rs.getString(2));
                        }
                    }
                }
            } finally {
                control.running(null);
            }
        }

        private HealthGate gate() {
            try {
                HealthGate g = gate.get();
                return g == null ? HealthGate.opened() : g;
            } catch (RuntimeException e) {
                return HealthGate.closed(Reason.ProbeFailed, "health probe failed: " + e.getMessage());
            }
        }

        private void setTimeout(long ms) throws SQLException {
            if (ms == timeoutMs) {
                return;
            }
            try (Statement s = c.createStatement()) {
                s.execute("SET statement_timeout = " + ms);
            }
            timeoutMs = ms;
        }

        private void report(boolean force, Reason waitingOn, String what) {
            long now = System.nanoTime();
            if (!force && lastReport != Long.MIN_VALUE && now - lastReport < options.reportEvery().toNanos()) {
                return;
            }
            lastReport = now;
            String counted = "checked " + keysChecked + (estimate > 0 ? " of ~" + estimate : "") + " rows of "
                    + plan.table + ", " + mismatched + " disagree with spec.backfill.set so far";
            progress.accept(new StepObservation.Running(PhaseName.Backfill, false, batches, 0, waitingOn,
                    what == null ? counted : what + "; " + counted));
        }
    }
}
