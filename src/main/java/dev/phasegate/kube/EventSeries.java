package dev.phasegate.kube;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Events one migration has published, so that a repeat becomes a higher count on the existing Event (as kubectl
 * describe shows it: "(x37 over 3m)") instead of a new object. A migration held behind another's multi-day backfill
 * would otherwise add an Event pair every few seconds, tens of thousands a day. Repeats are the same type and reason
 * with the same text apart from its numbers (attempt counts, ages, timestamps); the Event shows the latest text.
 * Each series writes at most once per {@link #MIN_WRITE_INTERVAL}; what arrives in between is counted and goes out
 * with the next write. New series are rate-limited by a token bucket, so no loop can flood the namespace.
 */
public final class EventSeries {
    static final Duration MIN_WRITE_INTERVAL = Duration.ofSeconds(30);
    static final int BURST = 30;
    static final Duration REFILL = Duration.ofMinutes(1);
    /** Series kept per migration; the oldest is forgotten first (its Event stays, a repeat starts a new one). */
    private static final int MAX_SERIES = 64;

    /** What to send now: create a new Event, update an existing one, or nothing yet. */
    sealed interface Write {
        /** A new Event named name with count 1 (or the count held back while it was rate-limited). */
        record Create(String name, int count) implements Write {
        }

        /** The existing Event name now has count occurrences, the latest at this instant with this text. */
        record Update(String name, int count) implements Write {
        }

        /** Counted; written with the series' next write. */
        record Hold() implements Write {
        }

        /** Dropped: too many new series in a short time. */
        record Drop() implements Write {
        }
    }

    private record Key(String type, String reason, String shape) {
    }

    private static final class Series {
        final String name;
        int count;
        int written;
        Instant lastWrite;

        Series(String name) {
            this.name = name;
        }
    }

    private final String objectName;
    private final Map<Key, Series> series = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Series> eldest) {
            return size() > MAX_SERIES;
        }
    };
    private double tokens = BURST;
    private Instant refilledAt;
    private int sequence;

    public EventSeries(String objectName) {
        this.objectName = objectName;
    }

    /** Records one occurrence and says what to send for it. */
    synchronized Write occurred(String type, String reason, String message, Instant now) {
        Key key = new Key(type, reason, shape(message));
        Series s = series.get(key);
        if (s == null) {
            if (!take(now)) {
                return new Write.Drop();
            }
            s = new Series(objectName + "." + Long.toString(now.toEpochMilli(), 36) + "." + (sequence++));
            series.put(key, s);
            s.count = 1;
            s.written = 1;
            s.lastWrite = now;
            return new Write.Create(s.name, 1);
        }
        s.count++;
        if (Duration.between(s.lastWrite, now).compareTo(MIN_WRITE_INTERVAL) < 0) {
            return new Write.Hold();
        }
        s.lastWrite = now;
        s.written = s.count;
        return new Write.Update(s.name, s.count);
    }

    private boolean take(Instant now) {
        if (refilledAt == null) {
            refilledAt = now;
        }
        long periods = Duration.between(refilledAt, now).toMillis() / REFILL.toMillis();
        if (periods > 0) {
            tokens = Math.min(BURST, tokens + periods);
            refilledAt = refilledAt.plus(REFILL.multipliedBy(periods));
        }
        if (tokens < 1) {
            return false;
        }
        tokens--;
        return true;
    }

    /** The text without its numbers: "attempt 3 ended at 10:02:11" and "attempt 4 ended at 10:02:16" are one. */
    static String shape(String message) {
        return message == null ? "" : message.replaceAll("[0-9]+", "#");
    }
}
