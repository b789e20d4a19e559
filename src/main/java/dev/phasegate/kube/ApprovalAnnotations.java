package dev.phasegate.kube;

import dev.phasegate.api.PhaseName;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.engine.Approvals;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Reads the author and the per-phase approval annotations of a SchemaMigration into the engine's plain values. */
final class ApprovalAnnotations {
    private ApprovalAnnotations() {
    }

    static Approvals read(SchemaMigration m) {
        Map<String, String> a = annotations(m);
        Map<PhaseName, String> written = new EnumMap<>(PhaseName.class);
        for (PhaseName p : PhaseName.values()) {
            String v = a.get(SchemaMigration.APPROVAL_ANNOTATION_PREFIX + p);
            if (v != null) {
                written.put(p, v);
            }
        }
        Long generation = m.getMetadata().getGeneration();
        String author = a.get(SchemaMigration.AUTHOR_ANNOTATION);
        return new Approvals(m.getMetadata().getNamespace(), m.getMetadata().getName(),
                generation == null ? 0 : generation,
                Optional.ofNullable(author).filter(x -> !x.isBlank()), written);
    }

    /** The annotations a reconcile must react to: abort, author and approvals; other edits of metadata are not ours. */
    static Map<String, String> relevant(SchemaMigration m) {
        Map<String, String> relevant = new TreeMap<>();
        annotations(m).forEach((k, v) -> {
            if (k.equals(SchemaMigration.ABORT_ANNOTATION) || k.equals(SchemaMigration.AUTHOR_ANNOTATION)
                    || k.startsWith(SchemaMigration.APPROVAL_ANNOTATION_PREFIX)) {
                relevant.put(k, v);
            }
        });
        return relevant;
    }

    private static Map<String, String> annotations(SchemaMigration m) {
        Map<String, String> a = m.getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }
}
