package dev.phasegate.kube;

import dev.phasegate.api.SchemaMigration;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Map;
import java.util.Objects;

/**
 * Reconcile on a spec change (generation) or on the abort annotation, not on our own status writes. JOSDK's
 * generation-aware filter alone would drop the annotation, so an abort would wait for the next scheduled check.
 */
public class SpecOrAbortChanged implements OnUpdateFilter<SchemaMigration> {
    @Override
    public boolean accept(SchemaMigration now, SchemaMigration before) {
        return !Objects.equals(now.getMetadata().getGeneration(), before.getMetadata().getGeneration())
                || !Objects.equals(abort(now), abort(before))
                || now.getMetadata().getDeletionTimestamp() != null;
    }

    private static String abort(SchemaMigration m) {
        Map<String, String> a = m.getMetadata().getAnnotations();
        return a == null ? null : a.get(SchemaMigration.ABORT_ANNOTATION);
    }
}
