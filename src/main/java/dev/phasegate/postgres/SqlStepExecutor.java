package dev.phasegate.postgres;

import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.HealthPolicy;
import dev.phasegate.engine.HealthSnapshot;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.sql.SqlScript;
import dev.phasegate.postgres.sql.SqlScriptException;
import dev.phasegate.postgres.sql.SqlStatement;
import dev.phasegate.postgres.sql.StatementKind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Runs a phase's SQL statement by statement under the database rules: one runner per database, a syntax check
 * before anything is applied, every statement journaled in the ledger (exactly once), lock_timeout on every lock
 * with bounded jittered retries, and cleanup of a failed concurrent index build.
 */
public final class SqlStepExecutor {
    private final StepTelemetry telemetry;

    public SqlStepExecutor() {
        this(StepTelemetry.NONE);
    }

    /** An executor that reports applied and failed statements, lock retries and watchdog cancels to telemetry. */
    public SqlStepExecutor(StepTelemetry telemetry) {
        this.telemetry = java.util.Objects.requireNonNull(telemetry, "telemetry");
    }

    /**
     * One phase's SQL (or its rollbackSql) to run for one migration. {@code rollbackSql}, for a forward step, is the
     * phase's rollbackSql: what existed before the phase is recorded against it, so that an automatic rollback after
     * a failure is held when it would drop something the migration did not create.
     */
    public record SqlStep(String migrationUid, String migration, PhaseName phase, boolean rollback, String sql,
            ConnectionSettings db, SessionSettings session, LockPolicy locks, HealthSpec health,
            String rollbackSql) {

        public SqlStep(String migrationUid, String migration, PhaseName phase, boolean rollback, String sql,
                ConnectionSettings db, SessionSettings session, LockPolicy locks, HealthSpec health) {
            this(migrationUid, migration, phase, rollback, sql, db, session, locks, health, null);
        }

        boolean guardsRollback() {
            return !rollback && rollbackSql != null && !rollbackSql.isBlank();
        }
        String direction() {
            return rollback ? "rollback" : "apply";
        }

        String label() {
            return (rollback ? "rollback of " : "") + phase;
        }
    }

    /** Receives progress while the step runs. */
    public interface Listener {
        void progress(int done, int total, Reason waitingOn, String detail);
    }

    public StepObservation run(SqlStep step, Listener listener, StepControl control) {
        return run(step, listener, control, Optional::empty);
    }

