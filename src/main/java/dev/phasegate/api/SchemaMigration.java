package dev.phasegate.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A PostgreSQL schema change taken through expand, code deploy, backfill and contract phases. */
@Group(SchemaMigration.GROUP)
@Version(SchemaMigration.VERSION)
@ShortNames("smig")
@ValidationRule(value = CelRules.EXPAND_SQL_KEPT, fieldPath = ".spec.compatibleSchema.sql", reason = "FieldValueForbidden",
        message = "CompatibleSchema" + CelRules.SQL_KEPT_MESSAGE)
@ValidationRule(value = CelRules.CLEANUP_SQL_KEPT, fieldPath = ".spec.cleanup.sql", reason = "FieldValueForbidden",
        message = "Cleanup" + CelRules.SQL_KEPT_MESSAGE)
@ValidationRule(value = CelRules.APPROVALS_KEPT, fieldPath = ".spec.approvalRequired", reason = "FieldValueForbidden",
        message = CelRules.APPROVALS_KEPT_MESSAGE)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "State", jsonPath = ".status.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.reason", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Next", jsonPath = ".status.waitUntil", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class SchemaMigration extends CustomResource<SchemaMigrationSpec, SchemaMigrationStatus> implements Namespaced {
    public static final String GROUP = "phasegate.dev";
    public static final String VERSION = "v1alpha1";
    /** Setting this annotation to "true" aborts the migration, like spec.abort, without editing the spec. */
    public static final String ABORT_ANNOTATION = "phasegate.dev/abort";
    /**
     * Who created the migration: recorded from the creating request by the four-eyes admission policy, never changed
     * after, and never allowed to approve a phase of it.
     */
    public static final String AUTHOR_ANNOTATION = "phasegate.dev/author";
    /**
     * Prefix of the approval annotations, one per phase ("approval.phasegate.dev/Cleanup"), each valued
     * "generation=N,by=USER". Annotations, not spec fields: approving must not change the generation it approves,
     * and an admission policy can compare each one with the requesting user.
     */
    public static final String APPROVAL_ANNOTATION_PREFIX = "approval.phasegate.dev/";

    /**
     * No status until the operator writes one. An empty status object here would exist only in the operator's copy,
     * not on the server, and the status patch computed against it ("add /status/phase") would then be refused (422)
     * because /status does not exist there.
     */
    @Override
    protected SchemaMigrationStatus initStatus() {
        return null;
    }
}
