package dev.phasegate.engine;

import dev.phasegate.api.ApplicationSpec;
import dev.phasegate.api.DeployMode;
import dev.phasegate.api.Durations;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseState;
import dev.phasegate.api.PhaseStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.api.RollbackStatus;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.api.SqlPhaseSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pure phase engine: from spec, last status, observations and the current instant, decides what happens next.
 * It owns phase order, skipping, minimum waits, maintenance windows, pause, the spec-change guard, retries and the
 * abort path. It performs no I/O and never reads a clock.
 */
public final class MigrationEngine {
    /** Safety net for running steps: the executor triggers a reconcile itself, this only covers a lost trigger. */
    static final Duration RUNNING_RECHECK = Duration.ofSeconds(15);
    static final Duration BLOCKED_RECHECK = Duration.ofSeconds(30);
    static final Duration HEALTH_RECHECK = Duration.ofSeconds(5);

    public Decision decide(SchemaMigrationSpec spec, SchemaMigrationStatus status, Observations obs, Instant now) {
        Round r = new Round(spec, status == null ? new SchemaMigrationStatus() : status, obs, now);
        Decision d = r.run();
        return r.withTransitionNotes(d);
    }

    /** One decision's working state: a copy of the status being advanced. */
    private static final class Round {
        private final SchemaMigrationSpec spec;
        private final SchemaMigrationStatus old;
        private final Observations obs;
        private final Instant now;
        private final Map<PhaseName, PhaseStatus> phases = new EnumMap<>(PhaseName.class);
        private final List<Note> notes = new ArrayList<>();
        private MigrationPhase phase;
        private RollbackStatus rollback;
        private boolean ack;
        private boolean abortRequested;
        /** This round's consistency check result, if one arrived. */
        private StepObservation.Verified verified;

        Round(SchemaMigrationSpec spec, SchemaMigrationStatus old, Observations obs, Instant now) {
            this.spec = spec;
            this.old = old;
            this.obs = obs;
            this.now = now;
            this.phase = old.phase == null ? MigrationPhase.Pending : old.phase;
            this.rollback = old.rollback;
            for (PhaseName p : PhaseName.values()) {
                phases.put(p, new PhaseStatus(p));
            }
            if (old.phases != null) {
                for (PhaseStatus ps : old.phases) {
                    if (ps != null && ps.name != null) {
                        phases.put(ps.name, ps.copy());
                    }
                }
            }
        }

        /** The executor's report, until this round has recorded it; then nothing is running. */
        private StepObservation step() {
            return ack ? StepObservation.idle() : obs.step();
        }

        Decision run() {
            if (obs.step() instanceof StepObservation.Verified v) {
                ack = true;
                verified = v;
            }
            if (phase == MigrationPhase.Planned && !spec.dryRun) {
                // The dry run was reviewed and turned off: the real migration starts from the beginning.
                phase = MigrationPhase.Pending;
            }
            boolean abort = spec.abort || obs.abortAnnotation();
            abortRequested = abort;
            // A failure may have rolled back its own phase (rollback.cause is that failure); an abort afterwards still
            // rolls back the phases before it. Only a failed abort (cause Aborting) is final.
            boolean abortAfterFailure = abort && phase == MigrationPhase.Failed
                    && (rollback == null || rollback.cause != Reason.Aborting);
            if (phase.isTerminal() && !abortAfterFailure) {
                return terminal();
            }
            if (!obs.specProblems().isEmpty()) {
                return decision(MigrationState.Blocked, Reason.InvalidSpec,
                        "spec is invalid, nothing was changed: " + String.join("; ", obs.specProblems()),
                        null, null, null, true);
            }
            if (phase.isTerminal()) {
                if (abortAfterFailure) {
                    return abort();
                }
                return terminal();
            }
            if (abort && phase != MigrationPhase.RollingBack) {
                return abort();
            }
            if (phase == MigrationPhase.RollingBack) {
                return rollBack();
            }
            return forward();
        }

        // ---------------------------------------------------------------- forward

        private Decision forward() {
            if (phase == MigrationPhase.Pending) {
                Decision planned = plan();
                if (planned != null) {
                    return planned;
                }
                phase = MigrationPhase.CompatibleSchema;
            }
            Decision rerun = rerunEditedBackfill();
            if (rerun != null) {
                return rerun;
            }
            while (true) {
                PhaseName p = PhaseName.valueOf(phase.name());
                PhaseStatus rec = phases.get(p);
                switch (rec.state) {
                    case Succeeded, Skipped -> {
                        Optional<Decision> end = advance(p);
                        if (end.isPresent()) {
                            return end.get();
                        }
                    }
                    case Pending -> {
                        if (!PhaseSpecs.hasWork(spec, p)) {
                            rec.state = PhaseState.Skipped;
                            rec.message = "nothing to do: spec." + field(p) + " is not set";
                            carryWait(p, rec);
                            continue;
                        }
                        Decision gate = startGate(p, rec);
                        if (gate != null) {
                            return gate;
                        }
                        start(p, rec);
                        return running(p, rec);
                    }
                    case Running -> {
                        return running(p, rec);
                    }
                    default -> {
                        return terminal();
                    }
                }
            }
        }

