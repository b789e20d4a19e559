package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** Observed state: where the migration is, what it waits for, and why. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SchemaMigrationStatus {
    public Long observedGeneration;
    public MigrationPhase phase;
    public MigrationState state;
    public Reason reason;
    public String message;
    /** The next deadline: end of a wait, opening of a window, next retry. */
    public String waitUntil;
    public List<Condition> conditions = new ArrayList<>();
    @io.fabric8.generator.annotation.Size(max = CelRules.MAX_PHASES)
    public List<PhaseStatus> phases = new ArrayList<>();
    public RollbackStatus rollback;
    public BackfillStatus backfill;
    public HealthStatus health;
    /** The database this migration first ran on; every later step checks that the Secret still points there. */
    public DatabaseIdentity database;
    /** The SQL safety lint's last result (docs/lint.md). */
    public LintStatus lint;
}
