package dev.phasegate.engine;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Instants as status stores them: RFC 3339 strings in UTC, second precision. */
public final class Times {
    private Times() {
    }

    public static String format(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    public static Instant parse(String s) {
        return s == null || s.isBlank() ? null : Instant.parse(s);
    }

    /** Rounds up, so a deadline stored at second precision is never earlier than the one computed. */
    public static Instant ceilSeconds(Instant t) {
        Instant floor = t.truncatedTo(ChronoUnit.SECONDS);
        return floor.equals(t) ? t : floor.plusSeconds(1);
    }
}
