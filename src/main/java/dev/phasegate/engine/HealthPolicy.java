package dev.phasegate.engine;

import dev.phasegate.api.Durations;
import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.HealthStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.HealthSnapshot.AutovacuumRun;
import dev.phasegate.engine.HealthSnapshot.Blocker;
import dev.phasegate.engine.HealthSnapshot.LagSource;
import dev.phasegate.engine.HealthSnapshot.Oldest;
import dev.phasegate.engine.HealthSnapshot.ReplicaLag;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;

/**
 * The health gate's rules: compares a {@link HealthSnapshot} with {@code spec.health} and names the first failing
 * signal. Pure: no I/O, no clock (every instant is an argument).
 *
 * <p>Signals, in the order they are checked (the first failing one is the gate's reason):
 * <ol>
 * <li>{@link Reason#ProbeFailed}: the probing role cannot see other roles' sessions, or probed a standby;</li>
 * <li>{@link Reason#LongTransaction}: for a phase that builds an index concurrently, the oldest transaction or
 * snapshot anywhere in the database (CREATE INDEX CONCURRENTLY waits for every older snapshot); otherwise the oldest
 * transaction holding a lock on the migration's tables;</li>
 * <li>{@link Reason#IdleInTransaction}: the longest idle-in-transaction session, database-wide;</li>
 * <li>{@link Reason#ReplicationLag}: the worst replay lag, from pg_stat_replication and from replicas asked
 * directly; a replica that cannot be measured gives {@link Reason#ProbeFailed} here;</li>
 * <li>{@link Reason#ConnectionSaturation}: client connections over max_connections minus the reserved ones;</li>
 * <li>{@link Reason#LockWaiters}: sessions waiting for locks on the migration's tables;</li>
 * <li>{@link Reason#Autovacuum}: autovacuum holding a lock on one of the migration's tables.</li>
 * </ol>
 * A value equal to its threshold passes; only a value above it closes the gate.
 */
public final class HealthPolicy {

    private HealthPolicy() {
    }

    /** The gate's verdict plus what status shows next to it. */
    public record Assessment(HealthGate gate, Optional<Blocker> blocker) {
        public static Assessment open() {
            return new Assessment(HealthGate.opened(), Optional.empty());
        }
    }

    /** spec.health with defaults filled in; the raw texts are kept so messages quote what the user wrote. */
    public record Thresholds(Duration maxTransactionAge, String maxTransactionAgeText, Duration maxIdleInTransaction,
            String maxIdleInTransactionText, Duration maxReplicationLag, String maxReplicationLagText,
            double maxConnectionUsage, int maxLockWaiters, boolean blockOnAutovacuum) {

        /** Reads spec.health; null (the whole object or a field) means the default. */
        public static Thresholds of(HealthSpec spec) {
            HealthSpec defaults = new HealthSpec();
            HealthSpec h = spec == null ? defaults : spec;
            String tx = h.maxTransactionAge == null ? defaults.maxTransactionAge : h.maxTransactionAge;
            String idle = h.maxIdleInTransaction == null ? defaults.maxIdleInTransaction : h.maxIdleInTransaction;
            String lag = h.maxReplicationLag == null ? defaults.maxReplicationLag : h.maxReplicationLag;
            double usage = h.maxConnectionUsage == null ? defaults.maxConnectionUsage : h.maxConnectionUsage;
            int waiters = h.maxLockWaiters == null ? defaults.maxLockWaiters : h.maxLockWaiters;
            boolean autovacuum = h.blockOnAutovacuum == null ? defaults.blockOnAutovacuum : h.blockOnAutovacuum;
            return new Thresholds(Durations.parse(tx), tx, Durations.parse(idle), idle, Durations.parse(lag), lag,
                    usage, waiters, autovacuum);
        }
    }

    /** The gate for this snapshot; {@code databaseWide} is true for a phase that builds an index concurrently. */
    public static HealthGate evaluate(HealthSnapshot s, HealthSpec spec, boolean databaseWide) {
        return assess(s, Thresholds.of(spec), databaseWide).gate();
    }