        /**
         * Before anything runs, one read-only step lints and plans every phase against the live catalog, so that an
         * ERROR finding in any phase (Cleanup too) blocks the migration before its first change, and the reviewer sees
         * the plan while the migration waits for its window or an approval. It is not remembered: each reconcile at
         * Pending plans again (a spec edit, an operator restart), so the verdict is always today's catalog's. A dry
         * run ends after it (Planned). Null when the migration may go on.
         */
        private Decision plan() {
            String label = spec.dryRun ? "dry run" : "before anything runs";
            StepObservation step = step();
            if (step instanceof StepObservation.Planned planned) {
                ack = true;
                if (spec.dryRun) {
                    phase = MigrationPhase.Planned;
                    String message = "dry run, nothing was run: " + planned.summary()
                            + (planned.blocked() ? "; it would be blocked: " + planned.block() : "") + " (status.lint). Set"
                            + " spec.dryRun to false to run it";
                    notes.add(planned.blocked() ? Note.warning(Reason.Planned, message)
                            : Note.info(Reason.Planned, message));
                    return decision(MigrationState.Done, Reason.Planned, message, null, null, null, false);
                }
                if (planned.blocked()) {
                    String message = planned.block() + "; nothing was run. The lint runs again when the spec is"
                            + " edited";
                    notes.add(Note.warning(Reason.LintFailed, message));
                    return decision(MigrationState.Blocked, Reason.LintFailed, message, null, null, null, true);
                }
                // No Event of its own: findings get one (LintFindings), and the phase that starts next says so.
                return null;
            }
            if (step instanceof StepObservation.Failed f) {
                ack = true;
                // A script that does not parse waits for the spec edit that fixes it; an unreachable database is
                // asked again.
                return decision(MigrationState.Blocked, f.reason(), label + ": " + f.message(), null,
                        f.retryable() ? now.plus(BLOCKED_RECHECK) : null, null, true);
            }
            if (step instanceof StepObservation.Running) {
                return decision(MigrationState.Running, Reason.Starting, label + ": linting and planning every phase"
                        + " against the database", null, now.plus(RUNNING_RECHECK), null, false);
            }
            if (obs.databaseProblem().isPresent()) {
                Problem problem = obs.databaseProblem().get();
                return decision(MigrationState.Blocked, problem.reason(), label + ": " + problem.message(), null,
                        now.plus(BLOCKED_RECHECK), null, true);
            }
            return withStep(MigrationState.Running, Reason.Starting, label + ": linting and planning every phase"
                    + " against the database" + (spec.dryRun ? "; nothing will run" : ""), new Step.Plan());
        }

        /** Moves to the phase after p; returns the final decision when p was the last one. */
        private Optional<Decision> advance(PhaseName p) {
            if (p.ordinal() + 1 >= PhaseName.values().length) {
                phase = MigrationPhase.Succeeded;
                notes.add(Note.info(Reason.Succeeded, "migration succeeded: all phases done"));
                return Optional.of(decision(MigrationState.Done, Reason.Succeeded, "all phases done", null, null,
                        null, false));
            }
            phase = PhaseName.values()[p.ordinal() + 1].asMigrationPhase();
            return Optional.empty();
        }

        /** A skipped phase passes its own earliest start on, so a skip never shortens a wait. */
        private void carryWait(PhaseName p, PhaseStatus rec) {
            if (rec.notBefore != null && p.ordinal() + 1 < PhaseName.values().length) {
                PhaseStatus next = phases.get(PhaseName.values()[p.ordinal() + 1]);
                Instant carried = Times.parse(rec.notBefore);
                Instant existing = Times.parse(next.notBefore);
                if (existing == null || existing.isBefore(carried)) {
                    next.notBefore = rec.notBefore;
                }
            }
        }

        private void start(PhaseName p, PhaseStatus rec) {
            rec.state = PhaseState.Running;
            rec.startedAt = Times.format(now);
            rec.attempts = 1;
            rec.statementsDone = 0;
            rec.specHash = PhaseSpecs.hash(spec, p);
            rec.nextAttemptAt = null;
            rec.message = null;
            if (p == PhaseName.Cleanup) {
                rec.oneWay = !PhaseSpecs.hasRollbackSql(spec, p);
                notes.add(Note.info(Reason.Starting, rec.oneWay
                        ? "phase Cleanup started; it is ONE-WAY: it has no rollbackSql, so an abort after this point"
                                + " cannot undo it"
                        : "phase Cleanup started (reversible with its rollbackSql)"));
            } else {
                notes.add(Note.info(Reason.Starting, "phase " + p + " started"));
            }
        }

        /** The gates before a phase starts, in the order a person would check them. Null when all are open. */
        private Decision startGate(PhaseName p, PhaseStatus rec) {
            if (p == PhaseName.Cleanup) {
                Decision held = consistencyGate(false);
                if (held != null) {
                    return held;
                }
            }
            Decision approval = approvalGate(p, rec);
            if (approval != null) {
                return approval;
            }
            Decision gate = waitAndAttemptGate(p, rec);
            if (gate == null && p == PhaseName.Cleanup) {
                return consistencyGate(true);
            }
            return gate;
        }

        /**
         * A phase in spec.approvalRequired starts only once approved; asked before its wait ends, so the approver can
         * act during the wait rather than be needed at its end.
         */
        private Decision approvalGate(PhaseName p, PhaseStatus rec) {
            if (!ApprovalGate.required(spec, p)) {
                return null;
            }
            ApprovalGate.Verdict v = ApprovalGate.judge(spec, p, rec.approval, obs.approvals(), now);
            rec.approval = v.record();
            v.note().ifPresent(notes::add);
            if (v.open()) {
                return null;
            }
            Instant notBefore = Times.parse(rec.notBefore);
            boolean waitLeft = notBefore != null && now.isBefore(notBefore);
            return decision(MigrationState.AwaitingApproval, Reason.AwaitingApproval, v.waiting()
                    + (waitLeft ? "; its minimum wait runs until " + Times.format(notBefore) + " in any case" : ""),
                    waitLeft ? notBefore : null, null, null, false);
        }

