package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventSeriesTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

    @Test
    void aNoteRepeatedEveryFiveSecondsForAnHourIsOneEventWrittenAtMostTwiceAMinute() {
        EventSeries series = new EventSeries("orders-v2");
        List<EventSeries.Write> writes = new ArrayList<>();
        for (int i = 0; i < 720; i++) {
            writes.add(series.occurred("Warning", "RunnerBusy", "held: attempt " + i + " found the runner lock held"
                    + " (waiting " + (5 * i) + "s)", T0.plusSeconds(5L * i)));
        }
        assertThat(writes).filteredOn(w -> w instanceof EventSeries.Write.Create).hasSize(1);
        List<EventSeries.Write.Update> updates = writes.stream().filter(w -> w instanceof EventSeries.Write.Update)
                .map(w -> (EventSeries.Write.Update) w).toList();
        assertThat(updates).as("one write per 30 s at most").hasSizeBetween(100, 120);
        String name = ((EventSeries.Write.Create) writes.get(0)).name();
        assertThat(updates).allSatisfy(u -> assertThat(u.name()).isEqualTo(name));
        assertThat(updates.get(updates.size() - 1).count()).as("the count includes what was held back")
                .isBetween(714, 720);
    }

    @Test
    void anotherReasonTypeOrWordingIsAnotherEvent() {
        EventSeries series = new EventSeries("m");
        assertThat(series.occurred("Normal", "Succeeded", "phase CompatibleSchema succeeded", T0))
                .isInstanceOf(EventSeries.Write.Create.class);
        assertThat(series.occurred("Normal", "Succeeded", "phase Backfill succeeded", T0))
                .isInstanceOf(EventSeries.Write.Create.class);
        assertThat(series.occurred("Warning", "Succeeded", "phase Backfill succeeded", T0))
                .isInstanceOf(EventSeries.Write.Create.class);
        assertThat(series.occurred("Normal", "Executing", "phase Backfill succeeded", T0))
                .isInstanceOf(EventSeries.Write.Create.class);
        assertThat(series.occurred("Normal", "Executing", "phase Backfill succeeded", T0.plusSeconds(1)))
                .isInstanceOf(EventSeries.Write.Hold.class);
    }

    @Test
    void aFloodOfDistinctEventsIsCutAfterTheBurstAndRefillsOnePerMinute() {
        EventSeries series = new EventSeries("m");
        int created = 0;
        for (int i = 0; i < 100; i++) {
            if (series.occurred("Warning", "SqlError", "table t" + (char) ('a' + i % 26) + (char) ('a' + i / 26)
                    + " missing", T0) instanceof EventSeries.Write.Create) {
                created++;
            }
        }
        assertThat(created).isEqualTo(EventSeries.BURST);
        assertThat(series.occurred("Warning", "SqlError", "another one", T0.plusSeconds(30)))
                .isInstanceOf(EventSeries.Write.Drop.class);
        assertThat(series.occurred("Warning", "SqlError", "after a minute", T0.plus(EventSeries.REFILL)))
                .isInstanceOf(EventSeries.Write.Create.class);
    }

    @Test
    void numbersDoNotSplitASeriesButWordsDo() {
        assertThat(EventSeries.shape("attempt 3 at 10:02:11")).isEqualTo(EventSeries.shape("attempt 14 at 09:59:01"));
        assertThat(EventSeries.shape("table a missing")).isNotEqualTo(EventSeries.shape("table b missing"));
        assertThat(Duration.ofSeconds(30)).isEqualTo(EventSeries.MIN_WRITE_INTERVAL);
    }
}
