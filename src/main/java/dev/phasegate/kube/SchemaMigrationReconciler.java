package dev.phasegate.kube;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.DatabaseIdentity;
import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.HealthStatus;
import dev.phasegate.api.LintStatus;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.ReplicaSpec;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.engine.Consistency;
import dev.phasegate.engine.Decision;
import dev.phasegate.engine.DeploymentObservation;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.MigrationEngine;
import dev.phasegate.engine.Note;
import dev.phasegate.engine.Observations;
import dev.phasegate.engine.PhaseSpecs;
import dev.phasegate.engine.StatusBuilder;
import dev.phasegate.engine.Step;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.engine.Times;
import dev.phasegate.lint.LintThresholds;
import dev.phasegate.metrics.MigrationMetrics;
import dev.phasegate.postgres.BackfillVerifier;
import dev.phasegate.postgres.Backfiller;
import dev.phasegate.postgres.DatabaseIdentities;
import dev.phasegate.postgres.Sessions;
import dev.phasegate.postgres.ConnectionSettings;
import dev.phasegate.postgres.HealthMonitor;
import dev.phasegate.postgres.JdbcUrlPolicy;
import dev.phasegate.postgres.LintPreflight;
import dev.phasegate.postgres.LockPolicy;
import dev.phasegate.postgres.SessionSettings;
import dev.phasegate.postgres.SpecPreflight;
import dev.phasegate.postgres.SqlFailure;
import dev.phasegate.postgres.SqlStepExecutor;
import dev.phasegate.postgres.StepRunner;
import dev.phasegate.postgres.SyncTrigger;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Reconciles SchemaMigrations: observe (spec, Secret, Deployment, executor) → validate → decide (pure engine) → act
 * (start or stop a step, patch an image) → record (one status write, Events, reschedule at the next deadline).
 * Nothing here blocks on the database: SQL runs on the step runner, which triggers a reconcile when it progresses.
 */
@ControllerConfiguration(name = SchemaMigrationReconciler.NAME, generationAwareEventProcessing = false,
        informer = @Informer(onUpdateFilter = SpecOrRequestChanged.class))
