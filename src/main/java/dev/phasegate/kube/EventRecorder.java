package dev.phasegate.kube;

import dev.phasegate.api.SchemaMigration;
import dev.phasegate.engine.Note;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Publishes engine notes as core/v1 Events on the SchemaMigration, so kubectl describe shows the story; repeats of
 * a note raise the count of its Event (see {@link EventSeries}) instead of adding objects.
 */
public final class EventRecorder {
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    private static final int MAX_MESSAGE = 1000;
    private final KubernetesClient client;
    private final Clock clock;

    public EventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public void record(SchemaMigration m, Note note, EventSeries series) {
        String type = note.warning() ? "Warning" : "Normal";
        String message = note.message() == null ? "" : note.message();
        message = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) : message;
        String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
        String ns = m.getMetadata().getNamespace();
        EventSeries.Write write = series.occurred(type, note.reason().name(), message, clock.instant());
        try {
            if (write instanceof EventSeries.Write.Create c) {
                create(m, c.name(), type, note, message, now, c.count());
            } else if (write instanceof EventSeries.Write.Update u) {
                Map<String, Object> patch = new LinkedHashMap<>();
                patch.put("count", u.count());
                patch.put("lastTimestamp", now);
                patch.put("message", message);
                try {
                    // Through resource(stub): withName(...).patch would GET the Event first, which RBAC does not grant.
                    client.v1().events().inNamespace(ns).resource(new EventBuilder().withNewMetadata()
                            .withName(u.name()).withNamespace(ns).endMetadata().build())
                            .patch(PatchContext.of(PatchType.JSON_MERGE),
                                    client.getKubernetesSerialization().asJson(patch));
                } catch (KubernetesClientException e) {
                    if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                        throw e;
                    }
                    // Expired (Events live an hour by default): the series goes on under the same name.
                    create(m, u.name(), type, note, message, now, u.count());
                }
            } else if (write instanceof EventSeries.Write.Drop) {
                LOG.debugf("event %s for %s/%s dropped: too many distinct events in a short time", note.reason(), ns,
                        m.getMetadata().getName());
            }
        } catch (KubernetesClientException e) {
            // An Event is a courtesy; losing one must not stop the migration.
            LOG.warnf("could not record event %s for %s/%s: HTTP %d", note.reason(), ns, m.getMetadata().getName(),
                    e.getCode());
        }
    }

    private void create(SchemaMigration m, String name, String type, Note note, String message, String now,
            int count) {
        String ns = m.getMetadata().getNamespace();
        client.v1().events().inNamespace(ns).resource(new EventBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(m.getApiVersion())
                        .withKind(m.getKind())
                        .withName(m.getMetadata().getName())
                        .withNamespace(ns)
                        .withUid(m.getMetadata().getUid())
                        .build())
                .withType(type)
                .withReason(note.reason().name())
                .withMessage(message)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(count)
                .withNewSource("phasegate", null)
                .withReportingComponent("phasegate")
                .build()).create();
    }
}
