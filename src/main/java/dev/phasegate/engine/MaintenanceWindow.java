package dev.phasegate.engine;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** A weekly maintenance window: on each of {@code days} (empty = every day) from {@code start} to {@code end} local time in {@code zone}. */
public record MaintenanceWindow(Set<DayOfWeek> days, LocalTime start, LocalTime end, ZoneId zone) {

    private static final Pattern HH_MM = Pattern.compile("([01][0-9]|2[0-3]):[0-5][0-9]");
    private static final String DAYS_ACCEPTED = "use Mon, Tue, Wed, Thu, Fri, Sat, Sun or full names such as Monday";

    /**
     * Creates a window; an occurrence belongs to the day it starts on.
     *
     * <ul>
     *   <li>If {@code end} is after {@code start} the window closes the same day; if {@code end} is before
     *       {@code start} it closes the next day ({@code Sat 22:00-02:00} runs from Saturday 22:00 to Sunday
     *       02:00); if they are equal it lasts a whole day. An end of {@link LocalTime#MIDNIGHT} therefore
     *       means the end of the start day.</li>
     *   <li>Times are wall-clock times in {@code zone}. A time skipped by a spring-forward gap resolves to the
     *       instant of the transition, i.e. the first instant the clock shows a later time: a window starting
     *       at 02:30 in Europe/Berlin on 2026-03-29 opens at 03:00 CEST. This is deliberately not
     *       {@code ZonedDateTime.of}'s shift-by-gap-length (03:30), which would shorten the window.</li>
     *   <li>A time repeated by a fall-back overlap resolves to the earlier offset for {@code start} and the
     *       later offset for {@code end}, so an occurrence is never shorter than its wall-clock span and
     *       covers both passes through the repeated hour.</li>
     *   <li>An occurrence whose start and end both fall in the same gap does not happen that day.</li>
     * </ul>
     */
    public MaintenanceWindow {
        Objects.requireNonNull(days, "days");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        Objects.requireNonNull(zone, "zone");
        days = days.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(days));
    }

    /**
     * Builds a window from the strings of a resource spec.
     *
     * @param days     day names such as {@code Mon} or {@code monday}, case-insensitive; null or empty means every day
     * @param start    {@code HH:mm} from 00:00 to 23:59
     * @param end      {@code HH:mm} from 00:00 to 24:00, where 24:00 is the end of the start day
     * @param timeZone a time zone ID such as {@code Europe/Berlin} or {@code UTC}
     * @throws IllegalArgumentException naming the field, the rejected value and what is accepted
     */
    public static MaintenanceWindow of(List<String> days, String start, String end, String timeZone) {
        return new MaintenanceWindow(parseDays(days), parseTime("start", start, false), parseTime("end", end, true),
                parseZone(timeZone));
    }

    /** Renders the window for status messages, e.g. {@code Sat,Sun 01:00-05:00 Europe/Berlin}. */
    public String describe() {
        String dayText = days.isEmpty() || days.size() == DayOfWeek.values().length
                ? "daily"
                : days.stream().map(MaintenanceWindow::shortName).collect(Collectors.joining(","));
        // 00:00 as an end always means "end of day", and 24:00 says so without the reader knowing the rule.
        String endText = end.equals(LocalTime.MIDNIGHT) ? "24:00" : end.toString();
        return dayText + " " + start + "-" + endText + " " + zone.getId();
    }

    /** The occurrence starting on local {@code date}, empty if the window does not run that day. */
    Optional<Occurrence> occurrenceStartingOn(LocalDate date) {
        if (!days.isEmpty() && !days.contains(date.getDayOfWeek())) {
            return Optional.empty();
        }
        Instant open = resolve(date.atTime(start), true);
        LocalDate endDate = end.isAfter(start) ? date : date.plusDays(1);
        Instant close = resolve(endDate.atTime(end), false);
        return close.isAfter(open) ? Optional.of(new Occurrence(open, close)) : Optional.empty();
    }

    private Instant resolve(LocalDateTime local, boolean isStart) {
        ZoneOffsetTransition transition = zone.getRules().getTransition(local);
        if (transition != null && transition.isGap()) {
            return transition.getInstant();
        }
        return isStart
                ? local.atZone(zone).withEarlierOffsetAtOverlap().toInstant()
                : local.atZone(zone).withLaterOffsetAtOverlap().toInstant();
    }

    private static Set<DayOfWeek> parseDays(List<String> names) {
        if (names == null || names.isEmpty()) {
            return Set.of();
        }
        EnumSet<DayOfWeek> result = EnumSet.noneOf(DayOfWeek.class);
        for (String name : names) {
            result.add(parseDay(name));
        }
        return result;
    }

    private static DayOfWeek parseDay(String name) {
        if (name != null) {
            String lower = name.toLowerCase(Locale.ROOT);
            for (DayOfWeek day : DayOfWeek.values()) {
                String full = day.name().toLowerCase(Locale.ROOT);
                if (lower.equals(full) || lower.equals(full.substring(0, 3))) {
                    return day;
                }
            }
        }
        throw new IllegalArgumentException("invalid day " + quote(name) + " in days: " + DAYS_ACCEPTED);
    }

    private static LocalTime parseTime(String field, String text, boolean isEnd) {
        if (isEnd && "24:00".equals(text)) {
            return LocalTime.MIDNIGHT;
        }
        if (text == null || !HH_MM.matcher(text).matches()) {
            String accepted = isEnd
                    ? "use HH:mm from 00:00 to 24:00 (24:00 = end of the day), e.g. 05:30"
                    : "use HH:mm from 00:00 to 23:59, e.g. 01:30" + ("24:00".equals(text) ? " (24:00 is only allowed as end)" : "");
            throw new IllegalArgumentException("invalid " + field + " " + quote(text) + ": " + accepted);
        }
        return LocalTime.of(Integer.parseInt(text.substring(0, 2)), Integer.parseInt(text.substring(3, 5)));
    }

    private static ZoneId parseZone(String text) {
        if (text != null && !text.isEmpty()) {
            try {
                return ZoneId.of(text);
            } catch (DateTimeException e) {
                // fall through to the common message; the JDK's wording names neither the field nor a valid example
            }
        }
        throw new IllegalArgumentException("invalid timeZone " + quote(text)
                + ": use an IANA time zone ID such as UTC, Europe/Berlin or America/New_York");
    }

    private static String quote(String text) {
        return text == null ? "null" : "\"" + text + "\"";
    }

    private static String shortName(DayOfWeek day) {
        String name = day.name();
        return name.charAt(0) + name.substring(1, 3).toLowerCase(Locale.ROOT);
    }

    /** One concrete occurrence of a window: open from {@code open} inclusive to {@code close} exclusive. */
    record Occurrence(Instant open, Instant close) {
        boolean contains(Instant t) {
            return !t.isBefore(open) && t.isBefore(close);
        }
    }
}