@jakarta.inject.Singleton
public class SchemaMigrationReconciler implements Reconciler<SchemaMigration>, Cleaner<SchemaMigration>,
        AutoCloseable {
    public static final String NAME = "schemamigration";
    private static final Logger LOG = Logger.getLogger(SchemaMigrationReconciler.class);
    private static final String DEPLOYMENT_INDEX = "phasegate-deployment";

    /**
     * Tunables that are not part of the resource; tests shorten the lock retry base.
     *
     * @param showQueryText put blockers' query texts in status and Events (phasegate.health.show-query-text); they
     *                      can carry other sessions' data, so the default names only command and table
     * @param allowedHosts  host globs a Secret's jdbcUrl may name (phasegate.database.allowed-hosts); empty: any
     * @param lint          where the lint's small tables end (phasegate.lint.small-table-rows / -bytes)
     */
    public record Options(Duration lockRetryBase, Duration healthInterval, boolean showQueryText,
            List<String> allowedHosts, LintThresholds lint) {
        public Options {
            allowedHosts = List.copyOf(allowedHosts == null ? List.of() : allowedHosts);
            lint = lint == null ? LintThresholds.DEFAULT : lint;
        }

        public Options(Duration lockRetryBase, Duration healthInterval, boolean showQueryText,
                List<String> allowedHosts) {
            this(lockRetryBase, healthInterval, showQueryText, allowedHosts, LintThresholds.DEFAULT);
        }

        public Options(Duration lockRetryBase, Duration healthInterval) {
            this(lockRetryBase, healthInterval, false, List.of());
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(1), Duration.ofSeconds(5));
        }
    }

    /** How long deletion waits for a running statement to be cancelled and its sessions closed, per try. */
    static final Duration STOP_ON_DELETE = Duration.ofSeconds(5);

    private final KubernetesClient client;
    private final Clock clock;
    private final Options options;
    private final MigrationEngine engine = new MigrationEngine();
    /**
     * Waits shorter than this keep their probe: starting it again costs the first probe's round trip (the gate is
     * pending until then), which a short wait would pay for nothing.
     */
    private static final Duration HEALTH_LEAD = Duration.ofSeconds(30);
    private static final HealthGate NOT_PROBED = HealthGate.pending("not probed while the migration only waits");
    private final SqlStepExecutor sqlExecutor;
    private final SimpleInboundEventSource<SchemaMigration> stepEvents = new SimpleInboundEventSource<>("steps");
    private final StepRunner steps = new StepRunner();
    /**
     * The plans before anything runs: read-only and short, but a GitOps sync may apply hundreds of migrations at
     * once, and each would open a session on its database at the same moment. Two at a time, the rest queued.
     */
    private final StepRunner plans = new StepRunner("phasegate-plan", PLAN_CONCURRENCY);
    static final int PLAN_CONCURRENCY = 2;
    private final Backfiller backfiller;
    private final MigrationMetrics metrics;
    private final BackfillVerifier verifier = new BackfillVerifier();
    /** The in-memory state of each live migration, by namespace/name: one object each, closed on delete or end. */
    private final Map<String, MigrationRuntime> runtimes = new ConcurrentHashMap<>();
    private final HealthMonitor health;
    private final SecretReader secrets;
    private final EventRecorder events;
    private final StatusWriter statusWriter;
    private InformerEventSource<Deployment, SchemaMigration> deployments;

    /** A reconciler whose metrics go to a registry nobody scrapes (tests and the demo that do not look at them). */
    public SchemaMigrationReconciler(KubernetesClient client, Clock clock, Options options) {
        this(client, clock, options, MigrationMetrics.unscraped(clock));
    }

    @jakarta.inject.Inject
    public SchemaMigrationReconciler(KubernetesClient client, Clock clock, Options options, MigrationMetrics metrics) {
        this.client = client;
        this.metrics = metrics;
        this.sqlExecutor = new SqlStepExecutor(metrics);
        this.backfiller = new Backfiller(Backfiller.Options.defaults(), metrics);
        this.clock = clock;
        this.options = options;
        this.secrets = new SecretReader(client, JdbcUrlPolicy.allowingHosts(options.allowedHosts()));
        this.events = new EventRecorder(client, clock);
        this.statusWriter = new StatusWriter(client);
        this.health = new HealthMonitor(HealthMonitor.Options.defaults().withInterval(options.healthInterval())
                .withClock(clock).withShowQueryText(options.showQueryText()), this::trigger, metrics);
    }

    private void trigger(String key) {
        int slash = key.indexOf('/');
        stepEvents.propagateEvent(new ResourceID(key.substring(slash + 1), key.substring(0, slash)));
    }

    @Override
    public List<EventSource<?, SchemaMigration>> prepareEventSources(EventSourceContext<SchemaMigration> context) {
        context.getPrimaryCache().addIndexer(DEPLOYMENT_INDEX, m -> m.getSpec() == null
                || m.getSpec().application == null || m.getSpec().application.deployment == null ? List.of()
                        : List.of(m.getMetadata().getNamespace() + "/" + m.getSpec().application.deployment));
        InformerEventSourceConfiguration<Deployment> config = InformerEventSourceConfiguration
                .from(Deployment.class, SchemaMigration.class)
                .withSecondaryToPrimaryMapper(d -> context.getPrimaryCache()
                        .byIndex(DEPLOYMENT_INDEX, d.getMetadata().getNamespace() + "/" + d.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build();
        deployments = new InformerEventSource<>(config, context);
        return List.of(deployments, stepEvents);
    }

    @Override
    public UpdateControl<SchemaMigration> reconcile(SchemaMigration m, Context<SchemaMigration> context) {
        Instant now = clock.instant();
        String ns = m.getMetadata().getNamespace();
        String key = ns + "/" + m.getMetadata().getName();
        String uid = m.getMetadata().getUid();
        SchemaMigrationSpec spec = m.getSpec();
        SchemaMigrationStatus old = m.getStatus();

        // observe + validate
        List<String> problems = MigrationValidator.validate(spec);
        boolean abortAnnotation = "true".equalsIgnoreCase(annotation(m, SchemaMigration.ABORT_ANNOTATION));
        MigrationRuntime runtime = runtime(key);
        if (old != null) {
            runtime.lintShown(old.lint);
        }
        Observations obs = Observations.none()
                .withSpecProblems(problems)
                .withAbortAnnotation(abortAnnotation)
                .withApprovals(ApprovalAnnotations.read(m))
                .withStep(runtime.observe(uid));
        ConnectionSettings db = null;
        // A Failed migration may still be aborted (its rollback runs under the health gate), so keep watching it.
        boolean abortRequested = spec != null && (spec.abort || abortAnnotation);
        boolean terminal = old != null && old.phase != null && old.phase.isTerminal()
                && !(abortRequested && old.phase == MigrationPhase.Failed)
                && !(old.phase == MigrationPhase.Planned && spec != null && !spec.dryRun);
        if (problems.isEmpty()) {
            SecretReader.Result r = secrets.read(ns, spec.database.secretRef);
            db = r.settings();
            obs = obs.withDatabaseProblem(r.problem());
            if (spec.application != null) {
                obs = obs.withDeployment(observeDeployment(ns, spec, old));
            }
        }
        boolean probed = true;
        // Only the decision tells whether the migration just waits, so it is made without a probe first; when it
        // waits that decision stands, otherwise it is made again below with the gate (decide is pure and cheap).
        Decision unprobed = db != null && !terminal ? engine.decide(spec, old, obs.withHealth(NOT_PROBED), now) : null;
        if (unprobed != null && onlyWaits(unprobed, obs, now)) {
            // A migration that waits for a window or a minimum wait runs nothing the gate could stop: no probe
            // thread, no probes, no session until shortly before it may act (its wake-up starts the watch again).
            health.forget(key);
            obs = obs.withHealth(NOT_PROBED);
            probed = false;
        } else if (unprobed != null) {
            watchHealth(key, ns, spec, db);
            obs = obs.withHealth(health.gate(key));
        } else {
            health.forget(key);
            obs = obs.withHealth(HealthGate.closed(Reason.ProbeFailed, "the database is not reachable yet"));
        }

        if (spec != null && spec.backfill != null && runtime.running()) {
            // Batch settings edited in the spec reach a running backfill at its next batch.
            runtime.editBackfillSpec(spec.backfill);
        }

        // decide (a migration that only waits was decided above, from the same observations)
        Decision d = probed ? engine.decide(spec, old, obs, now) : unprobed;

        // record first, then act: a step starts only once the status that decided it is stored with optimistic
        // locking, so a decision made from a stale read (the cache lags the previous write) is dropped, never run.
        BackfillStatus backfillStatus = runtime.backfillProgress();
        HealthStatus healthStatus = health.latest(key).map(HealthMonitor.Observed::toStatus).orElse(null);
        if (!probed) {
            // The last values stay for the person reading them, marked as no longer refreshed.
            HealthStatus last = old == null || old.health == null ? new HealthStatus() : old.health;
            healthStatus = last.notProbed(Times.format(now));
        }
        if (d.acknowledgeStep() && obs.step() instanceof StepObservation.Verified verified) {
            backfillStatus = Consistency.recorded(backfillStatus != null ? backfillStatus
                    : old == null ? null : old.backfill, verified, now);
        }
        SchemaMigrationStatus status = StatusBuilder.build(old, d, generation(m), now, backfillStatus,
                healthStatus);
        status.database = old != null && old.database != null ? old.database : runtime.databaseSeen();
        // The runtime holds what status showed (lintShown above) until this operator lints again.
        status.lint = runtime.lint();
        boolean fence = d.step().isPresent() || d.acknowledgeStep();
        StatusWriter.Outcome written = statusWriter.write(m, status, fence, context);
        if (written == StatusWriter.Outcome.GONE) {
            return UpdateControl.noUpdate();
        }
        if (written == StatusWriter.Outcome.STALE) {
            // The newer object's watch event triggers the next reconcile; the reschedule is only a safety net.
            LOG.debugf("%s: status write refused (resourceVersion %s is stale); deciding again from the newer object",
                    key, m.getMetadata().getResourceVersion());
            return UpdateControl.<SchemaMigration>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
        }

        // act
        if (d.acknowledgeStep()) {
            runtime.acknowledge();
        }
        // Pause and abort stop forward work at the next safe point; a rollback in progress must go on.
        boolean forwardRunning = obs.step() instanceof StepObservation.Running r && !r.rollback();
        if (spec != null && forwardRunning && (spec.paused || abortRequested)) {
            runtime.requestStop(abortRequested ? Reason.Aborting : Reason.Paused);
        }
        ConnectionSettings database = db;
        d.step().ifPresent(step -> act(m, runtime, uid, step, database));
        if (d.phase().isTerminal()) {
            health.forget(key);
        }
        progressEvent(m, runtime, backfillStatus);
        if (d.phase().isTerminal() && !runtime.running()) {
            // The migration has ended: nothing of it stays in memory (a re-created object starts afresh).
            runtimes.remove(key, runtime);
        }
        for (Note note : d.notes()) {
            events.record(m, note, runtime.events());
        }
        runtime.takeLintReport().ifPresent(r -> events.record(m, Note.warning(Reason.LintFindings, r),
                runtime.events()));
        if (old == null || old.phase == null || old.phase == MigrationPhase.Pending) {
            StaleGuardLint.check(spec).ifPresent(w -> events.record(m, Note.warning(Reason.Starting, w),
                    runtime.events()));
        }
        logTransition(key, old, status);
        metrics.record(ns, m.getMetadata().getName(), status);
        UpdateControl<SchemaMigration> control = UpdateControl.noUpdate();
        Optional<Instant> next = d.nextDeadline();
        if (next.isPresent()) {
            Duration in = Duration.between(now, next.get());
            control.rescheduleAfter(in.isNegative() || in.isZero() ? Duration.ofMillis(100) : in);
        }
        return control;
    }

    private MigrationRuntime runtime(String key) {
        return runtimes.computeIfAbsent(key, MigrationRuntime::new);
    }

    /**
     * Deletion: the running statement or backfill is cancelled and its sessions (runner lock included) closed before
     * the finalizer goes, so nothing of the migration outlives its object. The journal in the database stays, so a
     * re-created object with the same name and script resumes instead of running anything twice.
     */
    @Override
    public DeleteControl cleanup(SchemaMigration m, Context<SchemaMigration> context) {
        String key = m.getMetadata().getNamespace() + "/" + m.getMetadata().getName();
        MigrationRuntime runtime = runtimes.get(key);
        if (runtime != null && !runtime.stop(STOP_ON_DELETE)) {
            LOG.warnf("%s deleted while its step still runs; cancelled, waiting for its sessions to close", key);
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(1));
        }
        runtimes.remove(key);
        health.forget(key);
        metrics.forget(m.getMetadata().getNamespace(), m.getMetadata().getName());
        LOG.infof("%s deleted: stopped and forgotten (its journal in the database stays)", key);
        return DeleteControl.defaultDelete();
    }

    private void act(SchemaMigration m, MigrationRuntime runtime, String uid, Step step, ConnectionSettings db) {
        String key = runtime.key();
        if (step instanceof Step.RunSql s && m.getSpec() != null) {
            // The sync trigger's statements join the phase's own script, so the executor journals them like any DDL.
            step = new Step.RunSql(s.phase(), s.rollback(), SyncTrigger.script(m.getSpec(), s.phase(), s.rollback(),
                    s.sql()));
        }
        if (step instanceof Step.Cancel) {
            runtime.cancel(Reason.Aborting);
        } else if (step instanceof Step.PatchImage p) {
            patchImage(m.getMetadata().getNamespace(), p);
        } else if (step instanceof Step.RunSql sql && db != null) {
            SchemaMigrationSpec spec = m.getSpec();
            LockPolicy locks = LockPolicy.from(spec.locks).withRetryBase(options.lockRetryBase());
            SqlStepExecutor.SqlStep request = new SqlStepExecutor.SqlStep(uid, key, sql.phase(), sql.rollback(),
                    sql.sql(), db, SessionSettings.forMigration(m.getMetadata().getNamespace(),
                            m.getMetadata().getName(), locks.lockTimeout(), locks.statementTimeout()), locks,
                    spec.health == null ? new HealthSpec() : spec.health,
                    PhaseSpecs.sqlPhase(spec, sql.phase()).rollbackSql);
            StepObservation initial = new StepObservation.Running(sql.phase(), sql.rollback(), 0, 0, null,
                    (sql.rollback() ? "rollback of " : "") + sql.phase() + ": connecting");
            List<SpecPreflight.Script> later = sql.rollback() ? List.of() : laterScripts(spec, sql.phase());
            DatabaseIdentity expected = recordedDatabase(m);
            SchemaMigrationSpec lint = sql.rollback() ? null : spec;
            start(runtime, uid, initial, ctx -> beforeStep(runtime, expected, request.db(), request.session(),
                    sql.phase(), sql.rollback(), later, lint)
                    .orElseGet(() -> sqlExecutor.run(request, (done, total, waiting, detail) -> ctx.progress()
                            .accept(new StepObservation.Running(sql.phase(), sql.rollback(), done, total, waiting,
                                    detail)), ctx.control(), () -> sustainedBreach(key))));
        } else if (step instanceof Step.RunBackfill && db != null) {
            SchemaMigrationSpec spec = m.getSpec();
            LockPolicy locks = LockPolicy.from(spec.locks).withRetryBase(options.lockRetryBase());
            runtime.editBackfillSpec(spec.backfill);
            Backfiller.BackfillRequest request = new Backfiller.BackfillRequest(uid, key,
                    () -> runtime.currentBackfillSpec(spec.backfill), db,
                    SessionSettings.forMigration(m.getMetadata().getNamespace(), m.getMetadata().getName(),
                            locks.lockTimeout(), locks.statementTimeout()), locks, spec.health);
            StepObservation initial = new StepObservation.Running(PhaseName.Backfill, false, 0, 0, null,
                    "backfill of " + spec.backfill.table + ": checking the table and key");
            List<SpecPreflight.Script> later = laterScripts(spec, PhaseName.Backfill);
            DatabaseIdentity expected = recordedDatabase(m);
            start(runtime, uid, initial, ctx -> beforeStep(runtime, expected, request.db(), request.session(),
                    PhaseName.Backfill, false, later, null)
                    .orElseGet(() -> backfiller.run(request, (running, progress) -> {
                        runtime.backfillProgress(progress);
                        ctx.progress().accept(running);
                    }, ctx.control(), () -> health.gate(key))));
        } else if (step instanceof Step.Plan && db != null) {
            SchemaMigrationSpec spec = m.getSpec();
            LockPolicy locks = LockPolicy.from(spec.locks).withRetryBase(options.lockRetryBase());
            SessionSettings session = SessionSettings.forMigration(m.getMetadata().getNamespace(),
                    m.getMetadata().getName(), locks.lockTimeout(), locks.statementTimeout());
            StepObservation initial = new StepObservation.Running(PhaseName.CompatibleSchema, false, 0, 0, null,
                    "reading the catalog");
            start(plans, runtime, uid, initial, ctx -> planEveryPhase(runtime, db, session, spec));
        } else if (step instanceof Step.VerifyBackfill && db != null) {
            SchemaMigrationSpec spec = m.getSpec();
            LockPolicy locks = LockPolicy.from(spec.locks).withRetryBase(options.lockRetryBase());
            BackfillVerifier.VerifyRequest request = new BackfillVerifier.VerifyRequest(key, spec.backfill, db,
                    SessionSettings.forMigration(m.getMetadata().getNamespace(), m.getMetadata().getName(),
                            locks.lockTimeout(), locks.statementTimeout()), locks);
            StepObservation initial = new StepObservation.Running(PhaseName.Backfill, false, 0, 0, null,
                    "counting rows of " + spec.backfill.table + " that disagree with spec.backfill.set");
            DatabaseIdentity expected = recordedDatabase(m);
            start(runtime, uid, initial, ctx -> beforeStep(runtime, expected, db, request.session(),
                    PhaseName.Backfill, false, List.of(), null).orElseGet(() -> verifier.run(request,
                            ctx.progress()::accept, ctx.control(), () -> health.gate(key))));
        }
    }

    /**
     * What the phases after this one will run, and every rollbackSql: each must parse before this phase applies
     * anything, so a migration that would fail in Cleanup says so before its expand.
     */
    static List<SpecPreflight.Script> laterScripts(SchemaMigrationSpec spec, PhaseName phase) {
        List<SpecPreflight.Script> scripts = new ArrayList<>();
        if (spec.compatibleSchema != null) {
            scripts.add(new SpecPreflight.Script("spec.compatibleSchema.rollbackSql", spec.compatibleSchema.rollbackSql));
        }
        if (spec.backfill != null && phase.ordinal() < PhaseName.Backfill.ordinal()) {
            scripts.add(SpecPreflight.backfill(spec.backfill, spec.compatibleSchema == null ? null
                    : spec.compatibleSchema.sql));
        }
        if (spec.cleanup != null) {
            if (phase.ordinal() < PhaseName.Cleanup.ordinal()) {
                scripts.add(new SpecPreflight.Script("spec.cleanup.sql", spec.cleanup.sql));
            }
            scripts.add(new SpecPreflight.Script("spec.cleanup.rollbackSql", spec.cleanup.rollbackSql));
        }
        return scripts;
    }

    private static DatabaseIdentity recordedDatabase(SchemaMigration m) {
        return m.getStatus() == null ? null : m.getStatus().database;
    }

    /**
     * Before any step: the Secret must still point at the database this migration first ran on (a step on another
     * database would run the next phase there), and every later script must parse; before a SQL phase (lintSpec set),
     * the SQL safety lint must find no ERROR that spec.lint.allow does not list. A failed step when not; empty when
     * the step may run.
     */
    private Optional<StepObservation> beforeStep(MigrationRuntime runtime, DatabaseIdentity expected,
            ConnectionSettings db, SessionSettings session, PhaseName phase, boolean rollback,
            List<SpecPreflight.Script> scripts, SchemaMigrationSpec lintSpec) {
        try {
            // One session for both checks: the identity read and the syntax checks are a few round trips.
            try (java.sql.Connection c = Sessions.open(db, session)) {
                DatabaseIdentity seen = DatabaseIdentities.read(c, Times.format(clock.instant()));
                if (expected != null && !expected.sameAs(seen)) {
                    return Optional.of(new StepObservation.Failed(phase, rollback, 0, Reason.DatabaseChanged,
                            "the Secret now points at " + seen.describe() + ", but this migration ran on "
                                    + expected.describe() + " (recorded " + expected.recordedAt + "); nothing was"
                                    + " run. Point the Secret back, or start a new migration for the other database",
                            true));
                }
                runtime.databaseSeen(seen);
                Optional<StepObservation> syntax = SpecPreflight.firstError(c, scripts).map(error ->
                        new StepObservation.Failed(phase, rollback, 0, Reason.SqlError, error + "; found before "
                                + phase + " applied anything", false));
                if (syntax.isPresent() || lintSpec == null) {
                    return syntax;
                }
                LintPreflight.Result lint = LintPreflight.run(c, lintSpec, phase, Times.format(clock.instant()),
                        options.lint());
                runtime.linted(lint);
                return lint.verdict().block().map(message -> new StepObservation.Failed(phase, false, 0,
                        Reason.LintFailed, message + "; nothing was run", false));
            }
        } catch (SQLException e) {
            SqlFailure f = SqlFailure.of(e, db);
            return Optional.of(new StepObservation.Failed(phase, rollback, 0, f.reason(), "before " + phase + ": "
                    + f.message(), f.retryable()));
        }
    }

    /**
     * Before anything runs (and the whole of a dry run): every script must parse, then the lint and the plan of every
     * phase, read from the live catalog in one read-only session bounded by the migration's timeouts. Nothing is
     * applied.
     */
    private StepObservation planEveryPhase(MigrationRuntime runtime, ConnectionSettings db, SessionSettings session,
            SchemaMigrationSpec spec) {
        try (java.sql.Connection c = Sessions.open(db, session)) {
            List<SpecPreflight.Script> scripts = new ArrayList<>();
            if (spec.compatibleSchema != null) {
                scripts.add(new SpecPreflight.Script("spec.compatibleSchema.sql", spec.compatibleSchema.sql));
            }
            scripts.addAll(laterScripts(spec, PhaseName.CompatibleSchema));
            Optional<String> syntax = SpecPreflight.firstError(c, scripts);
            if (syntax.isPresent()) {
                return new StepObservation.Failed(PhaseName.CompatibleSchema, false, 0, Reason.SqlError,
                        syntax.get() + "; nothing was run. Fix it in the spec", false);
            }
            LintPreflight.Result lint = LintPreflight.run(c, spec, PhaseName.CompatibleSchema,
                    Times.format(clock.instant()), options.lint());
            runtime.linted(lint);
            LintStatus s = lint.verdict().status();
            String summary = n(s.errors) + " error(s), " + n(s.blocking) + " of them not allowed, " + n(s.warnings)
                    + " warning(s), " + n(s.notes) + " note(s); " + lint.plan().statements() + " statement(s)"
                    + (lint.plan().backfill() ? " and the backfill" : "") + " planned";
            return new StepObservation.Planned(summary, lint.verdict().block().orElse(null));
        } catch (SQLException e) {
            SqlFailure f = SqlFailure.of(e, db);
            return new StepObservation.Failed(PhaseName.CompatibleSchema, false, 0, f.reason(), f.message(),
                    f.retryable());
        }
    }

    private static int n(Integer i) {
        return i == null ? 0 : i;
    }

    /**
     * Starts a step unless one of this migration is still running or unrecorded; a refusal is logged and the next
     * reconcile (triggered when that step reports) decides again, so no request is silently lost.
     */
    private void start(MigrationRuntime runtime, String uid, StepObservation initial, StepRunner.Work work) {
        start(steps, runtime, uid, initial, work);
    }

    private void start(StepRunner runner, MigrationRuntime runtime, String uid, StepObservation initial,
            StepRunner.Work work) {
        synchronized (runtime) {
            if (!runtime.canStart(uid)) {
                LOG.infof("%s: step not started, busy with %s; deciding again when it reports", runtime.key(),
                        runtime.busyWith());
                return;
            }
            runtime.started(runner.start(uid, initial, work, () -> {
                if (runtime.reportNow(clock.instant())) {
                    trigger(runtime.key());
                }
            }));
        }
    }

    /** An Event each time the backfill crosses another 10 %, so kubectl describe shows its pace without noise. */
    private void progressEvent(SchemaMigration m, MigrationRuntime runtime, BackfillStatus progress) {
        if (progress == null || progress.percent == null) {
            return;
        }
        int decile = Math.min(10, progress.percent / 10);
        if (runtime.crossedDecile(decile)) {
            events.record(m, Note.info(Reason.BackfillRunning, "backfill " + progress.percent + "%: "
                    + progress.rowsDone + " of ~" + progress.rowsEstimated + " rows"
                    + (progress.rowsPerSecond == null ? "" : String.format(", %.0f rows/s", progress.rowsPerSecond))
                    + (progress.eta == null ? "" : ", ETA " + progress.eta)), runtime.events());
        }
    }

    /** A health gate closed on two checks at least one probe interval apart (gh-ost's critical-load idea). */
    private Optional<HealthGate> sustainedBreach(String key) {
        return health.latest(key)
                .filter(o -> !o.gate().open() && !o.gate().pending())
                .filter(o -> o.breachConfirmed(options.healthInterval()))
                .map(HealthMonitor.Observed::gate);
    }

    /**
     * Whether the decision is a wait that health cannot change, with no step running: on the clock alone (a
     * maintenance window, a minimum wait) for longer than {@link #HEALTH_LEAD}, or for a person's approval (which may
     * take days; the approval's annotation wakes the migration). The plan before anything runs is like a wait: it
     * only reads the catalog, so the gate could stop nothing. It is not probed meanwhile.
     */
    private static boolean onlyWaits(Decision d, Observations obs, Instant now) {
        if (d.phase() == MigrationPhase.Pending) {
            return true;
        }
        if (obs.step() instanceof StepObservation.Running) {
            return false;
        }
        if (d.state() == MigrationState.AwaitingApproval) {
            return true;
        }
        return (d.reason() == Reason.OutsideWindow || d.reason() == Reason.WaitingPeriod)
                && d.waitUntil().map(until -> until.isAfter(now.plus(HEALTH_LEAD))).orElse(false);
    }

    /** Keeps the background health probe of this migration pointed at its database, replicas and tables. */
    private void watchHealth(String key, String ns, SchemaMigrationSpec spec, ConnectionSettings db) {
        List<HealthMonitor.Replica> replicas = new ArrayList<>();
        for (ReplicaSpec r : spec.database.replicas == null ? List.<ReplicaSpec>of() : spec.database.replicas) {
            SecretReader.Result read = secrets.read(ns, r.secretRef);
            if (read.settings() != null) {
                replicas.add(new HealthMonitor.Replica(r.name != null ? r.name : r.secretRef.name, read.settings()));
            } else {
                LOG.warnf("%s: replica %s not probed: %s", key, r.secretRef.name, read.problem().message());
            }
        }
        HealthTargets targets = HealthTargets.of(spec);
        health.watch(key, new HealthMonitor.Target(db, replicas, targets.tables(),
                spec.health == null ? new HealthSpec() : spec.health, targets.databaseWide()));
    }

    private void patchImage(String ns, Step.PatchImage p) {
        try {
            client.apps().deployments().inNamespace(ns).withName(p.deployment()).edit(dep -> {
                dep.getSpec().getTemplate().getSpec().getContainers().stream()
                        .filter(c -> c.getName().equals(p.container()))
                        .forEach(c -> c.setImage(p.image()));
                return dep;
            });
            LOG.infof("set image of %s/%s container %s to %s", ns, p.deployment(), p.container(), p.image());
        } catch (KubernetesClientException e) {
            // The next reconcile sees the old image and tries again; the status message says what we wait for.
            LOG.warnf("could not patch Deployment %s/%s: HTTP %d", ns, p.deployment(), e.getCode());
        }
    }

    private DeploymentObservation observeDeployment(String ns, SchemaMigrationSpec spec, SchemaMigrationStatus old) {
        Deployment d = deployments == null ? null
                : deployments.get(new ResourceID(spec.application.deployment, ns)).orElse(null);
        if (d == null) {
            d = client.apps().deployments().inNamespace(ns).withName(spec.application.deployment).get();
        }
        List<Pod> pods = null;
        if (d != null && cleanupAhead(spec, old) && d.getSpec().getSelector() != null
                && d.getSpec().getSelector().getMatchLabels() != null) {
            // Only before Cleanup: the one moment that needs proof no old pod runs, so pods are listed on demand.
            Map<String, String> labels = d.getSpec().getSelector().getMatchLabels();
            pods = client.pods().inNamespace(ns).withLabels(labels).list().getItems();
        }
        return DeploymentObserver.observe(d, spec.application, pods);
    }

    /** From the rollout until Cleanup starts: the span in which an old pod would make Cleanup unsafe. */
    private static boolean cleanupAhead(SchemaMigrationSpec spec, SchemaMigrationStatus old) {
        if (spec.cleanup == null || old == null || old.phase == null) {
            return false;
        }
        boolean started = old.phases != null && old.phases.stream()
                .anyMatch(p -> p.name == PhaseName.Cleanup && p.startedAt != null);
        return !started && (old.phase == MigrationPhase.CodeDeploy || old.phase == MigrationPhase.Backfill
                || old.phase == MigrationPhase.Cleanup);
    }

    private static void logTransition(String key, SchemaMigrationStatus old, SchemaMigrationStatus now) {
        if (old == null || old.phase != now.phase || old.state != now.state || old.reason != now.reason) {
            LOG.infof("%s: %s %s %s: %s", key, now.phase, now.state, now.reason, now.message);
        }
    }

    private static String annotation(SchemaMigration m, String name) {
        Map<String, String> a = m.getMetadata().getAnnotations();
        return a == null ? null : a.get(name);
    }

    private static long generation(SchemaMigration m) {
        return m.getMetadata().getGeneration() == null ? 0 : m.getMetadata().getGeneration();
    }

    /**
     * On SIGTERM (Quarkus shutdown) as on deletion of the bean: cancels running statements so that their sessions
     * end cleanly and release the runner lock within the pod's grace period, instead of being cut off mid-way.
     */
    @jakarta.annotation.PreDestroy
    @Override
    public void close() {
        runtimes.values().forEach(r -> r.cancel(Reason.Aborting));
        steps.close();
        plans.close();
        health.close();
    }
}