        private Decision waitAndAttemptGate(PhaseName p, PhaseStatus rec) {
            Instant notBefore = Times.parse(rec.notBefore);
            if (notBefore != null && now.isBefore(notBefore)) {
                // A skipped phase passes the wait of the phase before it on (carryWait): name that one.
                int i = Math.max(0, p.ordinal() - 1);
                while (i > 0 && phases.get(PhaseName.values()[i]).state == PhaseState.Skipped) {
                    i--;
                }
                PhaseName prev = PhaseName.values()[i];
                return decision(MigrationState.Waiting, Reason.WaitingPeriod,
                        p + " waits until " + Times.format(notBefore) + ": minimum wait of "
                                + Durations.format(PhaseSpecs.waitAfter(spec, prev)) + " after " + prev,
                        notBefore, null, null, false);
            }
            return attemptGate(p, rec);
        }

        /** The gates before any attempt of a phase: window, pause, database access, health, old pods. */
        private Decision attemptGate(PhaseName p, PhaseStatus rec) {
            MaintenanceWindows windows = Windows.of(spec);
            if (!windows.isOpen(now)) {
                Instant open = windows.nextOpen(now).orElse(null);
                return decision(MigrationState.Waiting, Reason.OutsideWindow,
                        p + " waits for a maintenance window (" + windows.describe() + ")"
                                + (open == null ? "" : "; next opens " + Times.format(open)),
                        open, null, null, false);
            }
            if (spec.paused) {
                return decision(MigrationState.Paused, Reason.Paused,
                        "paused before " + p + "; set spec.paused to false to go on", null, null, null, false);
            }
            boolean usesDatabase = p != PhaseName.CodeDeploy;
            if (usesDatabase && obs.databaseProblem().isPresent()) {
                Problem problem = obs.databaseProblem().get();
                return decision(MigrationState.Blocked, problem.reason(), problem.message(), null,
                        now.plus(BLOCKED_RECHECK), null, true);
            }
            if (usesDatabase && obs.health().pending()) {
                return decision(MigrationState.Waiting, Reason.Starting,
                        p + " waits for the first database health check", null, now.plus(Duration.ofSeconds(1)),
                        null, false);
            }
            if (usesDatabase && !obs.health().open()) {
                return decision(MigrationState.Blocked, obs.health().reason(),
                        "health gate closed before " + p + ": " + obs.health().message(), null,
                        now.plus(HEALTH_RECHECK), null, false);
            }
            if (p == PhaseName.Cleanup && spec.application != null) {
                Optional<DeploymentObservation> d = obs.deployment();
                if (d.isEmpty() || !d.get().found()) {
                    return decision(MigrationState.Blocked, Reason.DeploymentNotFound,
                            "Cleanup needs proof that no old code runs, but Deployment " + spec.application.deployment
                                    + " was not found",
                            null, now.plus(BLOCKED_RECHECK), null, true);
                }
                DeploymentObservation dep = d.get();
                if (dep.podsWithOtherImage() > 0 || dep.oldReplicas() > 0 || !expectedImage().equals(dep.templateImage())) {
                    return decision(MigrationState.Blocked, Reason.OldPodsRemaining,
                            "Cleanup holds: " + Math.max(dep.podsWithOtherImage(), dep.oldReplicas())
                                    + " pod(s) of Deployment " + spec.application.deployment
                                    + " still run an image other than " + expectedImage()
                                    + (expectedImage().equals(dep.templateImage()) ? ""
                                            : " (the pod template now has " + dep.templateImage() + ")"),
                            null, now.plus(BLOCKED_RECHECK), null, false);
                }
            }
            return null;
        }

        /**
         * The consistency check before Cleanup (see {@link Consistency}); null when Cleanup may go on. Without
         * {@code beforeStart} it runs right after the backfill and holds only on a finding; with it, every other gate
         * is open and the count must be recent.
         */
        private Decision consistencyGate(boolean beforeStart) {
            PhaseStatus backfill = phases.get(PhaseName.Backfill);
            if (!Consistency.applies(spec, backfill, phases.get(PhaseName.Cleanup))) {
                return null;
            }
            StepObservation step = step();
            if (step instanceof StepObservation.Running run && step.isFor(PhaseName.Backfill, false)) {
                return decision(run.waitingOn() != null ? MigrationState.Blocked : MigrationState.Running,
                        run.waitingOn() != null ? run.waitingOn() : Reason.Verifying,
                        "consistency check before Cleanup: " + run.detail(), null, now.plus(RUNNING_RECHECK), null,
                        false);
            }
            if (step instanceof StepObservation.Failed f && step.isFor(PhaseName.Backfill, false)) {
                ack = true;
                verified = StepObservation.Verified.failed(f.reason(), f.message(), f.retryable());
            }
            Consistency.Latest latest = verified != null && Consistency.worthRecording(verified)
                    ? new Consistency.Latest(now, verified)
                    : Consistency.stored(old.backfill, old.state == MigrationState.Blocked ? old.reason : null);
            Consistency.Verdict v = Consistency.judge(spec, backfill, latest, now, beforeStart);
            if (v instanceof Consistency.Pass pass) {
                if (beforeStart && pass.note() != null) {
                    notes.add(Note.warning(Reason.Inconsistent, pass.note()));
                }
                return null;
            }
            if (v instanceof Consistency.Hold hold) {
                if (hold.reason() == Reason.Inconsistent && verified != null) {
                    notes.add(Note.warning(Reason.Inconsistent, hold.message()));
                }
                return decision(MigrationState.Blocked, hold.reason(), hold.message(), null, hold.recheckAt(), null,
                        hold.reason() == Reason.Inconsistent);
            }
            // Right after the backfill the count may wait for the database; before Cleanup the gates were checked.
            if (!beforeStart && (spec.paused || obs.databaseProblem().isPresent() || obs.health().pending())) {
                return null;
            }
            return withStep(MigrationState.Running, Reason.Verifying, "consistency check before Cleanup ("
                    + ((Consistency.Verify) v).why() + "): counting rows of " + spec.backfill.table
                    + " whose targets disagree with spec.backfill.set", new Step.VerifyBackfill());
        }