    public static Assessment assess(HealthSnapshot s, HealthSpec spec, boolean databaseWide) {
        return assess(s, Thresholds.of(spec), databaseWide);
    }

    /** The gate and its blocker; see the class comment for the order of the signals. */
    public static Assessment assess(HealthSnapshot s, Thresholds t, boolean databaseWide) {
        if (!s.readAllStats()) {
            String role = s.role() == null ? "the probing role" : "role '" + s.role() + "'";
            return closed(Reason.ProbeFailed, role + " lacks pg_monitor (pg_read_all_stats), so other roles' sessions"
                    + " are hidden" + (s.hiddenSessions() > 0 ? " (" + s.hiddenSessions()
                            + " shown as '<insufficient privilege>')" : "")
                    + " and their transactions, snapshots and replication lag cannot be measured; run GRANT"
                    + " pg_monitor TO " + (s.role() == null ? "<role>" : quoteIdent(s.role()))
                    + ". The gate stays closed until the probe sees every session", null);
        }
        if (s.inRecovery()) {
            return closed(Reason.ProbeFailed, "the database is a standby (in recovery), not the primary;"
                    + " point spec.database.secretRef at the primary", null);
        }

        Oldest tx = databaseWide ? older(s.oldestTransaction(), s.oldestSnapshot()) : s.tableTransaction();
        if (tx.age().compareTo(t.maxTransactionAge()) > 0) {
            String what = databaseWide
                    ? "the oldest transaction in the database has been open for " + show(tx.age())
                            + " > maxTransactionAge " + t.maxTransactionAgeText()
                            + " (database-wide: CREATE INDEX CONCURRENTLY waits for every older snapshot, in any table)"
                    : "a transaction holding locks on the migration's tables has been open for " + show(tx.age())
                            + " > maxTransactionAge " + t.maxTransactionAgeText();
            return closed(Reason.LongTransaction, what + blockerText(tx.blocker()), tx.blocker().orElse(null));
        }

        Oldest idle = s.idleInTransaction();
        if (idle.age().compareTo(t.maxIdleInTransaction()) > 0) {
            return closed(Reason.IdleInTransaction, "a session has been idle in transaction for " + show(idle.age())
                    + " > maxIdleInTransaction " + t.maxIdleInTransactionText() + blockerText(idle.blocker())
                    + "; it holds its locks and snapshot until it commits or is terminated"
                    + " (idle_in_transaction_session_timeout bounds this)", idle.blocker().orElse(null));
        }

        Optional<ReplicaLag> worst = s.worstReplica();
        if (worst.isPresent() && worst.get().lag().get().compareTo(t.maxReplicationLag()) > 0) {
            ReplicaLag r = worst.get();
            return closed(Reason.ReplicationLag, "replica " + r.name() + " lags " + show(r.lag().get())
                    + " > maxReplicationLag " + t.maxReplicationLagText() + replicaDetail(r), null);
        }
        for (ReplicaLag r : s.replicas()) {
            if (r.error().isPresent()) {
                return closed(Reason.ProbeFailed, "cannot measure the lag of replica " + r.name() + ": "
                        + r.error().get(), null);
            }
            if (r.source() == LagSource.DIRECT && !r.inRecovery()) {
                return closed(Reason.ProbeFailed, "replica " + r.name() + " is not in recovery (promoted, or its"
                        + " Secret points at a primary), so its lag means nothing; fix or remove it from"
                        + " spec.database.replicas", null);
            }
            if (r.lag().isEmpty()) {
                return closed(Reason.ProbeFailed, "the lag of replica " + r.name() + " is unknown: it has WAL to"
                        + " replay but has replayed no transaction since it started" + replicaDetail(r), null);
            }
        }

        double usage = s.connectionUsage();
        if (usage > t.maxConnectionUsage()) {
            return closed(Reason.ConnectionSaturation, "connections at " + percent(usage) + " (" + s.connectionsUsed()
                    + " of " + s.connectionsUsable() + " usable: max_connections minus reserved) > maxConnectionUsage "
                    + percent(t.maxConnectionUsage()), null);
        }

        if (s.lockWaiters() > t.maxLockWaiters()) {
            String who = s.lockWaiters() == 1 ? " session waits" : " sessions wait";
            return closed(Reason.LockWaiters, s.lockWaiters() + who + " for a lock on the migration's tables,"
                    + " the longest for " + show(s.longestLockWait()) + " (maxLockWaiters " + t.maxLockWaiters() + ")"
                    + blockerText(s.lockBlocker()), s.lockBlocker().orElse(null));
        }

        if (t.blockOnAutovacuum() && !s.autovacuum().isEmpty()) {
            AutovacuumRun run = s.autovacuum().stream().filter(AutovacuumRun::wraparound).findFirst()
                    .orElse(s.autovacuum().get(0));
            String more = s.autovacuum().size() > 1 ? " (and " + (s.autovacuum().size() - 1) + " more)" : "";
            String why = run.wraparound()
                    ? "; it runs to prevent wraparound and will not yield to our locks: wait for it to finish"
                    : "; our DDL would conflict with it (blockOnAutovacuum is true)";
            return closed(Reason.Autovacuum, "autovacuum runs on " + run.table() + more + " (pid " + run.pid()
                    + ", for " + show(run.age()) + ")" + why,
                    new Blocker(run.pid(), null, "autovacuum", "active", run.age(), run.statement()));
        }
        return Assessment.open();
    }

