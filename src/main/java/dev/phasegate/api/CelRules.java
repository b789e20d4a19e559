package dev.phasegate.api;

/**
 * CEL expressions of the CRD's {@code x-kubernetes-validations} rules that several API types share, so the API
 * server refuses what the operator would only report later as InvalidSpec.
 */
final class CelRules {
    /** Not empty and not only whitespace. */
    static final String NOT_BLANK = "self.trim() != ''";

    /**
     * A Kubernetes object name (DNS-1123 subdomain), the same rule the operator applies; the field also carries
     * {@code @Size(max = K8S_NAME_MAX)}, which bounds the rule's cost for the API server's estimate.
     */
    static final String K8S_NAME = "self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')";

    static final int K8S_NAME_MAX = 253;

    /**
     * The most list items a rule runs over: the API server refuses a CRD whose rules it cannot bound, and an
     * unbounded list multiplies a rule's cost by millions in its estimate.
     */
    static final int MAX_ITEMS = 32;

    /** The longest phase script the API server accepts: bounds the cost of comparing old and new SQL. */
    static final int SQL_MAX = 1_048_576;

    /** A status holds one entry per phase; the bound keeps rules over it cheap in the API server's estimate. */
    static final int MAX_PHASES = 8;

    /**
     * Once CompatibleSchema has started (status.phases[].startedAt), statements of it may be applied and journaled; a
     * changed script would only be refused later by the operator (SpecChangedAfterStart), so the API server refuses
     * it at kubectl apply instead. The status is written before the first statement runs, so no edit can slip in
     * between the operator's decision and the database. The one exception is a phase held for a fix
     * (awaitingSpecFix: it failed in a way only an edit can fix), where the edit is the retry the operator asks for.
     */
    static final String EXPAND_SQL_KEPT = "!has(oldSelf.status) || !has(oldSelf.status.phases)"
            + " || !oldSelf.status.phases.exists(p, p.name == 'CompatibleSchema' && has(p.startedAt)"
            + " && !has(p.awaitingSpecFix)) || (has(self.spec.compatibleSchema) && has(oldSelf.spec.compatibleSchema)"
            + " && self.spec.compatibleSchema.sql == oldSelf.spec.compatibleSchema.sql)";

    /** The same for Cleanup. */
    static final String CLEANUP_SQL_KEPT = "!has(oldSelf.status) || !has(oldSelf.status.phases)"
            + " || !oldSelf.status.phases.exists(p, p.name == 'Cleanup' && has(p.startedAt)"
            + " && !has(p.awaitingSpecFix))"
            + " || (has(self.spec.cleanup) && has(oldSelf.spec.cleanup) && self.spec.cleanup.sql == oldSelf.spec.cleanup.sql)";

    static final String SQL_KEPT_MESSAGE = " has started on the database (status.phases[].startedAt), so its sql"
            + " cannot change any more: statements already applied would not run again. Restore the original sql;"
            + " set spec.abort to roll back; or put further changes in a new SchemaMigration";

    /**
     * An approval requirement, once set, stays: without this the author could drop Cleanup from the list and skip
     * the second person. Adding phases is fine.
     */
    static final String APPROVALS_KEPT = "!has(oldSelf.spec.approvalRequired) || (has(self.spec.approvalRequired)"
            + " && oldSelf.spec.approvalRequired.all(x, x in self.spec.approvalRequired))";

    static final String APPROVALS_KEPT_MESSAGE = "a phase cannot be removed from approvalRequired once set: only a"
            + " second person's approval lets it start";

    static final String K8S_NAME_MESSAGE = "must be a Kubernetes object name: lowercase letters, digits, '-' and"
            + " '.', starting and ending with a letter or digit";

    /**
     * More than zero, for a value the duration pattern already accepted: such a value is zero exactly when all its
     * digits are 0. (A fraction below a nanosecond, e.g. 0.0000001ms, passes here and is refused by the operator.)
     */
    static final String POSITIVE_DURATION = "self.matches('[1-9]')";

    static final String POSITIVE_DURATION_MESSAGE = "must be more than 0, e.g. 500ms, 30s or 10m";

    /**
     * A duration CEL's duration() parses without overflow: no days and at most six digits before each unit. Longer
     * ones are compared by the operator.
     */
    static final String CEL_DURATION = "'^(0|([0-9]{1,6}([.][0-9]{1,9})?(h|m|s|ms))+)$'";

    private CelRules() {
    }
}