        /**
         * An edit of spec.backfill.set or where after the backfill finished, and before Cleanup started, runs the
         * backfill again: the way to fix what the consistency check found (the guard makes a re-run safe).
         */
        private Decision rerunEditedBackfill() {
            PhaseStatus backfill = phases.get(PhaseName.Backfill);
            if (phase != MigrationPhase.Cleanup || spec.backfill == null || backfill.state != PhaseState.Succeeded
                    || backfill.specHash == null || phases.get(PhaseName.Cleanup).startedAt != null
                    || backfill.specHash.equals(PhaseSpecs.hash(spec, PhaseName.Backfill))) {
                return null;
            }
            if (step() instanceof StepObservation.Running) {
                return withStep(MigrationState.Running, Reason.Verifying, "spec.backfill changed: stopping the"
                        + " consistency check before the backfill runs again", new Step.Cancel());
            }
            phase = MigrationPhase.Backfill;
            backfill.state = PhaseState.Running;
            backfill.startedAt = Times.format(now);
            backfill.finishedAt = null;
            backfill.attempts = Math.max(1, backfill.attempts) + 1;
            backfill.nextAttemptAt = null;
            backfill.specHash = PhaseSpecs.hash(spec, PhaseName.Backfill);
            backfill.message = null;
            // The wait after the backfill starts again when the re-run ends: the data changed since.
            phases.get(PhaseName.Cleanup).notBefore = null;
            notes.add(Note.info(Reason.Starting, "spec.backfill changed after the backfill finished and before"
                    + " Cleanup: the backfill runs again with where: " + spec.backfill.where));
            return running(PhaseName.Backfill, backfill);
        }

        private Decision running(PhaseName p, PhaseStatus rec) {
            String hash = PhaseSpecs.hash(spec, p);
            if (rec.awaitingSpecFix != null) {
                if (PhaseSpecs.hashAll(spec).equals(rec.heldSpecHash)) {
                    return awaitingFix(p, rec);
                }
                // The person changed the spec: that is the retry they were asked for.
                rec.awaitingSpecFix = null;
                rec.heldSpecHash = null;
                rec.specHash = hash;
                rec.nextAttemptAt = Times.format(now);
                rec.message = null;
            } else if (rec.specHash != null && !rec.specHash.equals(hash)) {
                return decision(MigrationState.Blocked, Reason.SpecChangedAfterStart,
                        "spec." + field(p) + " changed after phase " + p + " started (" + rec.statementsDone
                                + " statement(s) done); put it back as it was, or set spec.abort to roll back",
                        null, null, null, true);
            }
            if (p == PhaseName.CodeDeploy) {
                return codeDeploy(rec);
            }
            StepObservation step = step();
            if (step.isFor(p, false)) {
                if (step instanceof StepObservation.Running run) {
                    rec.statementsDone = run.statementsDone();
                    rec.statementsTotal = run.statementsTotal();
                    Reason reason = run.waitingOn() != null ? run.waitingOn()
                            : p == PhaseName.Backfill ? Reason.BackfillRunning : Reason.Executing;
                    MigrationState state = run.waitingOn() != null ? MigrationState.Blocked : MigrationState.Running;
                    return decision(state, reason, run.detail(), null, now.plus(RUNNING_RECHECK), null, false);
                }
                ack = true;
                if (step instanceof StepObservation.Completed done) {
                    rec.statementsDone = done.statementsDone();
                    return complete(p, rec, done.detail());
                }
                return failed(p, rec, (StepObservation.Failed) step);
            }
            Instant nextAttempt = Times.parse(rec.nextAttemptAt);
            if (nextAttempt != null && now.isBefore(nextAttempt)) {
                return decision(MigrationState.Blocked, coolDownReason(nextAttempt), rec.message, nextAttempt, null,
                        null, false);
            }
            Decision gate = attemptGate(p, rec);
            if (gate != null) {
                return gate;
            }
            if (nextAttempt != null) {
                rec.attempts++;
                rec.nextAttemptAt = null;
                notes.add(Note.info(Reason.Starting, p + ": attempt " + rec.attempts + " starts"));
            }
            if (p == PhaseName.Backfill) {
                return withStep(MigrationState.Running, Reason.BackfillRunning,
                        "backfill of " + spec.backfill.table + " starting (attempt " + rec.attempts + ")",
                        new Step.RunBackfill());
            }
            SqlPhaseSpec sql = PhaseSpecs.sqlPhase(spec, p);
            return withStep(MigrationState.Running, Reason.Executing,
                    p + ": running its SQL (attempt " + rec.attempts + ")",
                    new Step.RunSql(p, false, sql.sql));
        }

        /**
         * The failure's reason while its cool-down runs, as long as status still shows that cool-down; after something
         * else was shown in between (a spec edit, an invalid spec) the failure's reason is gone, so RetryBackoff.
         */
        private Reason coolDownReason(Instant nextAttempt) {
            boolean sameCoolDown = old.state == MigrationState.Blocked && old.reason != null
                    && nextAttempt.equals(Times.parse(old.waitUntil));
            return sameCoolDown ? old.reason : Reason.RetryBackoff;
        }

