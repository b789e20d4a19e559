package dev.phasegate.postgres;

import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.Reason;
import dev.phasegate.api.HealthStatus;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.HealthPolicy;
import dev.phasegate.engine.HealthPolicy.Assessment;
import dev.phasegate.engine.HealthPolicy.Breach;
import dev.phasegate.engine.HealthPolicy.Thresholds;
import dev.phasegate.engine.HealthSnapshot;
import dev.phasegate.engine.HealthSnapshot.Blocker;
import dev.phasegate.engine.HealthSnapshot.ReplicaLag;
import dev.phasegate.engine.Times;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Probes the health of every watched migration's database in the background and keeps the latest verdict, so the
 * reconciler only reads a value and never waits on the database.
 *
 * <p>Each watched migration is probed every {@link Options#interval()} on a thread of its own: one {@link HealthProbe}
 * statement on the primary, one {@link ReplicaLagProbe} statement per replica listed in the spec. A database that
 * stops answering (black-holed network, frozen server) holds only the threads of the migrations on it, each until
 * its connect, login or network timeout; other databases' probes and the staleness sweep run on. One autocommit connection per database (URL and role) is shared by all migrations on it and
 * reused between probes; it is a bounded session ({@link Sessions#open}: application_name {@code phasegate/health},
 * statement_timeout = probe timeout, lock_timeout, idle_in_transaction_session_timeout) and is closed when no
 * watched migration uses it or it has been idle for {@link Options#idleClose()}.
 *
 * <p>The gate never opens on missing information: before the first probe, after a failed probe (timeout,
 * connection refused, permission denied) and when the last check is older than three intervals, it is closed with
 * ProbeFailed. {@code onChange(key)} is called whenever a migration's gate opens, closes, or changes reason.
 */
public final class HealthMonitor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HealthMonitor.class);

    /** application_name of the probe sessions; starts with {@link Options#ourPrefix()} so no probe counts itself. */
    public static final String APPLICATION_NAME = "phasegate/health";

    /**
     * Tunables.
     *
     * @param interval     time between two probes of a migration (default 5 s)
     * @param probeTimeout statement_timeout of a probe; the network timeout is this plus 2 s
     * @param idleClose    a probe connection unused this long is closed
     * @param clock        time source for checkedAt and staleness
     * @param ourPrefix    application_name prefix of our own sessions, which the probe does not count
     * @param showQueryText keep blockers' query texts for status and Events (see {@link HealthProbe})
     */
    public record Options(Duration interval, Duration probeTimeout, Duration idleClose, Clock clock,
            String ourPrefix, boolean showQueryText) {
        public Options {
            if (interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("interval must be positive");
            }
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(ourPrefix, "ourPrefix");
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(5), Duration.ofSeconds(3), Duration.ofSeconds(60),
                    Clock.systemUTC(), "phasegate/", false);
        }

        public Options withInterval(Duration d) {
            return new Options(d, probeTimeout, idleClose, clock, ourPrefix, showQueryText);
        }

        public Options withClock(Clock c) {
            return new Options(interval, probeTimeout, idleClose, c, ourPrefix, showQueryText);
        }

        public Options withShowQueryText(boolean show) {
            return new Options(interval, probeTimeout, idleClose, clock, ourPrefix, show);
        }

        /** A check older than this is stale: three intervals. */
        public Duration staleAfter() {
            return interval.multipliedBy(3);
        }
    }

    /** A replica whose lag is read directly; {@code name} is what messages and status call it. */
    public record Replica(String name, ConnectionSettings settings) {
        public Replica {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(settings, "settings");
        }
    }

    /** What to watch for one migration. */
    public record Target(ConnectionSettings primary, List<Replica> replicas, List<String> tables, HealthSpec health,
            boolean databaseWide) {
        public Target {
            Objects.requireNonNull(primary, "primary");
            replicas = List.copyOf(replicas == null ? List.of() : replicas);
            tables = List.copyOf(tables == null ? List.of() : tables);
        }
    }

    /**
     * The latest verdict for one migration.
     *
     * @param snapshot  what the latest probe measured; empty when it failed or none ran yet
     * @param gate      open, or closed with the first failing signal (ProbeFailed when stale, failed or pending)
     * @param blocker   the session behind a closed gate, when one is known
     * @param checkedAt when the check behind this verdict ran
     * @param breach    how long the gate has been closed, for the two-stage rule ({@link Breach#confirmed})
     */
    public record Observed(Optional<HealthSnapshot> snapshot, HealthGate gate, Optional<Blocker> blocker,
            Instant checkedAt, Optional<Breach> breach) {

        /** True when the gate has stayed closed past a second check at least {@code confirmAfter} later. */
        public boolean breachConfirmed(Duration confirmAfter) {
            return breach.isPresent() && breach.get().confirmed(confirmAfter);
        }

        /** status.health: measured values (never credentials), the gate and its blocker. */
        public HealthStatus toStatus() {
            HealthStatus h = snapshot.map(s -> HealthPolicy.toStatus(s, new Assessment(gate, blocker)))
                    .orElseGet(HealthStatus::new);
            h.checkedAt = Times.format(checkedAt);
            h.gate = HealthPolicy.gateText(gate);
            return h;
        }
    }

    /** A Target with its thresholds parsed; equal plans need no new probe. */
    private record Plan(ConnectionSettings primary, List<Replica> replicas, List<String> tables, Thresholds thresholds,
            boolean databaseWide) {
        boolean sameProbe(Plan o) {
            return primary.equals(o.primary) && replicas.equals(o.replicas) && tables.equals(o.tables);
        }
    }

    /** One completed check: the plan it ran for, and a snapshot or a failure. */
    private record Result(Plan plan, Instant checkedAt, Optional<HealthSnapshot> snapshot, Optional<String> failure,
            Reason failureReason) {
    }

    /** The last completed check and the breach it left; replaced as a whole so readers see a consistent pair. */
    private record State(Result result, Optional<Breach> breach) {
        static final State NONE = new State(null, Optional.empty());
    }

    private final class Watch {
        final String key;
        final Instant since;
        volatile Plan plan;
        volatile State state = State.NONE;
        volatile HealthGate published;
        final ReentrantLock probing = new ReentrantLock();
        /** This migration's own probe thread: a hung database holds it, and no other migration's. */
        final ScheduledExecutorService lane;

        Watch(String key, Plan plan, Instant since) {
            this.key = key;
            this.plan = plan;
            this.since = since;
            this.lane = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "phasegate-health-" + key));
        }
    }

    private final class Pooled {
        final ConnectionSettings settings;
        final ReentrantLock lock = new ReentrantLock();
        Connection connection;
        volatile Instant lastUsed;

        Pooled(ConnectionSettings settings) {
            this.settings = settings;
            this.lastUsed = options.clock().instant();
        }

        void closeQuietly() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // The session is gone either way.
                }
                connection = null;
            }
        }
    }

    @FunctionalInterface
    private interface Use<T> {
        T apply(Connection c) throws SQLException;
    }

    private final Options options;
    private final Consumer<String> onChange;
    private final HealthProbe probe;
    private final ReplicaLagProbe replicaProbe = new ReplicaLagProbe();
    private final SessionSettings session;
    /** The staleness sweep and idle-connection closing, on a thread no probe ever runs on. */
    private final ScheduledExecutorService sweeper;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    private final Map<ConnectionSettings, Pooled> pool = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private final StepTelemetry telemetry;

    public HealthMonitor(Options options, Consumer<String> onChange) {
        this(options, onChange, StepTelemetry.NONE);
    }

    /** A monitor that also reports each probe's latency and each closing of a gate to telemetry. */
    public HealthMonitor(Options options, Consumer<String> onChange, StepTelemetry telemetry) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.options = Objects.requireNonNull(options, "options");
        this.onChange = Objects.requireNonNull(onChange, "onChange");
        this.probe = new HealthProbe(options.clock(), options.showQueryText());
        Duration lockTimeout = options.probeTimeout().compareTo(Duration.ofSeconds(1)) < 0 ? options.probeTimeout()
                : Duration.ofSeconds(1);
        this.session = new SessionSettings(APPLICATION_NAME, lockTimeout, options.probeTimeout(),
                Duration.ofSeconds(10));
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "phasegate-health-sweeper"));
        long every = options.interval().toMillis();
        this.sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public HealthMonitor(Consumer<String> onChange) {
        this(Options.defaults(), onChange);
    }

    /**
     * Starts watching a migration, or updates what is watched; cheap and idempotent, so call it on every reconcile
     * of a migration that may run a phase. Replicas are named by host:port/database.
     *
     * @param databaseWide true for a phase that builds or rebuilds an index concurrently: the transaction-age gate
     *                     then counts every transaction in the database, not only those holding locks on the tables
     * @throws IllegalArgumentException when a threshold does not parse
     */
    public void watch(String key, ConnectionSettings primary, List<ConnectionSettings> replicas, List<String> tables,
            HealthSpec thresholds, boolean databaseWide) {
        List<Replica> named = new ArrayList<>();
        for (ConnectionSettings r : replicas == null ? List.<ConnectionSettings>of() : replicas) {
            named.add(new Replica(r.describe(), r));
        }
        watch(key, new Target(primary, named, tables, thresholds, databaseWide));
    }

    /** As {@link #watch(String, ConnectionSettings, List, List, HealthSpec, boolean)}, with named replicas. */
    public void watch(String key, Target target) {
        Plan plan = new Plan(target.primary(), target.replicas(), target.tables(), Thresholds.of(target.health()),
                target.databaseWide());
        Watch existing;
        // Starting and stopping a migration's probe thread is serialized with forget and close; publishing (which
        // calls back into the reconciler) happens outside.
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("health monitor is closed");
            }
            existing = watches.get(key);
            if (existing == null) {
                Watch created = new Watch(key, plan, options.clock().instant());
                watches.put(key, created);
                created.lane.scheduleWithFixedDelay(() -> check(created), 0, options.interval().toMillis(),
                        TimeUnit.MILLISECONDS);
                return;
            }
            Plan old = existing.plan;
            if (old.equals(plan)) {
                return;
            }
            existing.plan = plan;
            if (!old.sameProbe(plan)) {
                existing.lane.execute(() -> check(existing));
            }
        }
        publish(existing);
    }

    /** The latest verdict, or empty when the key is not watched; never blocks. */
    public Optional<Observed> latest(String key) {
        Watch w = watches.get(key);
        return w == null ? Optional.empty() : Optional.of(observe(w, options.clock().instant()));
    }

    /** The gate to hand to the engine: closed with ProbeFailed when the key is not watched. */
    public HealthGate gate(String key) {
        return latest(key).map(Observed::gate)
                .orElse(HealthPolicy.probeFailed("the health of this migration's database is not being watched"));
    }

    /** Stops watching a migration (finished, deleted); its connection is closed if no one else uses it. */
    public synchronized void forget(String key) {
        Watch w = watches.remove(key);
        if (w != null) {
            // A probe in flight ends at its network timeout; its thread is a daemon and is not waited for.
            w.lane.shutdownNow();
        }
        releaseUnused();
    }

    public Set<String> watched() {
        return Set.copyOf(watches.keySet());
    }

    @Override
    public void close() {
        List<Watch> all;
        synchronized (this) {
            closed = true;
            all = List.copyOf(watches.values());
            watches.clear();
        }
        sweeper.shutdownNow();
        all.forEach(w -> w.lane.shutdownNow());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.probeTimeout().toMillis() + 5_000);
        try {
            for (Watch w : all) {
                w.lane.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Pooled p : pool.values()) {
            p.lock.lock();
            try {
                p.closeQuietly();
            } finally {
                p.lock.unlock();
            }
        }
        pool.clear();
    }

    // ------------------------------------------------------------------ probing

    private void check(Watch w) {
        if (closed || watches.get(w.key) != w) {
            return;
        }
        // A check triggered by a plan change may overlap the periodic one; one at a time is enough.
        if (!w.probing.tryLock()) {
            return;
        }
        try {
            Plan plan;
            int rounds = 0;
            do {
                // A plan that changed while we probed (other tables or databases) is probed again at once.
                plan = w.plan;
                long started = System.nanoTime();
                Result result = run(plan);
                telemetry.healthProbe(w.key, Duration.ofNanos(System.nanoTime() - started));
                record(w, result);
            } while (!w.plan.sameProbe(plan) && ++rounds < 2 && !closed);
        } catch (RuntimeException e) {
            // Never let an exception end the periodic task: that would freeze the last verdict.
            LOG.errorf("health check of %s failed unexpectedly: %s", w.key, e.toString());
            record(w, new Result(w.plan, options.clock().instant(), Optional.empty(),
                    Optional.of("internal error: " + e.getClass().getSimpleName()), Reason.ProbeFailed));
        } finally {
            w.probing.unlock();
        }
    }

    /** Stores a completed check, counts it towards the breach, and tells the reconciler if the gate changed. */
    private void record(Watch w, Result result) {
        synchronized (w) {
            Optional<Breach> previous = w.state.breach();
            HealthGate gate = observe(w.plan, new State(result, previous), w.since, result.checkedAt()).gate();
            w.state = new State(result, HealthPolicy.track(previous, gate, result.checkedAt()));
        }
        publish(w);
    }

    private Result run(Plan plan) {
        Instant attempted = options.clock().instant();
        HealthSnapshot snapshot;
        try {
            snapshot = use(plan.primary(), c -> probe.probe(c, options.ourPrefix(), plan.tables()));
        } catch (SQLException e) {
            // Credentials and reachability are what a person must fix, so they keep their own reason.
            Reason reason = SqlFailure.of(e, plan.primary()).reason();
            return new Result(plan, attempted, Optional.empty(), Optional.of(describe(e, plan.primary())),
                    reason == Reason.AuthenticationFailed || reason == Reason.DatabaseUnavailable ? reason
                            : Reason.ProbeFailed);
        }
        List<ReplicaLag> direct = new ArrayList<>();
        for (Replica r : plan.replicas()) {
            try {
                direct.add(use(r.settings(), c -> replicaProbe.probe(c, r.name())));
            } catch (SQLException e) {
                direct.add(ReplicaLag.failed(r.name(), describe(e, r.settings())));
            }
        }
        return new Result(plan, snapshot.checkedAt(), Optional.of(snapshot.withReplicas(direct)), Optional.empty(),
                null);
    }

    private <T> T use(ConnectionSettings db, Use<T> work) throws SQLException {
        Pooled p = pool.computeIfAbsent(db, Pooled::new);
        lockOrFail(p, db);
        while (pool.get(db) != p) {
            // Released by the sweeper between lookup and lock: take the current entry instead.
            p.lock.unlock();
            p = pool.computeIfAbsent(db, Pooled::new);
            lockOrFail(p, db);
        }
        try {
            p.lastUsed = options.clock().instant();
            if (p.connection == null || p.connection.isClosed()) {
                p.connection = Sessions.open(db, session);
                int network = (int) Math.min(Integer.MAX_VALUE, options.probeTimeout().toMillis() + 2_000);
                p.connection.setNetworkTimeout(Runnable::run, network);
            }
            try {
                return work.apply(p.connection);
            } catch (SQLException | RuntimeException e) {
                // A failed session may be broken or mid-transaction: never reuse it.
                p.closeQuietly();
                throw e;
            }
        } finally {
            p.lastUsed = options.clock().instant();
            p.lock.unlock();
        }
    }

    /**
     * Waits for the database's shared session as long as one probe may take (login, then a statement up to its
     * network timeout); longer means the database does not answer, and this probe fails instead of queueing.
     */
    private void lockOrFail(Pooled p, ConnectionSettings db) throws SQLException {
        long waitMs = TimeUnit.SECONDS.toMillis(Sessions.CONNECT_TIMEOUT_SECONDS) + options.probeTimeout().toMillis()
                + 2_000;
        try {
            if (p.lock.tryLock(waitMs, TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new SQLException("another health probe of " + db.describe() + " has not returned for " + waitMs
                + " ms: the database does not answer", "08006");
    }

    private static String describe(SQLException e, ConnectionSettings db) {
        SqlFailure f = SqlFailure.of(e, db);
        String text = db.describe() + ": " + f.message();
        if ("42501".equals(f.sqlState())) {
            text += " (the health probe's role needs pg_monitor: GRANT pg_monitor TO " + db.username() + ")";
        }
        return text;
    }

    // ------------------------------------------------------------------ verdicts

    private Observed observe(Watch w, Instant now) {
        return observe(w.plan, w.state, w.since, now);
    }

    private Observed observe(Plan plan, State state, Instant watchedSince, Instant now) {
        Result r = state.result();
        Optional<Breach> breach = state.breach();
        if (r == null || !r.plan().sameProbe(plan)) {
            HealthGate pending = HealthGate.pending("the first health check"
                    + (r == null ? "" : " of the changed tables or databases") + " has not completed yet");
            Instant since = r == null ? watchedSince : r.checkedAt();
            return new Observed(Optional.empty(), pending, Optional.empty(), since, breach);
        }
        if (r.failure().isPresent()) {
            HealthGate failed = r.failureReason() == Reason.ProbeFailed ? HealthPolicy.probeFailed(r.failure().get())
                    : HealthGate.closed(r.failureReason(), "health probe: " + r.failure().get());
            return new Observed(Optional.empty(), failed, Optional.empty(), r.checkedAt(), breach);
        }
        HealthSnapshot s = r.snapshot().get();
        Assessment a = HealthPolicy.assess(s, plan.thresholds(), plan.databaseWide());
        HealthGate gate = HealthPolicy.fresh(a.gate(), r.checkedAt(), now, options.staleAfter());
        Optional<Blocker> blocker = gate == a.gate() ? a.blocker() : Optional.empty();
        return new Observed(Optional.of(s), gate, blocker, r.checkedAt(), breach);
    }

    /** Calls onChange when the gate opened, closed or changed reason since the last call for this key. */
    private void publish(Watch w) {
        boolean changed;
        synchronized (w) {
            HealthGate now = observe(w, options.clock().instant()).gate();
            HealthGate before = w.published;
            changed = before == null || before.open() != now.open() || before.reason() != now.reason();
            w.published = now;
            if (before != null && before.open() && !now.open()) {
                telemetry.healthGateClosed(w.key, now.reason());
            }
        }
        if (changed && watches.get(w.key) == w) {
            try {
                onChange.accept(w.key);
            } catch (RuntimeException e) {
                LOG.warnf("health change callback for %s failed: %s", w.key, e.toString());
            }
        }
    }

    private void sweep() {
        try {
            Instant now = options.clock().instant();
            for (Watch w : watches.values()) {
                synchronized (w) {
                    Observed o = observe(w, now);
                    State state = w.state;
                    boolean stale = state.result() != null && !o.gate().open()
                            && o.checkedAt().plus(options.staleAfter()).isBefore(now);
                    if (stale) {
                        // A stuck probe is a check that failed: it counts towards the two-stage breach.
                        w.state = new State(state.result(), HealthPolicy.track(state.breach(), o.gate(), now));
                    }
                }
                publish(w);
            }
            releaseUnused();
            for (Pooled p : pool.values()) {
                if (p.lastUsed.plus(options.idleClose()).isBefore(now) && p.lock.tryLock()) {
                    try {
                        p.closeQuietly();
                    } finally {
                        p.lock.unlock();
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.errorf("health sweeper failed: %s", e.toString());
        }
    }

    /** Closes and drops connections no watched migration uses any more. */
    private void releaseUnused() {
        Set<ConnectionSettings> used = new HashSet<>();
        for (Watch w : watches.values()) {
            used.add(w.plan.primary());
            w.plan.replicas().forEach(r -> used.add(r.settings()));
        }
        for (Map.Entry<ConnectionSettings, Pooled> e : pool.entrySet()) {
            if (!used.contains(e.getKey()) && e.getValue().lock.tryLock()) {
                try {
                    e.getValue().closeQuietly();
                    pool.remove(e.getKey(), e.getValue());
                } finally {
                    e.getValue().lock.unlock();
                }
            }
        }
    }
}
