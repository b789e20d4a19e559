package dev.phasegate.engine;

import dev.phasegate.api.BackfillStatus;
import dev.phasegate.api.Condition;
import dev.phasegate.api.HealthStatus;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.PhaseState;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigrationStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds the status written once per reconcile from the last status and the engine's decision. Conditions keep
 * their lastTransitionTime unless their status really flips, so watchers see stable timestamps.
 */
public final class StatusBuilder {
    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String BLOCKED = "Blocked";
    public static final String DEGRADED = "Degraded";
    /**
     * True while the database schema accepts the new code: the expand (CompatibleSchema) is done or had nothing to
     * do, and no abort or rollback is taking it away. GitOps tools gate the application's rollout on it (the Argo CD
     * health check in deploy/argocd, or {@code kubectl wait --for=condition=SchemaCompatible}).
     */
    public static final String SCHEMA_COMPATIBLE = "SchemaCompatible";
    /**
     * True while the migration cannot go on without a person: a phase awaits approval, it is paused, or something
     * is wrong that the operator cannot fix alone (the Degraded cases). {@code kubectl wait
     * --for=condition=ActionRequired} is how a script or a pager waits for "needs a person".
     */
    public static final String ACTION_REQUIRED = "ActionRequired";

    private StatusBuilder() {
    }

    public static SchemaMigrationStatus build(SchemaMigrationStatus old, Decision d, long generation, Instant now,
            BackfillStatus backfill, HealthStatus health) {
        SchemaMigrationStatus s = new SchemaMigrationStatus();
        s.observedGeneration = generation;
        s.phase = d.phase();
        s.state = d.state();
        s.reason = d.reason();
        s.message = d.message();
        s.waitUntil = d.waitUntil().map(Times::format).orElse(null);
        s.phases = new ArrayList<>(d.phases());
        s.rollback = d.rollback();
        s.backfill = backfill != null ? backfill : old == null ? null : old.backfill;
        s.health = health != null ? health : old == null ? null : old.health;
        List<Condition> previous = old == null || old.conditions == null ? List.of() : old.conditions;
        String reason = d.reason() == null ? null : d.reason().name();
        boolean terminal = d.phase().isTerminal();
        s.conditions = List.of(
                condition(previous, READY, d.phase() == MigrationPhase.Succeeded, reason, d.message(), generation, now),
                condition(previous, PROGRESSING, !terminal
                        && (d.state() == MigrationState.Running || d.state() == MigrationState.Waiting),
                        reason, d.message(), generation, now),
                condition(previous, BLOCKED, !terminal
                        && d.state().held(),
                        reason, d.message(), generation, now),
                condition(previous, DEGRADED, d.degraded(), reason, d.message(), generation, now),
                condition(previous, SCHEMA_COMPATIBLE, schemaCompatible(d), reason, d.message(), generation, now),
                condition(previous, ACTION_REQUIRED, actionRequired(d), reason, d.message(), generation, now));
        return s;
    }

    static boolean actionRequired(Decision d) {
        if (d.phase() == MigrationPhase.Succeeded) {
            return false;
        }
        return d.degraded() || d.state() == MigrationState.Paused || d.state() == MigrationState.AwaitingApproval;
    }

    static boolean schemaCompatible(Decision d) {
        if (d.phase() == MigrationPhase.RollingBack || d.phase() == MigrationPhase.RolledBack
                || d.reason() == Reason.Aborting) {
            return false;
        }
        return d.phases().stream()
                .filter(p -> p != null && p.name == PhaseName.CompatibleSchema)
                .map(p -> p.state)
                .anyMatch(state -> state == PhaseState.Succeeded || state == PhaseState.Skipped);
    }

    private static Condition condition(List<Condition> previous, String type, boolean value, String reason,
            String message, long generation, Instant now) {
        String status = value ? "True" : "False";
        String since = previous.stream()
                .filter(c -> type.equals(c.type) && status.equals(c.status))
                .map(c -> c.lastTransitionTime)
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(Times.format(now));
        return new Condition(type, status, reason == null ? "Unknown" : reason, message == null ? "" : message,
                since, generation);
    }
}
