package dev.phasegate.kube;

import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.net.HttpURLConnection;
import java.util.Objects;

/**
 * Writes a migration's status with optimistic locking on the resourceVersion it was decided from. The informer cache
 * can hand a reconcile an object older than the status the previous reconcile wrote; a decision made from such a
 * stale read must never land (it would undo recorded progress) nor act (it would start a step twice). The write is a
 * PUT of the status subresource carrying the read resourceVersion, so the API server refuses it with 409 when anything
 * changed since; the written object then goes into the SDK's overlay cache, so the next reconcile reads it even
 * before the watch delivers it.
 */
final class StatusWriter {

    /** What became of a write. */
    enum Outcome {
        /** The status is stored (or was already exactly this and nothing needed fencing). */
        WRITTEN,
        /** The object changed since it was read: the decision is stale and must be dropped. */
        STALE,
        /** The object no longer exists. */
        GONE
    }

    private final KubernetesClient client;

    StatusWriter(KubernetesClient client) {
        this.client = client;
    }

    /**
     * Stores status on the object as read. When the status is unchanged and fence is false, nothing is sent; with
     * fence (the caller is about to act on the decision) the write goes out even if unchanged, since only the
     * server can say whether the read was current.
     */
    Outcome write(SchemaMigration read, SchemaMigrationStatus status, boolean fence, Context<SchemaMigration> context) {
        if (!fence && sameStatus(read.getStatus(), status)) {
            return Outcome.WRITTEN;
        }
        SchemaMigration desired = Serialization.clone(read);
        desired.setStatus(status);
        try {
            SchemaMigration stored = client.resource(desired).updateStatus();
            if (context != null) {
                context.eventSourceRetriever().getControllerEventSource()
                        .handleRecentResourceUpdate(ResourceID.fromResource(read), stored, read);
            }
            return Outcome.WRITTEN;
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                return Outcome.STALE;
            }
            if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                return Outcome.GONE;
            }
            throw e;
        }
    }

    static boolean sameStatus(SchemaMigrationStatus a, SchemaMigrationStatus b) {
        return Objects.equals(Serialization.asJson(a), Serialization.asJson(b));
    }
}