        private Decision complete(PhaseName p, PhaseStatus rec, String detail) {
            rec.state = PhaseState.Succeeded;
            rec.finishedAt = Times.format(now);
            rec.nextAttemptAt = null;
            rec.message = detail;
            Duration wait = PhaseSpecs.waitAfter(spec, p);
            notes.add(Note.info(Reason.Succeeded, "phase " + p + " succeeded"
                    + (detail == null ? "" : ": " + detail)));
            if (p.ordinal() + 1 < PhaseName.values().length) {
                PhaseStatus next = phases.get(PhaseName.values()[p.ordinal() + 1]);
                // Rounded up so the stored (second precision) deadline never shortens a wait; no wait, no delay.
                next.notBefore = Times.format(wait.isZero() ? now : Times.ceilSeconds(now.plus(wait)));
            }
            return forward();
        }

        private Decision failed(PhaseName p, PhaseStatus rec, StepObservation.Failed f) {
            rec.statementsDone = f.statementsDone();
            rec.message = f.message();
            if (f.retryable()) {
                Duration cool = Backoff.cooldown(f.reason(), rec.attempts);
                // Rounded up so a cool-down is never shortened; a zero one (pause, abort) is due at once, so it is
                // rounded down instead, or a fractional now would show a second of RetryBackoff.
                rec.nextAttemptAt = Times.format(cool.isZero() ? now : Times.ceilSeconds(now.plus(cool)));
                if (f.reason() == Reason.Paused || f.reason() == Reason.Aborting) {
                    return forward();
                }
                notes.add(Note.warning(f.reason(), p + " attempt " + rec.attempts + " ended: " + f.message()
                        + "; next attempt at " + rec.nextAttemptAt));
                return decision(MigrationState.Blocked, f.reason(),
                        f.message() + " (attempt " + rec.attempts + "; next attempt at " + rec.nextAttemptAt + ")",
                        Times.parse(rec.nextAttemptAt), null, null, false);
            }
            if (f.statementsDone() == 0 || f.reason() == Reason.RollbackHeld) {
                // Nothing to undo, or undoing would destroy what the migration did not create: a person fixes the
                // spec (and the phase tries again) or aborts. Not terminal.
                rec.awaitingSpecFix = f.reason();
                rec.heldSpecHash = PhaseSpecs.hashAll(spec);
                rec.nextAttemptAt = null;
                notes.add(Note.warning(f.reason(), "phase " + p + " attempt " + rec.attempts + " failed: "
                        + f.message()));
                return awaitingFix(p, rec);
            }
            rec.state = PhaseState.Failed;
            rec.finishedAt = Times.format(now);
            notes.add(Note.warning(f.reason(), "phase " + p + " failed: " + f.message()));
            if (f.statementsDone() > 0 && PhaseSpecs.hasRollbackSql(spec, p)) {
                return beginRollback(f.reason(), "phase " + p + " failed: " + f.message(), List.of(p));
            }
            phase = MigrationPhase.Failed;
            String left = f.statementsDone() == 0 ? "; nothing of this phase was applied"
                    : "; " + f.statementsDone() + " statement(s) of this phase were applied and it has no rollbackSql";
            return decision(MigrationState.Done, f.reason(), "phase " + p + " failed: " + f.message() + left, null,
                    null, null, true);
        }

        private Decision awaitingFix(PhaseName p, PhaseStatus rec) {
            String applied = rec.statementsDone == 0 ? "nothing of this phase was applied"
                    : rec.statementsDone + " statement(s) of this phase stay applied";
            return decision(MigrationState.Blocked, rec.awaitingSpecFix, "phase " + p + " failed: " + rec.message
                    + " (" + applied + "). Edit the spec to fix it and the phase is tried again, or set spec.abort"
                    + (rec.awaitingSpecFix == Reason.RollbackHeld ? " to run its rollbackSql as written" : " to give up"),
                    null, null, null, true);
        }

        private Decision codeDeploy(PhaseStatus rec) {
            ApplicationSpec app = spec.application;
            Optional<DeploymentObservation> seen = obs.deployment();
            if (seen.isEmpty() || !seen.get().found()) {
                return decision(MigrationState.Blocked, Reason.DeploymentNotFound,
                        "Deployment " + app.deployment + " not found; create it or fix spec.application.deployment",
                        null, now.plus(BLOCKED_RECHECK), null, true);
            }
            DeploymentObservation d = seen.get();
            if (!d.containerFound()) {
                return decision(MigrationState.Blocked, Reason.ContainerNotFound,
                        app.container == null
                                ? "Deployment " + app.deployment + " has " + d.containers().size()
                                        + " containers " + d.containers() + "; name one in spec.application.container"
                                : "container " + app.container + " not found in Deployment " + app.deployment
                                        + " (containers: " + d.containers() + ")",
                        null, now.plus(BLOCKED_RECHECK), null, true);
            }
            String image = expectedImage();
            if (!image.equals(d.templateImage())) {
                if (app.mode == DeployMode.Patch) {
                    if (rec.previousImage == null) {
                        rec.previousImage = d.templateImage();
                    }
                    return withStep(MigrationState.Running, Reason.RolloutInProgress,
                            "setting image " + image + " on container " + d.container() + " of Deployment "
                                    + app.deployment + " (was " + d.templateImage() + ")",
                            new Step.PatchImage(app.deployment, d.container(), image));
                }
                return decision(MigrationState.Waiting, Reason.WaitingForRollout,
                        "waiting for Deployment " + app.deployment + " to run image " + image + " in container "
                                + d.container() + " (its pod template has " + d.templateImage()
                                + "); update it through your GitOps pipeline",
                        null, now.plus(BLOCKED_RECHECK), null, false);
            }
            if (d.rolloutComplete()) {
                return complete(PhaseName.CodeDeploy, rec, "Deployment " + app.deployment + " runs " + image
                        + " on all " + d.desiredReplicas() + " replica(s)");
            }
            String progress = progress(d);
            if (d.progressDeadlineExceeded()) {
                return decision(MigrationState.Blocked, Reason.ProgressDeadlineExceeded,
                        "rollout of Deployment " + app.deployment + " exceeded its progressDeadlineSeconds (" + progress
                                + "); see kubectl rollout status deployment/" + app.deployment,
                        null, now.plus(BLOCKED_RECHECK), null, true);
            }
            return decision(MigrationState.Running, Reason.RolloutInProgress,
                    "rollout of Deployment " + app.deployment + " to " + image + ": " + progress, null,
                    now.plus(RUNNING_RECHECK), null, false);
        }

