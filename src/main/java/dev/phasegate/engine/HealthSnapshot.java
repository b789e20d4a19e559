package dev.phasegate.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one health probe measured, as plain values (no connection, no clock): the input of {@link HealthPolicy}.
 *
 * <p>Ages are zero when nothing was found. Every session count and age excludes our own sessions (those whose
 * application_name starts with the probe's prefix), WAL senders and autovacuum workers that do not run to prevent
 * wraparound; parallel workers are represented by their leader.
 *
 * @param checkedAt             when the probe ran (the probing side's clock)
 * @param role                  the database role that probed, for messages
 * @param readAllStats          whether that role sees every session's details (pg_monitor / pg_read_all_stats);
 *                              without it other roles' sessions look idle and the gate cannot be trusted open
 * @param hiddenSessions        sessions whose details were hidden ({@code '<insufficient privilege>'})
 * @param inRecovery            the probed server is a standby, not the primary the migration needs
 * @param oldestTransaction     oldest open transaction in the database, and who holds it
 * @param oldestSnapshot        oldest transaction that holds a snapshot ({@code backend_xmin}): what CREATE INDEX
 *                              CONCURRENTLY waits for
 * @param oldestSnapshotXidAge  {@code age(backend_xmin)} of that snapshot, in transactions; 0 when none
 * @param tableTransaction      oldest transaction holding a lock on one of the migration's tables
 * @param idleInTransaction     longest time a session has been idle inside a transaction (age = idle time)
 * @param lockWaiters           sessions waiting for a lock on one of the migration's tables
 * @param longestLockWait       the longest of those waits
 * @param lockBlocker           the session at the head of that queue
 * @param replicas              replication lag per standby or logical consumer, worst first is not guaranteed
 * @param connectionsUsed       client backends connected to the server (all databases)
 * @param connectionsUsable     max_connections minus the reserved connections
 * @param autovacuum            autovacuum workers holding a lock on one of the migration's tables
 * @param unresolvedTables      migration tables that do not exist (yet), so nothing was measured on them
 */
public record HealthSnapshot(
        Instant checkedAt,
        String role,
        boolean readAllStats,
        int hiddenSessions,
        boolean inRecovery,
        Oldest oldestTransaction,
        Oldest oldestSnapshot,
        long oldestSnapshotXidAge,
        Oldest tableTransaction,
        Oldest idleInTransaction,
        int lockWaiters,
        Duration longestLockWait,
        Optional<Blocker> lockBlocker,
        List<ReplicaLag> replicas,
        int connectionsUsed,
        int connectionsUsable,
        List<AutovacuumRun> autovacuum,
        List<String> unresolvedTables) {

    public HealthSnapshot {
        Objects.requireNonNull(checkedAt, "checkedAt");
        oldestTransaction = oldestTransaction == null ? Oldest.NONE : oldestTransaction;
        oldestSnapshot = oldestSnapshot == null ? Oldest.NONE : oldestSnapshot;
        tableTransaction = tableTransaction == null ? Oldest.NONE : tableTransaction;
        idleInTransaction = idleInTransaction == null ? Oldest.NONE : idleInTransaction;
        longestLockWait = nonNegative(longestLockWait);
        lockBlocker = lockBlocker == null ? Optional.empty() : lockBlocker;
        replicas = List.copyOf(replicas == null ? List.of() : replicas);
        autovacuum = List.copyOf(autovacuum == null ? List.of() : autovacuum);
        unresolvedTables = List.copyOf(unresolvedTables == null ? List.of() : unresolvedTables);
    }

    /** Fraction of the usable connections in use; 1 or more means only superusers can still connect. */
    public double connectionUsage() {
        if (connectionsUsable <= 0) {
            return connectionsUsed > 0 ? Double.POSITIVE_INFINITY : 0;
        }
        return (double) connectionsUsed / connectionsUsable;
    }

    /** The replica with the largest known lag, if any replica reported one. */
    public Optional<ReplicaLag> worstReplica() {
        ReplicaLag worst = null;
        for (ReplicaLag r : replicas) {
            if (r.lag().isPresent() && (worst == null || r.lag().get().compareTo(worst.lag().get()) > 0)) {
                worst = r;
            }
        }
        return Optional.ofNullable(worst);
    }

    /** The same measurements with these replicas added (e.g. direct replica probes added to pg_stat_replication's). */
    public HealthSnapshot withReplicas(List<ReplicaLag> more) {
        List<ReplicaLag> all = new ArrayList<>(replicas);
        all.addAll(more);
        return toBuilder().replicas(all).build();
    }

    public Builder toBuilder() {
        Builder b = new Builder(checkedAt);
        b.role = role;
        b.readAllStats = readAllStats;
        b.hiddenSessions = hiddenSessions;
        b.inRecovery = inRecovery;
        b.oldestTransaction = oldestTransaction;
        b.oldestSnapshot = oldestSnapshot;
        b.oldestSnapshotXidAge = oldestSnapshotXidAge;
        b.tableTransaction = tableTransaction;
        b.idleInTransaction = idleInTransaction;
        b.lockWaiters = lockWaiters;
        b.longestLockWait = longestLockWait;
        b.lockBlocker = lockBlocker.orElse(null);
        b.replicas = new ArrayList<>(replicas);
        b.connectionsUsed = connectionsUsed;
        b.connectionsUsable = connectionsUsable;
        b.autovacuum = new ArrayList<>(autovacuum);
        b.unresolvedTables = new ArrayList<>(unresolvedTables);
        return b;
    }

    /** A snapshot of a quiet database (nothing found, full visibility) to start from. */
    public static Builder builder(Instant checkedAt) {
        return new Builder(checkedAt);
    }

    private static Duration nonNegative(Duration d) {
        return d == null || d.isNegative() ? Duration.ZERO : d;
    }

    /**
     * A session in the way: who it is and what it runs. Another session's query text can carry its data (an email
     * in a WHERE clause), and status and Events are readable by anyone who may get the SchemaMigration, so by
     * default only a summary travels; the full text only when the operator is configured to show it.
     *
     * @param age       how long its transaction has been open (for an idle-in-transaction session: how long it has
     *                  been idle); zero when it has no transaction
     * @param statement its current or last statement's command and first table ({@code UPDATE orders}), never a
     *                  literal; null when unknown
     * @param queryText the statement's text, at most 200 characters; null unless
     *                  {@code phasegate.health.show-query-text} is true
     */
    public record Blocker(int pid, String user, String applicationName, String state, Duration age, String statement,
            String queryText) {
        public Blocker {
            age = nonNegative(age);
        }

        /** A blocker named by its statement summary only, without its text. */
        public Blocker(int pid, String user, String applicationName, String state, Duration age, String statement) {
            this(pid, user, applicationName, state, age, statement, null);
        }

        /** {@code pid 4711 (application 'report', user 'bi', active, 2m5s) running UPDATE orders}. */
        public String describe() {
            StringBuilder b = new StringBuilder("pid ").append(pid).append(" (application '")
                    .append(applicationName == null ? "" : applicationName).append('\'');
            if (user != null) {
                b.append(", user '").append(user).append('\'');
            }
            if (state != null) {
                b.append(", ").append(state);
            }
            b.append(", ").append(HealthPolicy.show(age)).append(')');
            if (statement != null && !statement.isBlank()) {
                b.append(" running ").append(statement);
            }
            if (queryText != null && !queryText.isBlank()) {
                b.append(": ").append(queryText.strip().replaceAll("\\s+", " "));
            }
            return b.toString();
        }
    }

    /** The largest age found for one signal and the session it belongs to (empty when the age is zero). */
    public record Oldest(Duration age, Optional<Blocker> blocker) {
        public static final Oldest NONE = new Oldest(Duration.ZERO, Optional.empty());

        public Oldest {
            age = nonNegative(age);
            blocker = blocker == null ? Optional.empty() : blocker;
        }

        public static Oldest of(Blocker b) {
            return new Oldest(b.age(), Optional.of(b));
        }
    }

    /** Where a replication lag was read. */
    public enum LagSource {
        /** The primary's pg_stat_replication (standbys and logical consumers connected to it). */
        STREAMING,
        /** A replica listed in the spec, asked directly. */
        DIRECT
    }

    /**
     * One replica's lag.
     *
     * @param name        application_name in pg_stat_replication, or the spec's name of a direct replica
     * @param lag         replay lag as time; empty when it could not be measured
     * @param bytesBehind WAL not yet replayed (primary's current LSN, or the replica's received LSN, minus replay)
     * @param state       walsender state, or {@code paused} / {@code replaying} / {@code not in recovery}
     * @param inRecovery  for a direct probe: whether the server is a standby at all
     * @param error       why the replica could not be probed; empty when it was
     */
    public record ReplicaLag(String name, LagSource source, Optional<Duration> lag, Optional<Long> bytesBehind,
            String state, boolean inRecovery, Optional<String> error) {
        public ReplicaLag {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(source, "source");
            lag = lag == null ? Optional.empty() : lag.map(HealthSnapshot::nonNegative);
            bytesBehind = bytesBehind == null ? Optional.empty() : bytesBehind;
            error = error == null ? Optional.empty() : error;
        }

        public static ReplicaLag streaming(String name, Duration lag, Long bytesBehind, String state) {
            return new ReplicaLag(name, LagSource.STREAMING, Optional.of(lag == null ? Duration.ZERO : lag),
                    Optional.ofNullable(bytesBehind), state, true, Optional.empty());
        }

        public static ReplicaLag direct(String name, Duration lag, Long bytesBehind, String state, boolean inRecovery) {
            return new ReplicaLag(name, LagSource.DIRECT, Optional.ofNullable(lag), Optional.ofNullable(bytesBehind),
                    state, inRecovery, Optional.empty());
        }

        public static ReplicaLag failed(String name, String error) {
            return new ReplicaLag(name, LagSource.DIRECT, Optional.empty(), Optional.empty(), null, false,
                    Optional.of(error));
        }
    }

    /**
     * An autovacuum (or autoanalyze) worker holding a lock on one of the migration's tables; {@code statement} is
     * its command and table ({@code VACUUM public.orders}).
     */
    public record AutovacuumRun(String table, int pid, boolean wraparound, Duration age, String statement) {
        public AutovacuumRun {
            age = nonNegative(age);
        }
    }

    /** Builds snapshots; starts from a quiet database seen with full visibility. */
    public static final class Builder {
        private final Instant checkedAt;
        private String role;
        private boolean readAllStats = true;
        private int hiddenSessions;
        private boolean inRecovery;
        private Oldest oldestTransaction = Oldest.NONE;
        private Oldest oldestSnapshot = Oldest.NONE;
        private long oldestSnapshotXidAge;
        private Oldest tableTransaction = Oldest.NONE;
        private Oldest idleInTransaction = Oldest.NONE;
        private int lockWaiters;
        private Duration longestLockWait = Duration.ZERO;
        private Blocker lockBlocker;
        private List<ReplicaLag> replicas = new ArrayList<>();
        private int connectionsUsed;
        private int connectionsUsable = 100;
        private List<AutovacuumRun> autovacuum = new ArrayList<>();
        private List<String> unresolvedTables = new ArrayList<>();

        private Builder(Instant checkedAt) {
            this.checkedAt = Objects.requireNonNull(checkedAt, "checkedAt");
        }

        public Builder role(String role) {
            this.role = role;
            return this;
        }

        public Builder visibility(boolean readAllStats, int hiddenSessions) {
            this.readAllStats = readAllStats;
            this.hiddenSessions = hiddenSessions;
            return this;
        }

        public Builder inRecovery(boolean inRecovery) {
            this.inRecovery = inRecovery;
            return this;
        }

        public Builder oldestTransaction(Oldest o) {
            this.oldestTransaction = o;
            return this;
        }

        public Builder oldestSnapshot(Oldest o, long xidAge) {
            this.oldestSnapshot = o;
            this.oldestSnapshotXidAge = xidAge;
            return this;
        }

        public Builder tableTransaction(Oldest o) {
            this.tableTransaction = o;
            return this;
        }

        public Builder idleInTransaction(Oldest o) {
            this.idleInTransaction = o;
            return this;
        }

        public Builder lockWaiters(int count, Duration longest, Blocker blocker) {
            this.lockWaiters = count;
            this.longestLockWait = longest;
            this.lockBlocker = blocker;
            return this;
        }

        public Builder replicas(List<ReplicaLag> replicas) {
            this.replicas = new ArrayList<>(replicas);
            return this;
        }

        public Builder replica(ReplicaLag r) {
            this.replicas.add(r);
            return this;
        }

        public Builder connections(int used, int usable) {
            this.connectionsUsed = used;
            this.connectionsUsable = usable;
            return this;
        }

        public Builder autovacuum(List<AutovacuumRun> runs) {
            this.autovacuum = new ArrayList<>(runs);
            return this;
        }

        public Builder unresolvedTables(List<String> tables) {
            this.unresolvedTables = new ArrayList<>(tables);
            return this;
        }

        public HealthSnapshot build() {
            return new HealthSnapshot(checkedAt, role, readAllStats, hiddenSessions, inRecovery, oldestTransaction,
                    oldestSnapshot, oldestSnapshotXidAge, tableTransaction, idleInTransaction, lockWaiters,
                    longestLockWait, Optional.ofNullable(lockBlocker), replicas, connectionsUsed, connectionsUsable,
                    autovacuum, unresolvedTables);
        }
    }
}
