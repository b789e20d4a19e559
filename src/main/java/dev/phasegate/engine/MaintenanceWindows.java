package dev.phasegate.engine;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/** The maintenance windows a phase may start in; open when any window is open, and always open when there are none. */
public record MaintenanceWindows(List<MaintenanceWindow> windows) {

    /** No windows: the gate never closes. */
    public static final MaintenanceWindows ALWAYS_OPEN = new MaintenanceWindows(List.of());

    // An occurrence containing t started at most a day (plus DST slack) before t's local date.
    private static final int DAYS_BEFORE = 2;
    // A week reaches every weekday; a second week covers an occurrence swallowed by a DST gap.
    private static final int DAYS_AHEAD = 15;
    // Open this long without a break means the windows cover the whole week, so there is no close to report.
    private static final Duration NEVER_CLOSES = Duration.ofDays(8);

    public MaintenanceWindows {
        windows = List.copyOf(Objects.requireNonNull(windows, "windows"));
    }

    /** Convenience for a fixed set of windows. */
    public static MaintenanceWindows of(MaintenanceWindow... windows) {
        return new MaintenanceWindows(List.of(windows));
    }

    /** Whether some window is open at {@code t}: start inclusive, end exclusive, with the rules documented on the {@link MaintenanceWindow} constructor. */
    public boolean isOpen(Instant t) {
        Objects.requireNonNull(t, "t");
        if (windows.isEmpty()) {
            return true;
        }
        for (MaintenanceWindow window : windows) {
            Optional<MaintenanceWindow.Occurrence> next = firstNotEndedBy(window, t);
            if (next.isPresent() && next.get().contains(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The earliest instant at or after {@code t} at which some window is open: {@code t} itself when open now.
     * Empty only if no window can open within the next two weeks, which valid windows always do.
     */
    public Optional<Instant> nextOpen(Instant t) {
        Objects.requireNonNull(t, "t");
        if (windows.isEmpty()) {
            return Optional.of(t);
        }
        Instant earliest = null;
        for (MaintenanceWindow window : windows) {
            Optional<MaintenanceWindow.Occurrence> next = firstNotEndedBy(window, t);
            if (next.isPresent()) {
                Instant candidate = next.get().contains(t) ? t : next.get().open();
                if (earliest == null || candidate.isBefore(earliest)) {
                    earliest = candidate;
                }
            }
        }
        return Optional.ofNullable(earliest);
    }

    /**
     * When the gate that is open at {@code t} closes, for status messages.
     *
     * <p>Windows that overlap or touch are followed through, since the gate stays open across them
     * ({@code Sat 22:00-24:00} plus {@code Sun 00:00-04:00} closes Sunday 04:00). Empty when no window is
     * open at {@code t}, when there are no windows, or when the gate stays open for more than 8 days in a
     * row, i.e. the windows leave no gap.
     */
    public Optional<Instant> currentClose(Instant t) {
        Objects.requireNonNull(t, "t");
        List<MaintenanceWindow.Occurrence> occurrences = new ArrayList<>();
        for (MaintenanceWindow window : windows) {
            LocalDate today = t.atZone(window.zone()).toLocalDate();
            for (LocalDate date = today.minusDays(DAYS_BEFORE); !date.isAfter(today.plusDays(NEVER_CLOSES.toDays() + 2));
                    date = date.plusDays(1)) {
                window.occurrenceStartingOn(date).ifPresent(occurrences::add);
            }
        }
        Instant horizon = t.plus(NEVER_CLOSES);
        Instant close = null;
        Instant reached = t;
        boolean extended = true;
        while (extended && reached.isBefore(horizon)) {
            extended = false;
            for (MaintenanceWindow.Occurrence occurrence : occurrences) {
                // The first step needs an occurrence containing t; later steps also accept one opening exactly at the close.
                boolean continues = close == null ? occurrence.contains(reached)
                        : !occurrence.open().isAfter(reached) && occurrence.close().isAfter(reached);
                if (continues && (close == null || occurrence.close().isAfter(close))) {
                    close = occurrence.close();
                    extended = true;
                }
            }
            if (close == null) {
                return Optional.empty();
            }
            reached = close;
        }
        return reached.isBefore(horizon) ? Optional.of(close) : Optional.empty();
    }

    /** Renders all windows for status messages, e.g. {@code Sat,Sun 01:00-05:00 Europe/Berlin; Wed 22:00-02:00 UTC}. */
    public String describe() {
        if (windows.isEmpty()) {
            return "always open";
        }
        return windows.stream().map(MaintenanceWindow::describe).collect(Collectors.joining("; "));
    }

    // Occurrences of one window start in increasing order, so the first one still running after t is
    // either the one containing t or the next to open; scanning stops there instead of building them all.
    private static Optional<MaintenanceWindow.Occurrence> firstNotEndedBy(MaintenanceWindow window, Instant t) {
        LocalDate today = t.atZone(window.zone()).toLocalDate();
        for (LocalDate date = today.minusDays(DAYS_BEFORE); !date.isAfter(today.plusDays(DAYS_AHEAD));
                date = date.plusDays(1)) {
            Optional<MaintenanceWindow.Occurrence> occurrence = window.occurrenceStartingOn(date);
            if (occurrence.isPresent() && occurrence.get().close().isAfter(t)) {
                return occurrence;
            }
        }
        return Optional.empty();
    }
}