    /**
     * As above; sustainedBreach reports a health gate that stayed closed past a second check, which cancels the
     * running statement (rule: a long statement must not keep adding load to a database in trouble) and backs off.
     */
    public StepObservation run(SqlStep step, Listener listener, StepControl control,
            Supplier<Optional<HealthGate>> sustainedBreach) {
        SqlScript script;
        try {
            script = SqlScript.parse(step.sql());
        } catch (SqlScriptException e) {
            return failed(step, 0, Reason.InvalidSpec, e.getMessage(), false);
        }
        int total = script.size();
        int journaled = 0;
        int done = 0;
        RunnerLock lock = null;
        try {
            lock = RunnerLock.tryAcquire(Sessions.open(step.db(), step.session()));
            if (lock == null) {
                telemetry.runnerLockBusy(step.migration());
                String holder;
                try (Connection c = Sessions.open(step.db(), step.session())) {
                    holder = RunnerLock.holder(c);
                }
                return failed(step, 0, Reason.RunnerBusy, "another migration runner works on database "
                        + step.db().describe() + " (" + holder + "); waiting for it to finish", true);
            }
            try (Connection c = Sessions.open(step.db(), step.session());
                    Connection watcher = Sessions.open(step.db(), LockWatchdog.session(step.session()))) {
                int pid = LockWatchdog.backendPid(c);
                Optional<String> leftovers = Leftovers.clear(lock, c, watcher, step.session().applicationName());
                if (leftovers.isPresent()) {
                    return failed(step, 0, Reason.RunnerBusy, leftovers.get(), true);
                }
                Ledger.ensure(c);
                if (step.guardsRollback()) {
                    RollbackGuard.ensure(c);
                    if (!Ledger.anyRow(c, step.migration(), step.phase().name(), step.direction())) {
                        RollbackGuard.capture(c, step.migration(), step.phase().name(), step.rollbackSql());
                    }
                }
                journaled = countDone(c, step, script);
                if (journaled < total) {
                    Optional<String> syntax = SyntaxCheck.firstError(c, script, journaled);
                    if (syntax.isPresent()) {
                        return failed(step, journaled, Reason.SqlError, syntax.get() + "; nothing of it was applied",
                                false);
                    }
                }
                for (SqlStatement s : script.statements()) {
                    if (control.stopRequested()) {
                        return failed(step, done, control.stopReason(), step.label() + " stopped after statement "
                                + done + "/" + total + " (" + control.stopReason() + ")", true);
                    }
                    if (!lock.held()) {
                        return failed(step, done, Reason.RunnerBusy, "the session holding the runner lock of database "
                                + step.db().describe() + " was lost before statement " + s.index() + "/" + total
                                + "; stopped so that no second runner works beside this one, retrying", true);
                    }
                    listener.progress(done, total, null, step.label() + ": statement " + s.index() + "/" + total
                            + ": " + abbreviate(s.text()));
                    Optional<StepObservation> stop = runOne(c, new Watch(watcher, pid, sustainedBreach), step, s,
                            total, listener, control);
                    if (stop.isPresent()) {
                        return holdUnsafeRollback(c, step, stop.get());
                    }
                    done++;
                }
                if (step.rollback()) {
                    // Undone: a later object of this name must apply the phase again, not find it "done".
                    Ledger.forgetPhase(c, step.migration(), step.phase().name());
                    RollbackGuard.ensure(c);
                    RollbackGuard.forget(c, step.migration(), step.phase().name());
                }
                return new StepObservation.Completed(step.phase(), step.rollback(), total,
                        total + " statement(s) applied");
            }
        } catch (SQLException e) {
            SqlFailure f = SqlFailure.of(e, step.db());
            // Not 0: the engine reads statementsDone == 0 as "nothing applied, nothing to roll back".
            return failed(step, Math.max(done, journaled), f.reason(), f.message(), f.retryable());
        } finally {
            closeQuietly(lock);
        }
    }

    /**
     * A failure that a retry cannot fix, after statements were applied, makes the engine roll the phase back with
     * its rollbackSql. That rollback must not drop what existed before the phase (ADD COLUMN IF NOT EXISTS of a
     * column that was there, then DROP COLUMN IF EXISTS in the rollback, would delete the column's data): then the
     * failure is reported as RollbackHeld, and a person fixes the statement or aborts.
     */
    private StepObservation holdUnsafeRollback(Connection c, SqlStep step, StepObservation result)
            throws SQLException {
        if (!(result instanceof StepObservation.Failed f) || f.retryable() || f.statementsDone() == 0
                || !step.guardsRollback()) {
            return result;
        }
        Optional<String> unsafe = RollbackGuard.unsafe(c, step.migration(), step.phase().name(), step.rollbackSql());
        if (unsafe.isEmpty()) {
            return result;
        }
        return failed(step, f.statementsDone(), Reason.RollbackHeld, f.message() + "; automatic rollback held: "
                + unsafe.get(), false);
    }

    private int countDone(Connection c, SqlStep step, SqlScript script) throws SQLException {
        int done = 0;
        for (SqlStatement s : script.statements()) {
            Optional<Ledger.Entry> e = Ledger.find(c, key(step, s));
            if (e.isPresent() && e.get().state() == Ledger.State.done) {
                done++;
            } else {
                break;
            }
        }
        return done;
    }

