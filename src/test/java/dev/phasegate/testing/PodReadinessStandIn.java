package dev.phasegate.testing;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Plays the kubelet where a rollout needs one: marks the pods of a namespace Running and Ready, with container
 * statuses naming their spec's images, so the real ReplicaSet and Deployment controllers compute availability and
 * rollouts (progress deadline included: a pod left unready keeps the rollout from progressing).
 */
public final class PodReadinessStandIn implements AutoCloseable {
    private final KubernetesClient client;
    private final String namespace;
    private final Predicate<Pod> becomesReady;
    private final SharedIndexInformer<Pod> informer;
    private final AtomicInteger marked = new AtomicInteger();

    private PodReadinessStandIn(KubernetesClient client, String namespace, Predicate<Pod> becomesReady) {
        this.client = client;
        this.namespace = namespace;
        this.becomesReady = becomesReady;
        this.informer = client.pods().inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                handle(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
                handle(newPod);
            }

            @Override
            public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
                // Nothing to mark.
            }
        }, 0);
    }

    /** Marks every pod of namespace ready, now and as they come. */
    public static PodReadinessStandIn start(KubernetesClient client, String namespace) {
        return start(client, namespace, pod -> true);
    }

    /** Marks ready only the pods becomesReady accepts; the others stay Pending, as with an unpullable image. */
    public static PodReadinessStandIn start(KubernetesClient client, String namespace, Predicate<Pod> becomesReady) {
        return new PodReadinessStandIn(client, namespace, becomesReady);
    }

    /** How many pod status writes the stand-in made. */
    public int marked() {
        return marked.get();
    }

    /** Accepts pods none of whose containers runs one of the images. */
    public static Predicate<Pod> exceptImages(String... images) {
        List<String> held = List.of(images);
        return pod -> pod.getSpec().getContainers().stream().map(Container::getImage).noneMatch(held::contains);
    }

    private void handle(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null || !needsMarking(pod) || !becomesReady.test(pod)) {
            return;
        }
        Pod updated = new io.fabric8.kubernetes.api.model.PodBuilder(pod).withStatus(readyStatus(pod)).build();
        try {
            client.pods().inNamespace(namespace).resource(updated).updateStatus();
            marked.incrementAndGet();
        } catch (KubernetesClientException e) {
            // 409: the pod changed meanwhile and the informer delivers the newer version, which is handled again.
            // 404: it is gone. Anything else is a real failure of the test environment.
            if (e.getCode() != 409 && e.getCode() != 404) {
                throw e;
            }
        }
    }

    private static boolean needsMarking(Pod pod) {
        PodStatus s = pod.getStatus();
        if (s == null || !"Running".equals(s.getPhase()) || s.getConditions() == null
                || s.getConditions().stream().noneMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))) {
            return true;
        }
        List<String> specImages = pod.getSpec().getContainers().stream().map(Container::getImage).toList();
        List<String> statusImages = s.getContainerStatuses() == null ? List.of()
                : s.getContainerStatuses().stream().map(ContainerStatus::getImage).toList();
        return !Objects.equals(specImages, statusImages);
    }

    private static PodStatus readyStatus(Pod pod) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        PodStatus status = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        status.setPhase("Running");
        if (status.getStartTime() == null) {
            status.setStartTime(now);
        }
        status.setConditions(List.of(condition("PodScheduled", now), condition("Initialized", now),
                condition("ContainersReady", now), condition("Ready", now)));
        status.setContainerStatuses(pod.getSpec().getContainers().stream().map(c -> new ContainerStatusBuilder()
                .withName(c.getName()).withImage(c.getImage()).withImageID(c.getImage())
                .withContainerID("phasegate-standin://" + pod.getMetadata().getUid() + "/" + c.getName())
                .withReady(true).withStarted(true).withRestartCount(0)
                .withNewState().withNewRunning().withStartedAt(now).endRunning().endState()
                .build()).toList());
        return status;
    }

    private static PodCondition condition(String type, String now) {
        return new PodConditionBuilder().withType(type).withStatus("True").withLastTransitionTime(now).build();
    }

    @Override
    public void close() {
        informer.close();
    }
}
