package dev.phasegate.kube;

import dev.phasegate.api.SchemaMigration;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Objects;

/**
 * Reconcile on a spec change (generation), on the abort, author or approval annotations, on deletion, or when the
 * finalizers changed, not on our own status writes. JOSDK's generation-aware filter alone would drop the annotations,
 * so an abort or an approval would wait for the next scheduled check; and the SDK adds its finalizer in a reconcile
 * of its own, whose result (the object with the finalizer) must be reconciled again for the migration to start.
 */
public class SpecOrRequestChanged implements OnUpdateFilter<SchemaMigration> {
    @Override
    public boolean accept(SchemaMigration now, SchemaMigration before) {
        return !Objects.equals(now.getMetadata().getGeneration(), before.getMetadata().getGeneration())
                || !ApprovalAnnotations.relevant(now).equals(ApprovalAnnotations.relevant(before))
                || now.getMetadata().getDeletionTimestamp() != null
                || !Objects.equals(now.getMetadata().getFinalizers(), before.getMetadata().getFinalizers());
    }
}