    /** Runs one statement unless the ledger says it ran; returns a result only when the step must end here. */
    private Optional<StepObservation> runOne(Connection c, Watch watch, SqlStep step, SqlStatement s, int total,
            Listener listener, StepControl control) throws SQLException {
        Ledger.Key key = key(step, s);
        Optional<Ledger.Entry> entry = Ledger.find(c, key);
        if (entry.isPresent() && !entry.get().checksum().equals(s.checksum())) {
            // Blocked, not failed: a failure would roll back with rollbackSql what the earlier text applied.
            Ledger.Entry e = entry.get();
            boolean sameObject = step.migrationUid().equals(e.migrationUid());
            return Optional.of(failed(step, s.index() - 1, Reason.SpecChangedAfterStart, "statement " + s.index()
                    + " of " + step.label() + " already " + (e.state() == Ledger.State.done ? "ran" : "started")
                    + " on this database" + (e.finishedAt() == null ? "" : " at " + e.finishedAt().toInstant())
                    + (sameObject ? "" : " for an earlier SchemaMigration named " + step.migration() + " (uid "
                            + e.migrationUid() + ")")
                    + " with different text; nothing was run. Restore the original SQL of that statement, or give a"
                    + " new migration a new name", true));
        }
        if (entry.isPresent() && entry.get().state() == Ledger.State.done) {
            if (s.kind() == StatementKind.SESSION_SETTING) {
                // SET search_path etc. live in the session, not the database: this run's new session needs it
                // again before the statements after it.
                try (Statement st = c.createStatement()) {
                    st.execute(s.text());
                }
                restoreBounds(c);
            }
            return Optional.empty();
        }
        if (entry.isPresent() && isIndexBuild(s) && IndexCatalog.reconcile(c, s)) {
            // A crash after the build finished: the catalog proves it is done; only the journal was behind.
            Ledger.markDone(c, key, step.migrationUid(), s.checksum(), s.text());
            return Optional.empty();
        }
        if (entry.isPresent() && s.kind() == StatementKind.DROP_INDEX_CONCURRENTLY && s.indexName().isPresent()
                && IndexCatalog.find(c, s).isEmpty()) {
            // A crash after the drop finished: running it again would fail on the missing index.
            Ledger.markDone(c, key, step.migrationUid(), s.checksum(), s.text());
            return Optional.empty();
        }
        String where = "statement " + s.index() + "/" + total;
        Optional<HealthGate> closed = preflight(watch.connection(), step, s);
        if (closed.isPresent()) {
            return Optional.of(failed(step, s.index() - 1, closed.get().reason(), "preflight before " + where + " ("
                    + abbreviate(s.text()) + "): " + closed.get().message() + "; it did not start", true));
        }
        int retry = 0;
        while (true) {
            Optional<LockWatchdog.Breach> breach = Optional.empty();
            Optional<Blockers> blockedBy = Optional.empty();
            try {
                try (LockWatchdog dog = LockWatchdog.watch(watch.connection(), watch.pid(), step.locks(),
                        s.kind().concurrent(), line -> listener.progress(s.index() - 1, total, null, where + ": " + line),
                        control::cancelRunning, () -> watch.sustainedBreach().get().map(g -> new LockWatchdog.Breach(
                                g.reason(), "health gate closed on two checks in a row (" + g.message()
                                        + "); cancelled our statement rather than add to the load")))) {
                    try {
                        if (s.transactional()) {
                            runInTransaction(c, step, s, key, control);
                        } else {
                            runOutsideTransaction(c, step, s, key, control);
                        }
                    } catch (SQLException e) {
                        breach = dog.breach();
                        blockedBy = breach.isPresent() && !breach.get().lockBusy() ? dog.blockersAtBreach()
                                : dog.blockers();
                        if (breach.isEmpty() || control.stopRequested()) {
                            throw e;
                        }
                    }
                }
                if (breach.isEmpty()) {
                    // After every statement, not only a SET: a function it called may have changed our bounds with
                    // set_config(..., false), which outlives its transaction and would unbound the next statement.
                    restoreBounds(c);
                    telemetry.statementApplied(step.migration());
                    return Optional.empty();
                }
                if (!breach.get().lockBusy()) {
                    telemetry.watchdogCancel(step.migration(), breach.get().reason());
                }
            } catch (SQLException e) {
                SqlFailure f = SqlFailure.of(e, step.db());
                if (control.stopRequested() && SqlFailure.QUERY_CANCELED.equals(f.sqlState())) {
                    return Optional.of(failed(step, s.index() - 1, control.stopReason(), step.label()
                            + " stopped (" + control.stopReason() + ") at statement " + s.index() + "/" + total
                            + "; it was not applied", true));
                }
                if (!SqlFailure.LOCK_NOT_AVAILABLE.equals(f.sqlState())) {
                    telemetry.statementFailed(step.migration(), f.reason());
                    return Optional.of(failed(step, s.index() - 1, f.reason(), where
                            + " (" + abbreviate(s.text()) + "): " + f.message(), f.retryable()));
                }
            }
            // A lock timeout or a watchdog cancel: the statement did not apply; back off, then try again.
            if (breach.isEmpty() || breach.get().lockBusy()) {
                telemetry.lockTimeoutRetry(step.migration());
            }
            retry++;
            String why = breach.map(LockWatchdog.Breach::message).orElse("lock busy (lock_timeout "
                    + step.locks().lockTimeout().toMillis() + " ms)");
            Optional<LockWatchdog.Breach> protective = breach.filter(b -> !b.lockBusy());
            if (retry > step.locks().retries()) {
                Reason reason = protective.map(LockWatchdog.Breach::reason).orElse(Reason.LockRetriesExhausted);
                telemetry.statementFailed(step.migration(), reason);
                return Optional.of(failed(step, s.index() - 1, reason, where + " (" + abbreviate(s.text())
                        + ") gave up after " + retry + " tries: " + why, true));
            }
            Duration wait = step.locks().backoff(retry, ThreadLocalRandom.current().nextDouble());
            // A lock wait, or a queue behind our waiting statement (BlockedQueries while we waited for a lock), ends
            // with the transactions we waited on; any other protective cancel waits out its timer.
            Optional<Blockers> watched = protective.isPresent()
                    && protective.get().reason() != Reason.BlockedQueries ? Optional.empty()
                    : blockedBy;
            listener.progress(s.index() - 1, total, protective.map(LockWatchdog.Breach::reason)
                    .orElse(Reason.RetryBackoff),
                    where + ": " + why + "; retry " + retry + "/" + step.locks().retries()
                            + RetryWait.when(watched, wait));
            if (RetryWait.await(watch.connection(), watched, wait, control, ThreadLocalRandom.current().nextDouble())
                    == RetryWait.Outcome.STOPPED) {
                return Optional.of(failed(step, s.index() - 1, control.stopReason(), step.label()
                        + " stopped while waiting to retry statement " + s.index(), true));
            }
        }
    }