    /** The gate when the probe could not run; it never opens on a failure. */
    public static HealthGate probeFailed(String detail) {
        return HealthGate.closed(Reason.ProbeFailed, "health probe failed: " + detail
                + "; the gate stays closed until a probe succeeds");
    }

    /**
     * {@code gate} while its check is at most {@code maxAge} old at {@code now}; a stale gate is closed with
     * {@link Reason#ProbeFailed}, whatever it said.
     */
    public static HealthGate fresh(HealthGate gate, Instant checkedAt, Instant now, Duration maxAge) {
        Duration age = Duration.between(checkedAt, now);
        if (age.compareTo(maxAge) <= 0) {
            return gate;
        }
        return HealthGate.closed(Reason.ProbeFailed, "the last health check is " + show(age) + " old (limit "
                + show(maxAge) + "): the probe is stuck or too slow; the gate stays closed until a probe succeeds");
    }

    // ------------------------------------------------------------------ two-stage breach

    /**
     * A closed gate seen on consecutive checks, like gh-ost's critical load: the first check raises a suspicion,
     * a later one confirms it. The reason is the latest one; a change of reason keeps the breach going (the
     * database stayed unhealthy, or unknown).
     */
    public record Breach(Reason reason, Instant firstSeen, Instant lastSeen, int checks) {
        /**
         * Whether the breach lasted past a second check: seen at least twice, the last time at least
         * {@code confirmAfter} after the first. A zero {@code confirmAfter} confirms on the first check.
         */
        public boolean confirmed(Duration confirmAfter) {
            if (confirmAfter.isZero() || confirmAfter.isNegative()) {
                return true;
            }
            return checks >= 2 && Duration.between(firstSeen, lastSeen).compareTo(confirmAfter) >= 0;
        }

        public Duration duration() {
            return Duration.between(firstSeen, lastSeen);
        }
    }

    /**
     * The breach after one more check: none once the gate is open again; a check no newer than the last one
     * counted adds nothing (the same observation read twice is not a second check).
     */
    public static Optional<Breach> track(Optional<Breach> previous, HealthGate gate, Instant checkedAt) {
        if (gate.open()) {
            return Optional.empty();
        }
        if (previous.isEmpty()) {
            return Optional.of(new Breach(gate.reason(), checkedAt, checkedAt, 1));
        }
        Breach p = previous.get();
        if (!checkedAt.isAfter(p.lastSeen())) {
            return previous;
        }
        return Optional.of(new Breach(gate.reason(), p.firstSeen(), checkedAt, p.checks() + 1));
    }

    // ------------------------------------------------------------------ status

