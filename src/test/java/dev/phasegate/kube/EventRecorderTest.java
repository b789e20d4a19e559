package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.engine.Note;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import dev.phasegate.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Against the Fabric8 mock API server in CRUD mode: what reaches the API for a repeated note. */
@EnableKubernetesMockClient(crud = true)
class EventRecorderTest {
    KubernetesClient client;

    @Test
    void repeatsRaiseTheCountOfOneEventWithTheLatestText() {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
        EventRecorder recorder = new EventRecorder(client, clock);
        SchemaMigration m = new SchemaMigration();
        m.setMetadata(new ObjectMetaBuilder().withName("orders-v2").withNamespace("shop").withUid("u1").build());
        EventSeries series = new EventSeries("orders-v2");
        for (int i = 1; i <= 40; i++) {
            recorder.record(m, Note.warning(Reason.RunnerBusy, "attempt " + i + " ended: lock_timeout"), series);
            clock.advance(Duration.ofSeconds(5));
        }
        recorder.record(m, Note.info(Reason.Succeeded, "phase CompatibleSchema succeeded"), series);

        List<Event> events = client.v1().events().inNamespace("shop").list().getItems();
        assertThat(events).hasSize(2);
        Event repeated = events.stream().filter(e -> "RunnerBusy".equals(e.getReason())).findFirst().orElseThrow();
        assertThat(repeated.getCount()).as("written every 30 s: the count as of the last write").isBetween(37, 40);
        assertThat(repeated.getMessage()).startsWith("attempt 3").endsWith("ended: lock_timeout");
        assertThat(repeated.getFirstTimestamp()).isEqualTo("2026-12-02T10:00:00Z");
        assertThat(repeated.getLastTimestamp()).isNotEqualTo(repeated.getFirstTimestamp());
        assertThat(repeated.getInvolvedObject().getUid()).isEqualTo("u1");
    }

    @Test
    void anEventThatExpiredIsCreatedAgainWithItsCount() {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-02T10:00:00Z"));
        EventRecorder recorder = new EventRecorder(client, clock);
        SchemaMigration m = new SchemaMigration();
        m.setMetadata(new ObjectMetaBuilder().withName("m").withNamespace("shop").withUid("u2").build());
        EventSeries series = new EventSeries("m");
        recorder.record(m, Note.warning(Reason.RunnerBusy, "attempt 1 ended"), series);
        client.v1().events().inNamespace("shop").delete();
        clock.advance(Duration.ofHours(1));
        recorder.record(m, Note.warning(Reason.RunnerBusy, "attempt 2 ended"), series);
        List<Event> events = client.v1().events().inNamespace("shop").list().getItems();
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.getCount()).isEqualTo(2);
            assertThat(e.getMessage()).isEqualTo("attempt 2 ended");
        });
    }
}
