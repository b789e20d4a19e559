package dev.phasegate.kube;

import dev.phasegate.api.SchemaMigration;
import dev.phasegate.engine.Note;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.UUID;
import org.jboss.logging.Logger;

/** Publishes engine notes as core/v1 Events on the SchemaMigration, so kubectl describe shows the story. */
public final class EventRecorder {
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    private final KubernetesClient client;
    private final Clock clock;

    public EventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public void record(SchemaMigration m, Note note) {
        String now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        String ns = m.getMetadata().getNamespace();
        String message = note.message() == null ? "" : note.message();
        try {
            client.v1().events().inNamespace(ns).resource(new EventBuilder()
                    .withNewMetadata()
                    .withName(m.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 13))
                    .withNamespace(ns)
                    .endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(m.getApiVersion())
                            .withKind(m.getKind())
                            .withName(m.getMetadata().getName())
                            .withNamespace(ns)
                            .withUid(m.getMetadata().getUid())
                            .build())
                    .withType(note.warning() ? "Warning" : "Normal")
                    .withReason(note.reason().name())
                    .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withCount(1)
                    .withNewSource("phasegate", null)
                    .withReportingComponent("phasegate")
                    .build()).create();
        } catch (KubernetesClientException e) {
            // An Event is a courtesy; losing one must not stop the migration.
            LOG.warnf("could not record event %s for %s/%s: HTTP %d", note.reason(), ns, m.getMetadata().getName(),
                    e.getCode());
        }
    }
}