        private static String progress(DeploymentObservation d) {
            if (d.observedGeneration() < d.generation()) {
                // The counts below would describe the previous spec; say what is actually awaited.
                return "the Deployment controller has not yet observed generation " + d.generation() + " (it reports "
                        + d.observedGeneration() + ")";
            }
            return d.updatedReplicas() + "/" + d.desiredReplicas() + " updated, " + d.availableReplicas() + "/"
                    + d.desiredReplicas() + " available, " + d.oldReplicas() + " old replica(s) left";
        }

        private String expectedImage() {
            return spec.application.image;
        }

        // ---------------------------------------------------------------- abort and rollback

        private Decision abort() {
            StepObservation step = step();
            if (step instanceof StepObservation.Running run && !run.rollback()) {
                return withStep(MigrationState.Running, Reason.Aborting,
                        "abort requested: cancelling the running step of " + run.phase() + " before rolling back",
                        new Step.Cancel());
            }
            if ((step instanceof StepObservation.Completed || step instanceof StepObservation.Failed)
                    && !(step instanceof StepObservation.Running)) {
                ack = true;
                recordLateResult(step);
            }
            PhaseStatus cleanup = phases.get(PhaseName.Cleanup);
            boolean contracted = cleanup.startedAt != null && !PhaseSpecs.hasRollbackSql(spec, PhaseName.Cleanup)
                    && (cleanup.statementsDone > 0 || cleanup.state == PhaseState.Succeeded);
            if (contracted) {
                // Undoing the expand after a one-way contract would drop what the new code uses while the old
                // columns are already gone: refuse, and say how to go on.
                phase = MigrationPhase.Failed;
                String why = "abort refused: Cleanup is one-way (no rollbackSql) and applied "
                        + cleanup.statementsDone + " statement(s); rolling back the earlier phases now would remove"
                        + " what the running code needs. Nothing was rolled back. Add spec.cleanup.rollbackSql and"
                        + " abort again, or repair by hand";
                if (!(old.phase == MigrationPhase.Failed && old.reason == Reason.RollbackFailed)) {
                    notes.add(Note.warning(Reason.RollbackFailed, why));
                }
                return decision(MigrationState.Done, Reason.RollbackFailed, why, null, null, null, true);
            }
            String why = spec.abort ? "spec.abort is true" : "annotation phasegate.dev/abort is set";
            return beginRollback(Reason.Aborting, phase == MigrationPhase.Failed ? "abort requested after failure ("
                    + why + ")" : why, startedPhasesNewestFirst());
        }

        /** A step that ended while the abort was being requested still counts: its statements ran. */
        private void recordLateResult(StepObservation step) {
            if (step instanceof StepObservation.Completed c && !c.rollback()) {
                PhaseStatus rec = phases.get(c.phase());
                rec.statementsDone = c.statementsDone();
                if (rec.state == PhaseState.Running) {
                    rec.state = PhaseState.Succeeded;
                    rec.finishedAt = Times.format(now);
                }
            } else if (step instanceof StepObservation.Failed f && !f.rollback()) {
                phases.get(f.phase()).statementsDone = f.statementsDone();
            }
        }

        private List<PhaseName> startedPhasesNewestFirst() {
            List<PhaseName> started = new ArrayList<>();
            for (int i = PhaseName.values().length - 1; i >= 0; i--) {
                PhaseStatus rec = phases.get(PhaseName.values()[i]);
                if (rec.startedAt != null && rec.state != PhaseState.RolledBack && rec.state != PhaseState.Skipped) {
                    started.add(rec.name);
                }
            }
            return started;
        }

        private Decision beginRollback(Reason cause, String why, List<PhaseName> scope) {
            rollback = new RollbackStatus();
            rollback.cause = cause;
            rollback.causeMessage = why;
            rollback.phases = new ArrayList<>(scope);
            rollback.startedAt = Times.format(now);
            phase = MigrationPhase.RollingBack;
            for (PhaseName p : scope) {
                PhaseStatus rec = phases.get(p);
                rec.attempts = 0;
                rec.nextAttemptAt = null;
            }
            notes.add(Note.warning(cause == Reason.Aborting ? Reason.Aborting : Reason.RollingBack,
                    "rolling back " + (scope.isEmpty() ? "nothing (no phase had started)" : scope) + ": " + why));
            return rollBack();
        }

