package dev.phasegate.engine;

import dev.phasegate.api.PhaseName;

/** Work the engine asks the reconciler to start; the engine never performs it. */
public sealed interface Step {

    /** Run a phase's sql (or its rollbackSql) through the safe executor. */
    record RunSql(PhaseName phase, boolean rollback, String sql) implements Step {
    }

    /** Run the backfill through the batched backfiller. */
    record RunBackfill() implements Step {
    }

    /** Count the rows whose targets disagree with spec.backfill.set (read-only), before Cleanup may start. */
    record VerifyBackfill() implements Step {
    }

    /** Set a container's image on the Deployment (Patch mode, or restoring it on rollback). */
    record PatchImage(String deployment, String container, String image) implements Step {
    }

    /** Before anything runs (and all a dry run does): lint and plan every phase against the live catalog, read-only. */
    record Plan() implements Step {
    }

    /** Cancel the running step at once (abort). */
    record Cancel() implements Step {
    }
}