    /**
     * Rule 4: a fresh health check right before each schema-changing statement. A concurrent index build waits for
     * every older snapshot in the database, so its check is database-wide; others look at their own tables.
     */
    private static Optional<HealthGate> preflight(Connection watcher, SqlStep step, SqlStatement s)
            throws SQLException {
        if (step.health() == null || s.kind() == StatementKind.DML || s.kind() == StatementKind.SESSION_SETTING) {
            return Optional.empty();
        }
        boolean databaseWide = s.kind() == StatementKind.CREATE_INDEX_CONCURRENTLY
                || s.kind() == StatementKind.REINDEX_CONCURRENTLY;
        HealthSnapshot snapshot = new HealthProbe().probe(watcher, "phasegate/", s.lockTargets());
        HealthGate gate = HealthPolicy.evaluate(snapshot, step.health(), databaseWide);
        return gate.open() ? Optional.empty() : Optional.of(gate);
    }

    /** The watchdog's connection and the backend it watches. */
    private record Watch(Connection connection, int pid, Supplier<Optional<HealthGate>> sustainedBreach) {
    }


    private void runInTransaction(Connection c, SqlStep step, SqlStatement s, Ledger.Key key, StepControl control)
            throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            control.running(st);
            st.execute(s.text());
            Ledger.markDone(c, key, step.migrationUid(), s.checksum(), s.text());
            c.commit();
        } catch (SQLException e) {
            rollbackQuietly(c);
            throw e;
        } finally {
            control.running(null);
            c.setAutoCommit(true);
        }
    }

    private void runOutsideTransaction(Connection c, SqlStep step, SqlStatement s, Ledger.Key key,
            StepControl control) throws SQLException {
        boolean indexBuild = isIndexBuild(s);
        if (indexBuild) {
            IndexCatalog.dropIfInvalid(c, s);
        }
        if (s.kind() == StatementKind.REINDEX_CONCURRENTLY) {
            IndexCatalog.dropReindexLeftovers(c, s);
        }
        boolean unbounded = s.kind().concurrent();
        Ledger.markRunning(c, key, step.migrationUid(), s.checksum(), s.text());
        try (Statement st = c.createStatement()) {
            if (unbounded) {
                // lock_timeout also cuts a CONCURRENTLY statement's later waits for older transactions, leaving an
                // INVALID index or a pending detach. The watchdog bounds its first wait, for the table lock, by
                // lockTimeout instead (cancelled then, nothing has changed), and its later waits by
                // indexBuildMaxWait.
                st.execute("SET lock_timeout = 0");
            }
            try {
                control.running(st);
                st.execute(s.text());
            } finally {
                control.running(null);
                if (unbounded) {
                    st.execute("RESET lock_timeout");
                }
            }
            if (indexBuild) {
                IndexCatalog.requireBuilt(c, s);
            }
            Ledger.markDone(c, key, step.migrationUid(), s.checksum(), s.text());
        } catch (SQLException e) {
            // Cleanup must not replace the statement's own error, which decides reason and retry.
            try {
                if (indexBuild) {
                    IndexCatalog.dropIfInvalid(c, s);
                }
                if (s.kind() == StatementKind.REINDEX_CONCURRENTLY) {
                    IndexCatalog.dropReindexLeftovers(c, s);
                }
                Ledger.forget(c, key);
            } catch (SQLException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * A SET in the script must not unbound our session (rule 1: lock_timeout never 0): RESET brings back the
     * values of the startup packet, so the bounds of spec.locks always win over the script's.
     */
    private static void restoreBounds(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            // One round trip: it runs after every statement.
            st.execute("RESET lock_timeout; RESET statement_timeout; RESET idle_in_transaction_session_timeout");
        }
    }

    static boolean isIndexBuild(SqlStatement s) {
        return s.kind() == StatementKind.CREATE_INDEX_CONCURRENTLY && s.indexName().isPresent();
    }

    private static Ledger.Key key(SqlStep step, SqlStatement s) {
        return new Ledger.Key(step.migration(), step.phase().name(), step.direction(), s.index());
    }

    private static StepObservation failed(SqlStep step, int done, Reason reason, String message, boolean retry) {
        return new StepObservation.Failed(step.phase(), step.rollback(), done, reason, message, retry);
    }

    static String abbreviate(String sql) {
        String oneLine = sql.replaceAll("\\s+", " ").trim();
        return oneLine.length() <= 120 ? oneLine : oneLine.substring(0, 117) + "...";
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the server rolls the transaction back itself
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing a dead connection: the server releases the advisory lock with the session anyway
            }
        }
    }

    /** Catalog facts about the index a concurrent build creates, to reconcile after failures and crashes. */
    static final class IndexCatalog {
        private IndexCatalog() {
        }

        /** An index as the catalog has it: its name as regclass prints it (quoted, schema-qualified if needed). */
        record Found(String name, boolean valid) {
        }

        /** True when the statement's index exists and is valid (so the build is done). */
        static boolean reconcile(Connection c, SqlStatement s) throws SQLException {
            Optional<Found> found = find(c, s);
            if (found.isPresent() && !found.get().valid()) {
                drop(c, found.get());
                return false;
            }
            return found.isPresent();
        }

        /**
         * The statement's index. The splitter gives names in the form to_regclass accepts (quoted parts kept
         * quoted), so they are passed as they are. CREATE INDEX puts the index in its table's schema, which need
         * not be on the search_path, so with a table the name is looked up there and only on that table.
         */
        static Optional<Found> find(Connection c, SqlStatement s) throws SQLException {
            if (s.indexName().isEmpty()) {
                return Optional.empty();
            }
            String index = s.indexName().get();
            Optional<String> table = s.tableName();
            if (table.isPresent() && !isQualified(index)) {
                Optional<String> schema = schemaOf(c, table.get());
                if (schema.isEmpty()) {
                    return Optional.empty(); // no table, so no index on it
                }
                index = schema.get() + "." + index;
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT i.indisvalid, i.indexrelid::regclass::text"
                    + " FROM pg_index i WHERE i.indexrelid = to_regclass(?)"
                    + (table.isPresent() ? " AND i.indrelid = to_regclass(?)" : ""))) {
                ps.setString(1, index);
                if (table.isPresent()) {
                    ps.setString(2, table.get());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new Found(rs.getString(2), rs.getBoolean(1))) : Optional.empty();
                }
            }
        }

        /**
         * After a build reported success: its index is on its table and valid. IF NOT EXISTS succeeds without building
         * when the name is taken (by an INVALID index someone else's build left, or by another relation), and such
         * an index must not be journaled as done. Throws; the caller's cleanup drops an INVALID one.
         */
        static void requireBuilt(Connection c, SqlStatement s) throws SQLException {
            Optional<Found> found = find(c, s);
            if (found.isEmpty()) {
                throw new SQLException("index " + s.indexName().orElse("") + " is not on table "
                        + s.tableName().orElse("?") + " after CREATE INDEX CONCURRENTLY (IF NOT EXISTS skipped it:"
                        + " another relation has that name); nothing was journaled as done. Rename the index",
                        "42P07");
            }
            if (!found.get().valid()) {
                throw new SQLException("index " + found.get().name() + " is INVALID after CREATE INDEX CONCURRENTLY"
                        + " (IF NOT EXISTS kept a broken index another session left); it is dropped and not journaled"
                        + " as done", "55000");
            }
        }

        /** Drops the statement's index if a failed build left it INVALID (it would slow every write). */
        static void dropIfInvalid(Connection c, SqlStatement s) throws SQLException {
            Optional<Found> found = find(c, s);
            if (found.isPresent() && !found.get().valid()) {
                drop(c, found.get());
            }
        }

        /**
         * Drops the INVALID copies a failed REINDEX INDEX|TABLE ... CONCURRENTLY left on its table: PostgreSQL names
         * them after the index with a _ccnew (not yet swapped in) or _ccold (swapped out) suffix, and each one slows
         * every write until dropped.
         */
        static void dropReindexLeftovers(Connection c, SqlStatement s) throws SQLException {
            boolean onIndex = s.indexName().isPresent();
            if (!onIndex && s.tableName().isEmpty()) {
                return; // REINDEX SCHEMA/DATABASE/SYSTEM: no one table to look at
            }
            List<Found> leftovers = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                    WHERE NOT i.indisvalid AND ic.relname ~ '_cc(new|old)[0-9]*$'
                      AND i.indrelid = coalesce((SELECT indrelid FROM pg_index WHERE indexrelid = to_regclass(?)),
                                                to_regclass(?))
                      AND (NOT ? OR starts_with(ic.relname,
                                                left((SELECT relname FROM pg_class WHERE oid = to_regclass(?)), 40)))""")) {
                String index = s.indexName().orElse(null);
                ps.setString(1, index);
                ps.setString(2, s.tableName().orElse(null));
                ps.setBoolean(3, onIndex);
                ps.setString(4, index);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        leftovers.add(new Found(rs.getString(1), false));
                    }
                }
            }
            for (Found leftover : leftovers) {
                drop(c, leftover);
            }
        }

        private static void drop(Connection c, Found index) throws SQLException {
            try (Statement st = c.createStatement()) {
                // The name is regclass output, quoted by PostgreSQL itself.
                st.execute("DROP INDEX CONCURRENTLY IF EXISTS " + index.name());
            }
        }

        private static Optional<String> schemaOf(Connection c, String table) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("SELECT quote_ident(n.nspname) FROM pg_class t"
                    + " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE t.oid = to_regclass(?)")) {
                ps.setString(1, table);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
            }
        }

        /** A dot outside double quotes separates a schema from the name. */
        private static boolean isQualified(String name) {
            boolean quoted = false;
            for (int i = 0; i < name.length(); i++) {
                char ch = name.charAt(i);
                if (ch == '"') {
                    quoted = !quoted;
                } else if (ch == '.' && !quoted) {
                    return true;
                }
            }
            return false;
        }
    }
}