        private Decision rollBack() {
            for (PhaseName p : rollback.phases) {
                PhaseStatus rec = phases.get(p);
                if (rec.state == PhaseState.RolledBack) {
                    continue;
                }
                Decision d = rollBackPhase(p, rec);
                if (d != null) {
                    return d;
                }
            }
            boolean failure = rollback.cause != Reason.Aborting;
            if (failure && abortRequested) {
                // Abort came while the failed phase was being rolled back: go on with the rest now, since a Failed
                // status would not be reconciled again until the next event.
                return beginRollback(Reason.Aborting, "abort requested after failure (" + rollback.causeMessage + ")",
                        startedPhasesNewestFirst());
            }
            phase = failure ? MigrationPhase.Failed : MigrationPhase.RolledBack;
            notes.add(failure ? Note.warning(rollback.cause, "migration failed and the failed phase was rolled back: "
                    + rollback.causeMessage) : Note.info(Reason.RolledBack, "rollback finished: " + rollback.phases));
            return decision(MigrationState.Done, failure ? rollback.cause : Reason.RolledBack,
                    failure ? rollback.causeMessage + "; its applied statements were rolled back with rollbackSql"
                            : "rolled back " + rollback.phases + " (" + rollback.causeMessage + ")",
                    null, null, null, failure);
        }

        /** Returns a decision while phase p's rollback is in progress, or null once p is rolled back. */
        private Decision rollBackPhase(PhaseName p, PhaseStatus rec) {
            switch (p) {
                case CodeDeploy -> {
                    return rollBackCodeDeploy(rec);
                }
                case Backfill -> {
                    markRolledBack(p, rec, "backfilled values are not reverted; they go with the columns that the"
                            + " CompatibleSchema rollback drops");
                    return null;
                }
                default -> {
                    if (!PhaseSpecs.hasRollbackSql(spec, p)) {
                        markRolledBack(p, rec, "not undone: spec." + field(p) + ".rollbackSql is empty, so its "
                                + rec.statementsDone + " applied statement(s) remain");
                        notes.add(Note.warning(Reason.RollingBack, p + " has no rollbackSql; its changes remain"));
                        return null;
                    }
                    return rollBackSql(p, rec);
                }
            }
        }

        private Decision rollBackSql(PhaseName p, PhaseStatus rec) {
            StepObservation step = step();
            if (step.isFor(p, true)) {
                if (step instanceof StepObservation.Running run) {
                    return decision(run.waitingOn() != null ? MigrationState.Blocked : MigrationState.Running,
                            run.waitingOn() != null ? run.waitingOn() : Reason.RollingBack,
                            "rolling back " + p + ": " + run.detail(), null, now.plus(RUNNING_RECHECK), null, false);
                }
                ack = true;
                if (step instanceof StepObservation.Completed) {
                    markRolledBack(p, rec, "rolled back with rollbackSql");
                    return null;
                }
                StepObservation.Failed f = (StepObservation.Failed) step;
                rec.message = "rollback: " + f.message();
                if (!f.retryable()) {
                    phase = MigrationPhase.Failed;
                    notes.add(Note.warning(Reason.RollbackFailed, "rollback of " + p + " failed: " + f.message()));
                    return decision(MigrationState.Done, Reason.RollbackFailed,
                            "rollback of " + p + " failed: " + f.message() + "; fix spec." + field(p)
                                    + ".rollbackSql or the database by hand",
                            null, null, null, true);
                }
                rec.attempts = Math.max(1, rec.attempts);
                rec.nextAttemptAt = Times.format(Times.ceilSeconds(now.plus(Backoff.cooldown(f.reason(),
                        rec.attempts))));
                notes.add(Note.warning(f.reason(), "rollback of " + p + " attempt " + rec.attempts + " ended: "
                        + f.message()));
                return decision(MigrationState.Blocked, f.reason(), "rolling back " + p + ": " + f.message()
                        + " (next attempt at " + rec.nextAttemptAt + ")", Times.parse(rec.nextAttemptAt), null,
                        null, false);
            }
            Instant next = Times.parse(rec.nextAttemptAt);
            if (next != null && now.isBefore(next)) {
                return decision(MigrationState.Blocked, coolDownReason(next), rec.message, next, null, null, false);
            }
            if (obs.databaseProblem().isPresent()) {
                Problem problem = obs.databaseProblem().get();
                return decision(MigrationState.Blocked, problem.reason(), "rollback of " + p + " waits: "
                        + problem.message(), null, now.plus(BLOCKED_RECHECK), null, true);
            }
            // Rollback SQL takes the same locks as any DDL: the incident's lock queue would form just the same.
            if (obs.health().pending()) {
                return decision(MigrationState.Waiting, Reason.Starting, "the rollback of " + p
                        + " waits for the first database health check", null, now.plus(Duration.ofSeconds(1)), null,
                        false);
            }
            if (!obs.health().open()) {
                return decision(MigrationState.Blocked, obs.health().reason(), "health gate closed before the rollback"
                        + " of " + p + ": " + obs.health().message(), null, now.plus(HEALTH_RECHECK), null, false);
            }
            // Counted like forward attempts: the first, and one after each cool-down; re-issuing the step while the
            // executor has not picked it up yet is the same attempt.
            if (next != null || rec.attempts == 0) {
                rec.attempts++;
            }
            rec.nextAttemptAt = null;
            return withStep(MigrationState.Running, Reason.RollingBack,
                    "rolling back " + p + " with its rollbackSql (attempt " + rec.attempts + ")",
                    new Step.RunSql(p, true, PhaseSpecs.sqlPhase(spec, p).rollbackSql));
        }