    /** status.health with the snapshot's values only (no gate, no blocker). */
    public static HealthStatus toStatus(HealthSnapshot s) {
        HealthStatus h = new HealthStatus();
        h.checkedAt = Times.format(s.checkedAt());
        h.oldestTransactionAge = show(older(s.oldestTransaction(), s.oldestSnapshot()).age());
        h.idleInTransactionAge = show(s.idleInTransaction().age());
        Optional<ReplicaLag> worst = s.worstReplica();
        h.replicationLag = worst.map(r -> show(r.lag().get())).orElse(null);
        h.laggingReplica = worst.filter(r -> !r.lag().get().isZero()).map(ReplicaLag::name).orElse(null);
        double usage = s.connectionUsage();
        h.connectionUsage = Double.isFinite(usage) ? Math.round(usage * 1000) / 1000.0 : null;
        h.blockedQueries = s.lockWaiters();
        return h;
    }

    /** status.health with the values, the gate ({@code Open} or the reason) and, when closed, its blocker. */
    public static HealthStatus toStatus(HealthSnapshot s, Assessment a) {
        HealthStatus h = toStatus(s);
        h.gate = gateText(a.gate());
        h.blocker = a.gate().open() ? null : a.blocker().map(HealthPolicy::blockerStatus).orElse(null);
        return h;
    }

    /** {@code Open}, or the reason of a closed gate. */
    public static String gateText(HealthGate g) {
        return g.open() ? "Open" : g.reason() == null ? "Closed" : g.reason().name();
    }

    public static HealthStatus.Blocker blockerStatus(Blocker b) {
        HealthStatus.Blocker out = new HealthStatus.Blocker();
        out.pid = b.pid();
        out.user = b.user();
        out.applicationName = b.applicationName();
        out.state = b.state();
        out.age = show(b.age());
        out.statement = b.statement();
        out.query = b.queryText() == null ? null : truncate(b.queryText().strip(), 200);
        return out;
    }

    // ------------------------------------------------------------------ helpers

    /**
     * A duration for people: milliseconds below 10 s, tenths of a second below a minute, whole seconds above.
     * Rounded up, so a value above a threshold never reads as equal to it ({@code 60.4s} shows as {@code 1m1s}).
     */
    public static String show(Duration d) {
        if (d.isNegative()) {
            return Durations.format(d);
        }
        if (d.compareTo(Duration.ofDays(365)) > 0) {
            return Durations.format(d.truncatedTo(ChronoUnit.SECONDS));
        }
        long unit = d.compareTo(Duration.ofSeconds(10)) < 0 ? 1_000_000L
                : d.compareTo(Duration.ofMinutes(1)) < 0 ? 100_000_000L : 1_000_000_000L;
        long nanos = d.toNanos();
        return Durations.format(Duration.ofNanos((nanos + unit - 1) / unit * unit));
    }

    private static Assessment closed(Reason reason, String message, Blocker blocker) {
        return new Assessment(HealthGate.closed(reason, message), Optional.ofNullable(blocker));
    }

    private static Oldest older(Oldest a, Oldest b) {
        return b.age().compareTo(a.age()) > 0 ? b : a;
    }

    private static String blockerText(Optional<Blocker> b) {
        return b.map(x -> "; blocker: " + x.describe()).orElse("");
    }

    private static String replicaDetail(ReplicaLag r) {
        StringBuilder b = new StringBuilder(" (");
        b.append(r.source() == LagSource.STREAMING ? "pg_stat_replication on the primary" : "measured on the replica");
        r.bytesBehind().ifPresent(n -> b.append(", ").append(bytes(n)).append(" behind"));
        if (r.state() != null && !r.state().isBlank()) {
            b.append(", ").append(r.state());
        }
        return b.append(')').toString();
    }

    private static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f kB", n / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MB", n / (1024.0 * 1024));
    }

    private static String percent(double fraction) {
        if (!Double.isFinite(fraction)) {
            return "100+%";
        }
        String text = String.format(Locale.ROOT, "%.1f", fraction * 100);
        return (text.endsWith(".0") ? text.substring(0, text.length() - 2) : text) + "%";
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private static String quoteIdent(String name) {
        return name.matches("[a-z_][a-z0-9_$]*") ? name : '"' + name.replace("\"", "\"\"") + '"';
    }
}
