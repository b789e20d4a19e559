package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** Desired migration: the SQL and rollout of each phase, and the rules that gate them. */
@ValidationRule(value = "has(self.compatibleSchema) || has(self.application) || has(self.backfill) || has(self.cleanup)",
        message = "nothing to do: set at least one of spec.compatibleSchema, spec.application, spec.backfill,"
                + " spec.cleanup")
@ValidationRule(value = "!has(self.backfill) || !has(self.backfill.sync) || self.backfill.sync != 'Trigger'"
        + " || has(self.compatibleSchema)",
        fieldPath = ".backfill.sync",
        message = "Trigger is created at the end of spec.compatibleSchema, which is not set: add"
                + " spec.compatibleSchema or remove sync")
public class SchemaMigrationSpec {
    @Required
    public DatabaseSpec database;

    @JsonPropertyDescription("The Deployment to roll out in CodeDeploy; omit to skip that phase.")
    public ApplicationSpec application;

    @JsonPropertyDescription("Expand: additive, backwards-compatible changes.")
    public SqlPhaseSpec compatibleSchema;

    @JsonPropertyDescription("Batched data migration; omit to skip.")
    public BackfillSpec backfill;

    @JsonPropertyDescription("Contract: runs only once no old code runs. One-way unless rollbackSql is given.")
    public SqlPhaseSpec cleanup;

    public WaitsSpec waits = new WaitsSpec();

    @Size(max = CelRules.MAX_ITEMS)
    @JsonPropertyDescription("Phases start only inside one of these windows; none means any time.")
    public List<WindowSpec> windows = new ArrayList<>();

    public HealthSpec health = new HealthSpec();

    public LocksSpec locks = new LocksSpec();

    @JsonPropertyDescription("SQL safety lint overrides (docs/lint.md); the lint always runs.")
    public LintSpec lint = new LintSpec();

    @Size(max = 4)
    @ValidationRule(value = "self.all(x, self.exists_one(y, y == x))", message = "names a phase twice")
    @JsonPropertyDescription("Phases that start only after a person other than the author approved them (annotation"
            + " approval.phasegate.dev/<Phase>: generation=N,by=USER). Cleanup is one-way: approving it is the usual"
            + " choice.")
    public List<PhaseName> approvalRequired = new ArrayList<>();

    @JsonPropertyDescription("Only lint and plan every phase against the database (status.lint), run nothing, and end"
            + " in phase Planned. Turning it off before anything ran starts the migration; later it has no effect.")
    public boolean dryRun;

    @JsonPropertyDescription("Stop at the next safe point (between statements or batches).")
    public boolean paused;

    @JsonPropertyDescription("Cancel, then run the rollbackSql of the phases that ran, newest first.")
    public boolean abort;
}