        private Decision rollBackCodeDeploy(PhaseStatus rec) {
            ApplicationSpec app = spec.application;
            if (app != null && app.mode == DeployMode.Observe) {
                return rollBackObservedDeploy(app, rec);
            }
            if (app == null || rec.previousImage == null) {
                markRolledBack(PhaseName.CodeDeploy, rec, "no image to restore");
                return null;
            }
            Optional<DeploymentObservation> d = obs.deployment();
            if (d.isEmpty() || !d.get().containerFound()) {
                markRolledBack(PhaseName.CodeDeploy, rec, "Deployment " + app.deployment + " (or its container) not"
                        + " found, so image " + rec.previousImage + " was not restored");
                return null;
            }
            DeploymentObservation dep = d.get();
            if (!rec.previousImage.equals(dep.templateImage())) {
                return withStep(MigrationState.Running, Reason.RollingBack,
                        "restoring image " + rec.previousImage + " on Deployment " + app.deployment,
                        new Step.PatchImage(app.deployment, dep.container(), rec.previousImage));
            }
            // Older phases (CompatibleSchema) may drop what the new code uses: wait until none of it runs.
            if (!dep.rolloutComplete()) {
                String progress = progress(dep);
                if (dep.progressDeadlineExceeded()) {
                    return decision(MigrationState.Blocked, Reason.ProgressDeadlineExceeded,
                            "rollout of Deployment " + app.deployment + " back to " + rec.previousImage
                                    + " exceeded its progressDeadlineSeconds (" + progress + ")",
                            null, now.plus(BLOCKED_RECHECK), null, true);
                }
                return decision(MigrationState.Running, Reason.RollingBack,
                        "waiting for Deployment " + app.deployment + " to roll back to " + rec.previousImage + " ("
                                + progress + ") before rolling back older phases",
                        null, now.plus(RUNNING_RECHECK), null, false);
            }
            markRolledBack(PhaseName.CodeDeploy, rec, "image " + rec.previousImage + " restored on Deployment "
                    + app.deployment);
            return null;
        }

        /**
         * Observe mode: GitOps owns the image, so we wait until the Deployment no longer runs the new one; rolling
         * back older phases first would drop columns the new code still uses.
         */
        private Decision rollBackObservedDeploy(ApplicationSpec app, PhaseStatus rec) {
            Optional<DeploymentObservation> d = obs.deployment();
            if (d.isEmpty() || !d.get().containerFound()) {
                markRolledBack(PhaseName.CodeDeploy, rec, "Deployment " + app.deployment + " (or its container) is"
                        + " gone, so no new code runs");
                return null;
            }
            DeploymentObservation dep = d.get();
            if (app.image.equals(dep.templateImage())) {
                return decision(MigrationState.Waiting, Reason.WaitingForRollout,
                        "abort: waiting for Deployment " + app.deployment + " to stop running " + app.image
                                + " (revert it through your GitOps pipeline); older phases are rolled back after",
                        null, now.plus(BLOCKED_RECHECK), null, false);
            }
            if (!dep.rolloutComplete()) {
                return decision(MigrationState.Running, Reason.RollingBack,
                        "waiting for Deployment " + app.deployment + " to finish rolling out " + dep.templateImage()
                                + " (" + progress(dep) + ") before rolling back older phases",
                        null, now.plus(RUNNING_RECHECK), null, false);
            }
            markRolledBack(PhaseName.CodeDeploy, rec, "Deployment " + app.deployment + " runs "
                    + dep.templateImage() + " again");
            return null;
        }

        private void markRolledBack(PhaseName p, PhaseStatus rec, String message) {
            rec.state = PhaseState.RolledBack;
            rec.finishedAt = Times.format(now);
            rec.nextAttemptAt = null;
            rec.message = message;
            notes.add(Note.info(Reason.RolledBack, "phase " + p + " rolled back: " + message));
        }

        private Decision terminal() {
            Reason reason = old.reason != null ? old.reason
                    : phase == MigrationPhase.Succeeded ? Reason.Succeeded : Reason.RolledBack;
            return decision(MigrationState.Done, reason, old.message, null, null, null,
                    phase == MigrationPhase.Failed);
        }

        // ---------------------------------------------------------------- building decisions

        private Decision withStep(MigrationState state, Reason reason, String message, Step step) {
            return build(state, reason, message, null, now.plus(RUNNING_RECHECK), step, false);
        }

        private Decision decision(MigrationState state, Reason reason, String message, Instant waitUntil,
                Instant recheckAt, Step step, boolean degraded) {
            return build(state, reason, message, waitUntil, recheckAt, step, degraded);
        }

        private Decision build(MigrationState state, Reason reason, String message, Instant waitUntil,
                Instant recheckAt, Step step, boolean degraded) {
            List<PhaseStatus> list = new ArrayList<>();
            for (PhaseName p : PhaseName.values()) {
                list.add(phases.get(p));
            }
            return new Decision(phase, state, reason, message, Optional.ofNullable(waitUntil),
                    Optional.ofNullable(recheckAt), List.copyOf(list), rollback, Optional.ofNullable(step), ack,
                    degraded, List.copyOf(notes));
        }

        /** Adds an Event when a gate closes or opens, i.e. when the migration becomes or stops being held. */
        Decision withTransitionNotes(Decision d) {
            boolean wasHeld = old.state != null && old.state.held();
            boolean isHeld = d.state().held();
            boolean changed = old.state != d.state() || old.reason != d.reason();
            List<Note> all = new ArrayList<>(d.notes());
            if (isHeld && changed && all.stream().noneMatch(n -> n.reason() == d.reason())) {
                all.add(Note.warning(d.reason(), "held: " + d.message()));
            } else if (wasHeld && !isHeld && old.reason != null) {
                all.add(Note.info(d.reason(), "no longer held by " + old.reason + "; now " + d.state() + ": "
                        + d.message()));
            }
            return new Decision(d.phase(), d.state(), d.reason(), d.message(), d.waitUntil(), d.recheckAt(),
                    d.phases(), d.rollback(), d.step(), d.acknowledgeStep(), d.degraded(), List.copyOf(all));
        }
    }

    static String field(PhaseName p) {
        return switch (p) {
            case CompatibleSchema -> "compatibleSchema";
            case CodeDeploy -> "application";
            case Backfill -> "backfill";
            case Cleanup -> "cleanup";
        };
    }
}
