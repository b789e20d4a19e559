package dev.phasegate.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

// Instants are written with the local offset in force at that moment, so each one can be checked
// against a calendar without trusting the code under test. 2026: Jan 5 Mon, Jan 10 Sat, Jan 11 Sun;
// Europe/Berlin springs forward Sun Mar 29 02:00 CET -> 03:00 CEST (01:00Z) and falls back Sun Oct 25
// 03:00 CEST -> 02:00 CET (01:00Z); America/New_York springs forward Sun Mar 8 02:00 EST -> 03:00 EDT
// (07:00Z) and falls back Sun Nov 1 02:00 EDT -> 01:00 EST (06:00Z).
class MaintenanceWindowsTest {

    private static Instant at(String offsetDateTime) {
        return OffsetDateTime.parse(offsetDateTime).toInstant();
    }

    private static MaintenanceWindows windows(MaintenanceWindow... windows) {
        return MaintenanceWindows.of(windows);
    }

    private static MaintenanceWindow window(String days, String start, String end, String zone) {
        List<String> dayList = days.isEmpty() ? List.of() : Arrays.asList(days.split(","));
        return MaintenanceWindow.of(dayList, start, end, zone);
    }

    @Nested
    class Parsing {

        @Test
        void acceptsShortAndFullDayNamesInAnyCase() {
            MaintenanceWindow w = MaintenanceWindow.of(
                    List.of("Mon", "tue", "WED", "Thursday", "friday", "SATURDAY", "sUn"), "01:00", "05:00", "UTC");
            assertThat(w.days()).containsExactly(DayOfWeek.values());
            assertThat(w.start()).isEqualTo(LocalTime.of(1, 0));
            assertThat(w.end()).isEqualTo(LocalTime.of(5, 0));
            assertThat(w.zone()).isEqualTo(ZoneId.of("UTC"));
        }

        @Test
        void duplicateDaysCollapse() {
            assertThat(MaintenanceWindow.of(List.of("Sat", "saturday"), "01:00", "05:00", "UTC").days())
                    .containsExactly(DayOfWeek.SATURDAY);
        }

        @Test
        void nullOrEmptyDaysMeanEveryDay() {
            assertThat(MaintenanceWindow.of(null, "01:00", "05:00", "UTC").days()).isEmpty();
            assertThat(MaintenanceWindow.of(List.of(), "01:00", "05:00", "UTC").days()).isEmpty();
        }

        @Test
        void endOf2400MeansMidnightAtTheEndOfTheStartDay() {
            assertThat(MaintenanceWindow.of(List.of(), "22:00", "24:00", "UTC").end()).isEqualTo(LocalTime.MIDNIGHT);
        }

        @Test
        void acceptsZonesWithFractionalOffsets() {
            assertThat(MaintenanceWindow.of(List.of(), "00:00", "01:00", "Asia/Kolkata").zone())
                    .isEqualTo(ZoneId.of("Asia/Kolkata"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"Funday", "Mo", "M", "Mondays", "", " Mon", "Lun", "1"})
        void rejectsUnknownDays(String day) {
            assertThatThrownBy(() -> MaintenanceWindow.of(List.of("Mon", day), "01:00", "05:00", "UTC"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid day \"" + day + "\" in days: use Mon, Tue, Wed, Thu, Fri, Sat, Sun"
                            + " or full names such as Monday");
        }

        @Test
        void rejectsNullDay() {
            assertThatThrownBy(() -> MaintenanceWindow.of(Arrays.asList("Mon", null), "01:00", "05:00", "UTC"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid day null in days: ");
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {"9:00", "25:00", "23:60", "12:00:00", "1200", "12.00", " 01:00", "24:01", "-01:00", "ab:cd"})
        void rejectsBadStart(String start) {
            assertThatThrownBy(() -> MaintenanceWindow.of(List.of(), start, "05:00", "UTC"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid start " + (start == null ? "null" : "\"" + start + "\"")
                            + ": use HH:mm from 00:00 to 23:59, e.g. 01:30");
        }

        @Test
        void rejects2400AsStartAndSaysWhere2400IsAllowed() {
            assertThatThrownBy(() -> MaintenanceWindow.of(List.of(), "24:00", "05:00", "UTC"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid start \"24:00\": use HH:mm from 00:00 to 23:59, e.g. 01:30"
                            + " (24:00 is only allowed as end)");
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {"5:00", "24:01", "24:30", "25:00", "23:60", "05:00:00"})
        void rejectsBadEnd(String end) {
            assertThatThrownBy(() -> MaintenanceWindow.of(List.of(), "01:00", end, "UTC"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid end " + (end == null ? "null" : "\"" + end + "\"")
                            + ": use HH:mm from 00:00 to 24:00 (24:00 = end of the day), e.g. 05:30");
        }

        @ParameterizedTest
        @NullAndEmptySource
        @ValueSource(strings = {"Mars/Olympus_Mons", "Europe/Berlinn", "Europe/ Berlin", "CEST", "+25:00"})
        void rejectsUnknownZones(String zone) {
            assertThatThrownBy(() -> MaintenanceWindow.of(List.of(), "01:00", "05:00", zone))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid timeZone " + (zone == null ? "null" : "\"" + zone + "\"")
                            + ": use an IANA time zone ID such as UTC, Europe/Berlin or America/New_York");
        }

        @Test
        void recordCopiesDaysAndRejectsNulls() {
            Set<DayOfWeek> days = EnumSet.of(DayOfWeek.MONDAY);
            MaintenanceWindow w = new MaintenanceWindow(days, LocalTime.of(1, 0), LocalTime.of(2, 0), ZoneId.of("UTC"));
            days.add(DayOfWeek.TUESDAY);
            assertThat(w.days()).containsExactly(DayOfWeek.MONDAY);
            assertThatThrownBy(() -> w.days().add(DayOfWeek.FRIDAY)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> new MaintenanceWindow(Set.of(), null, LocalTime.NOON, ZoneId.of("UTC")))
                    .isInstanceOf(NullPointerException.class);
        }
    }

    @Nested
    class Describe {

        @Test
        void listsDaysInWeekOrderWithZone() {
            assertThat(window("Sun,Sat", "01:00", "05:00", "Europe/Berlin").describe())
                    .isEqualTo("Sat,Sun 01:00-05:00 Europe/Berlin");
        }

        @Test
        void everyDayIsDaily() {
            assertThat(window("", "01:00", "05:00", "UTC").describe()).isEqualTo("daily 01:00-05:00 UTC");
            assertThat(window("Mon,Tue,Wed,Thu,Fri,Sat,Sun", "01:00", "05:00", "UTC").describe())
                    .isEqualTo("daily 01:00-05:00 UTC");
        }

        @Test
        void midnightEndIsShownAs2400() {
            assertThat(window("Fri", "22:00", "24:00", "UTC").describe()).isEqualTo("Fri 22:00-24:00 UTC");
            assertThat(window("Fri", "00:00", "00:00", "UTC").describe()).isEqualTo("Fri 00:00-24:00 UTC");
        }

        @Test
        void crossingMidnightKeepsTheGivenTimes() {
            assertThat(window("Wed", "22:00", "02:00", "UTC").describe()).isEqualTo("Wed 22:00-02:00 UTC");
        }

        @Test
        void severalWindowsAreJoined() {
            assertThat(windows(window("Sat,Sun", "01:00", "05:00", "Europe/Berlin"), window("Wed", "22:00", "02:00", "UTC"))
                    .describe()).isEqualTo("Sat,Sun 01:00-05:00 Europe/Berlin; Wed 22:00-02:00 UTC");
            assertThat(MaintenanceWindows.ALWAYS_OPEN.describe()).isEqualTo("always open");
        }
    }

    @Nested
    class NoWindows {

        @Test
        void isAlwaysOpenAndNeverCloses() {
            Instant t = at("2026-01-05T12:00Z");
            MaintenanceWindows none = new MaintenanceWindows(List.of());
            assertThat(none.isOpen(t)).isTrue();
            assertThat(none.nextOpen(t)).contains(t);
            assertThat(none.currentClose(t)).isEmpty();
            assertThat(none).isEqualTo(MaintenanceWindows.ALWAYS_OPEN);
        }

        @Test
        void listIsCopied() {
            List<MaintenanceWindow> list = new ArrayList<>();
            MaintenanceWindows ws = new MaintenanceWindows(list);
            list.add(window("Mon", "01:00", "02:00", "UTC"));
            assertThat(ws.windows()).isEmpty();
        }
    }

    @Nested
    class SameDayWindowInUtc {

        private final MaintenanceWindows mondayOffice = windows(window("Mon", "09:00", "17:00", "UTC"));

        @ParameterizedTest
        @CsvSource({
                "2026-01-05T08:59:59.999999999Z, false",
                "2026-01-05T09:00Z,              true",
                "2026-01-05T12:00Z,              true",
                "2026-01-05T16:59:59.999999999Z, true",
                "2026-01-05T17:00Z,              false",
                "2026-01-06T09:00Z,              false",
                "2026-01-04T09:00Z,              false",
                "2026-01-12T09:00Z,              true"})
        void startIsInclusiveAndEndExclusive(String t, boolean open) {
            assertThat(mondayOffice.isOpen(at(t))).isEqualTo(open);
        }

        @Test
        void nextOpenFromBeforeInsideAndAfter() {
            assertThat(mondayOffice.nextOpen(at("2026-01-05T08:00Z"))).contains(at("2026-01-05T09:00Z"));
            assertThat(mondayOffice.nextOpen(at("2026-01-05T10:15Z"))).contains(at("2026-01-05T10:15Z"));
            assertThat(mondayOffice.nextOpen(at("2026-01-05T09:00Z"))).contains(at("2026-01-05T09:00Z"));
            assertThat(mondayOffice.nextOpen(at("2026-01-05T17:00Z"))).contains(at("2026-01-12T09:00Z"));
            assertThat(mondayOffice.nextOpen(at("2026-01-07T00:00Z"))).contains(at("2026-01-12T09:00Z"));
            assertThat(mondayOffice.nextOpen(at("2026-01-11T23:59:59Z"))).contains(at("2026-01-12T09:00Z"));
        }

        @Test
        void currentCloseOnlyWhileOpen() {
            assertThat(mondayOffice.currentClose(at("2026-01-05T09:00Z"))).contains(at("2026-01-05T17:00Z"));
            assertThat(mondayOffice.currentClose(at("2026-01-05T16:59Z"))).contains(at("2026-01-05T17:00Z"));
            assertThat(mondayOffice.currentClose(at("2026-01-05T17:00Z"))).isEmpty();
            assertThat(mondayOffice.currentClose(at("2026-01-05T08:00Z"))).isEmpty();
        }
    }

    @Nested
    class CrossingMidnight {

        private final MaintenanceWindows saturdayNight = windows(window("Sat", "22:00", "02:00", "UTC"));

        @ParameterizedTest
        @CsvSource({
                "2026-01-10T21:59:59Z, false",
                "2026-01-10T22:00Z,    true",
                "2026-01-11T00:00Z,    true",
                "2026-01-11T01:59:59Z, true",
                "2026-01-11T02:00Z,    false",
                // Sunday is not a start day, so Sunday night stays closed
                "2026-01-11T22:30Z,    false",
                "2026-01-12T01:00Z,    false",
                // Friday is not a start day, so Saturday 00:00-02:00 is closed
                "2026-01-10T01:00Z,    false"})
        void isOpenFromTheStartDayIntoTheNext(String t, boolean open) {
            assertThat(saturdayNight.isOpen(at(t))).isEqualTo(open);
        }

        @Test
        void nextOpenAndClose() {
            assertThat(saturdayNight.nextOpen(at("2026-01-10T12:00Z"))).contains(at("2026-01-10T22:00Z"));
            assertThat(saturdayNight.nextOpen(at("2026-01-11T01:00Z"))).contains(at("2026-01-11T01:00Z"));
            assertThat(saturdayNight.nextOpen(at("2026-01-11T02:00Z"))).contains(at("2026-01-17T22:00Z"));
            assertThat(saturdayNight.currentClose(at("2026-01-10T23:00Z"))).contains(at("2026-01-11T02:00Z"));
        }

        @Test
        void sundayToMondayWrapsTheWeek() {
            MaintenanceWindows sundayLate = windows(window("Sun", "23:00", "01:00", "UTC"));
            assertThat(sundayLate.isOpen(at("2026-01-11T22:59Z"))).isFalse();
            assertThat(sundayLate.isOpen(at("2026-01-11T23:00Z"))).isTrue();
            assertThat(sundayLate.isOpen(at("2026-01-12T00:30Z"))).isTrue();
            assertThat(sundayLate.isOpen(at("2026-01-12T01:00Z"))).isFalse();
            // Monday night is not a start day
            assertThat(sundayLate.isOpen(at("2026-01-12T23:30Z"))).isFalse();
            assertThat(sundayLate.nextOpen(at("2026-01-12T00:30Z"))).contains(at("2026-01-12T00:30Z"));
            assertThat(sundayLate.nextOpen(at("2026-01-12T01:00Z"))).contains(at("2026-01-18T23:00Z"));
            assertThat(sundayLate.nextOpen(at("2026-01-05T12:00Z"))).contains(at("2026-01-11T23:00Z"));
            assertThat(sundayLate.currentClose(at("2026-01-12T00:30Z"))).contains(at("2026-01-12T01:00Z"));
        }

        @Test
        void endAt2400ClosesAtMidnight() {
            MaintenanceWindows fridayEvening = windows(window("Fri", "22:00", "24:00", "UTC"));
            assertThat(fridayEvening.isOpen(at("2026-01-09T23:59:59Z"))).isTrue();
            assertThat(fridayEvening.isOpen(at("2026-01-10T00:00Z"))).isFalse();
            assertThat(fridayEvening.currentClose(at("2026-01-09T22:00Z"))).contains(at("2026-01-10T00:00Z"));
        }

        @Test
        void equalStartAndEndLastsTwentyFourHours() {
            MaintenanceWindows wednesday = windows(window("Wed", "06:00", "06:00", "UTC"));
            assertThat(wednesday.isOpen(at("2026-01-07T05:59Z"))).isFalse();
            assertThat(wednesday.isOpen(at("2026-01-07T06:00Z"))).isTrue();
            assertThat(wednesday.isOpen(at("2026-01-08T05:59:59Z"))).isTrue();
            assertThat(wednesday.isOpen(at("2026-01-08T06:00Z"))).isFalse();
            assertThat(wednesday.currentClose(at("2026-01-07T12:00Z"))).contains(at("2026-01-08T06:00Z"));

            MaintenanceWindows wholeWednesday = windows(window("Wed", "00:00", "24:00", "UTC"));
            assertThat(wholeWednesday.isOpen(at("2026-01-07T00:00Z"))).isTrue();
            assertThat(wholeWednesday.isOpen(at("2026-01-07T23:59:59Z"))).isTrue();
            assertThat(wholeWednesday.isOpen(at("2026-01-08T00:00Z"))).isFalse();
        }
    }

    @Nested
    class EveryDay {

        private final MaintenanceWindows nightly = windows(window("", "01:00", "05:00", "UTC"));

        @Test
        void emptyDaysOpenEveryDay() {
            for (int day = 5; day <= 11; day++) {
                String date = String.format("2026-01-%02d", day);
                assertThat(nightly.isOpen(at(date + "T01:00Z"))).as(date).isTrue();
                assertThat(nightly.isOpen(at(date + "T04:59Z"))).as(date).isTrue();
                assertThat(nightly.isOpen(at(date + "T05:00Z"))).as(date).isFalse();
                assertThat(nightly.isOpen(at(date + "T00:59Z"))).as(date).isFalse();
            }
        }

        @Test
        void nextOpenIsTomorrowAfterTodaysWindow() {
            assertThat(nightly.nextOpen(at("2026-01-05T06:00Z"))).contains(at("2026-01-06T01:00Z"));
            assertThat(nightly.nextOpen(at("2026-01-05T00:30Z"))).contains(at("2026-01-05T01:00Z"));
        }

        @Test
        void windowsCoveringTheWholeWeekNeverClose() {
            MaintenanceWindows always = windows(window("", "00:00", "24:00", "UTC"));
            Instant t = at("2026-01-07T13:00Z");
            assertThat(always.isOpen(t)).isTrue();
            assertThat(always.nextOpen(t)).contains(t);
            assertThat(always.currentClose(t)).isEmpty();
        }
    }

    @Nested
    class SeveralWindows {

        @Test
        void openWhenAnyWindowIsOpen() {
            MaintenanceWindows ws = windows(window("Mon", "10:00", "11:00", "UTC"), window("Wed", "10:00", "11:00", "UTC"));
            assertThat(ws.isOpen(at("2026-01-05T10:30Z"))).isTrue();
            assertThat(ws.isOpen(at("2026-01-06T10:30Z"))).isFalse();
            assertThat(ws.isOpen(at("2026-01-07T10:30Z"))).isTrue();
            assertThat(ws.nextOpen(at("2026-01-05T12:00Z"))).contains(at("2026-01-07T10:00Z"));
            assertThat(ws.nextOpen(at("2026-01-07T12:00Z"))).contains(at("2026-01-12T10:00Z"));
        }

        @Test
        void nextOpenPicksTheEarliestAcrossZones() {
            MaintenanceWindows ws = windows(
                    window("Mon", "09:00", "10:00", "America/New_York"),
                    window("Mon", "09:00", "10:00", "Asia/Kolkata"));
            // Monday 09:00 IST is 03:30Z, Monday 09:00 EST is 14:00Z
            assertThat(ws.nextOpen(at("2026-01-11T00:00Z"))).contains(at("2026-01-12T09:00+05:30"));
            assertThat(ws.nextOpen(at("2026-01-12T04:00Z"))).contains(at("2026-01-12T04:00Z"));
            assertThat(ws.nextOpen(at("2026-01-12T04:30Z"))).contains(at("2026-01-12T09:00-05:00"));
        }

        @Test
        void currentCloseFollowsTouchingAndOverlappingWindows() {
            MaintenanceWindows ws = windows(
                    window("Sat", "22:00", "24:00", "UTC"),
                    window("Sun", "00:00", "04:00", "UTC"),
                    window("Sun", "03:00", "05:00", "UTC"),
                    window("Sun", "06:00", "07:00", "UTC"));
            assertThat(ws.currentClose(at("2026-01-10T23:00Z"))).contains(at("2026-01-11T05:00Z"));
            assertThat(ws.currentClose(at("2026-01-11T06:30Z"))).contains(at("2026-01-11T07:00Z"));
            assertThat(ws.isOpen(at("2026-01-11T05:30Z"))).isFalse();
            assertThat(ws.nextOpen(at("2026-01-11T05:30Z"))).contains(at("2026-01-11T06:00Z"));
        }

        @Test
        void adjacentDailyWindowsCoveringEverythingNeverClose() {
            MaintenanceWindows ws = windows(window("", "00:00", "12:00", "UTC"), window("", "12:00", "24:00", "UTC"));
            assertThat(ws.isOpen(at("2026-01-05T12:00Z"))).isTrue();
            assertThat(ws.currentClose(at("2026-01-05T12:00Z"))).isEmpty();
        }
    }

    @Nested
    class HalfHourOffsetZone {

        // Asia/Kolkata is UTC+05:30 all year, so Monday local starts on Sunday in UTC.
        private final MaintenanceWindows kolkataMonday = windows(window("Mon", "00:00", "01:00", "Asia/Kolkata"));

        @ParameterizedTest
        @CsvSource({
                "2026-01-11T18:29:59Z, false",
                "2026-01-11T18:30Z,    true",
                "2026-01-11T19:29:59Z, true",
                "2026-01-11T19:30Z,    false",
                "2026-01-12T00:30Z,    false"})
        void edgesFallOnTheHalfHourInUtc(String t, boolean open) {
            assertThat(kolkataMonday.isOpen(at(t))).isEqualTo(open);
        }

        @Test
        void nextOpen() {
            assertThat(kolkataMonday.nextOpen(at("2026-01-11T12:00Z"))).contains(at("2026-01-11T18:30Z"));
            assertThat(kolkataMonday.nextOpen(at("2026-01-11T19:30Z"))).contains(at("2026-01-18T18:30Z"));
            assertThat(kolkataMonday.currentClose(at("2026-01-11T18:30Z"))).contains(at("2026-01-11T19:30Z"));
        }
    }

    @Nested
    class BerlinSpringForward {

        @Test
        void windowStartingInsideTheGapOpensWhenTheGapEnds() {
            // 02:30 does not exist on 2026-03-29; the clock jumps from 02:00 CET to 03:00 CEST.
            MaintenanceWindows ws = windows(window("Sun", "02:30", "04:00", "Europe/Berlin"));
            assertThat(ws.isOpen(at("2026-03-29T01:59:59+01:00"))).isFalse();
            assertThat(ws.isOpen(at("2026-03-29T03:00+02:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-03-29T03:59:59+02:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-03-29T04:00+02:00"))).isFalse();
            assertThat(ws.nextOpen(at("2026-03-28T12:00Z"))).contains(at("2026-03-29T03:00+02:00"));
            assertThat(ws.currentClose(at("2026-03-29T03:00+02:00"))).contains(at("2026-03-29T04:00+02:00"));
            // the following Sunday the start exists again
            assertThat(ws.nextOpen(at("2026-03-29T04:00+02:00"))).contains(at("2026-04-05T02:30+02:00"));
            // and the Sunday before, in winter time
            assertThat(ws.nextOpen(at("2026-03-21T12:00Z"))).contains(at("2026-03-22T02:30+01:00"));
        }

        @Test
        void windowEndingInsideTheGapClosesWhenTheGapBegins() {
            // Sat 22:00 - Sun 02:00: 02:00 on 2026-03-29 is the first skipped minute.
            MaintenanceWindows ws = windows(window("Sat", "22:00", "02:00", "Europe/Berlin"));
            assertThat(ws.isOpen(at("2026-03-28T21:59:59+01:00"))).isFalse();
            assertThat(ws.isOpen(at("2026-03-28T22:00+01:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-03-29T01:59:59+01:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-03-29T03:00+02:00"))).isFalse();
            assertThat(ws.currentClose(at("2026-03-28T23:00+01:00"))).contains(at("2026-03-29T03:00+02:00"));
        }

        @Test
        void windowAcrossTheGapIsAnHourShorterInElapsedTime() {
            MaintenanceWindows ws = windows(window("", "01:00", "05:00", "Europe/Berlin"));
            assertThat(ws.nextOpen(at("2026-03-28T12:00Z"))).contains(at("2026-03-29T01:00+01:00"));
            assertThat(ws.isOpen(at("2026-03-29T04:59:59+02:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-03-29T05:00+02:00"))).isFalse();
            assertThat(ws.currentClose(at("2026-03-29T01:00+01:00"))).contains(at("2026-03-29T05:00+02:00"));
            // the day before, entirely in winter time
            assertThat(ws.currentClose(at("2026-03-28T01:00+01:00"))).contains(at("2026-03-28T05:00+01:00"));
        }

        @Test
        void windowEntirelyInsideTheGapIsSkippedThatDay() {
            MaintenanceWindows ws = windows(window("Sun", "02:00", "02:30", "Europe/Berlin"));
            assertThat(ws.isOpen(at("2026-03-29T01:00Z"))).isFalse();
            assertThat(ws.nextOpen(at("2026-03-28T12:00Z"))).contains(at("2026-04-05T02:00+02:00"));
            // from just after the previous Sunday's window, the skipped Sunday means a two-week wait
            assertThat(ws.nextOpen(at("2026-03-22T02:30+01:00"))).contains(at("2026-04-05T02:00+02:00"));
        }
    }

    @Nested
    class BerlinFallBack {

        // On 2026-10-25 local 02:00-02:59 happens twice: first at +02:00 (00:00Z-00:59Z), then at +01:00 (01:00Z-01:59Z).

        @Test
        void ambiguousStartUsesTheEarlierOffset() {
            MaintenanceWindows ws = windows(window("Sun", "02:30", "03:30", "Europe/Berlin"));
            assertThat(ws.isOpen(at("2026-10-25T02:29:59+02:00"))).isFalse();
            assertThat(ws.isOpen(at("2026-10-25T02:30+02:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-10-25T03:29:59+01:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-10-25T03:30+01:00"))).isFalse();
            assertThat(ws.nextOpen(at("2026-10-24T12:00Z"))).contains(at("2026-10-25T02:30+02:00"));
            // two hours elapsed for a one-hour wall-clock span
            assertThat(ws.currentClose(at("2026-10-25T02:30+02:00"))).contains(at("2026-10-25T03:30+01:00"));
        }

        @Test
        void ambiguousEndUsesTheLaterOffset() {
            MaintenanceWindows ws = windows(window("Sun", "01:00", "02:30", "Europe/Berlin"));
            assertThat(ws.isOpen(at("2026-10-25T00:59:59+02:00"))).isFalse();
            assertThat(ws.isOpen(at("2026-10-25T01:00+02:00"))).isTrue();
            // the first pass through 02:30-02:59 stays open: the window does not close and reopen
            assertThat(ws.isOpen(at("2026-10-25T02:45+02:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-10-25T02:29:59+01:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-10-25T02:30+01:00"))).isFalse();
            assertThat(ws.currentClose(at("2026-10-25T01:00+02:00"))).contains(at("2026-10-25T02:30+01:00"));
        }

        @Test
        void windowInsideTheRepeatedHourCoversBothPasses() {
            MaintenanceWindows ws = windows(window("Sun", "02:10", "02:20", "Europe/Berlin"));
            assertThat(ws.isOpen(at("2026-10-25T02:09:59+02:00"))).isFalse();
            assertThat(ws.isOpen(at("2026-10-25T02:10+02:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-10-25T02:40+02:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-10-25T02:19:59+01:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-10-25T02:20+01:00"))).isFalse();
        }

        @Test
        void windowAcrossTheOverlapIsAnHourLongerInElapsedTime() {
            MaintenanceWindows ws = windows(window("", "01:00", "05:00", "Europe/Berlin"));
            assertThat(ws.nextOpen(at("2026-10-24T12:00Z"))).contains(at("2026-10-25T01:00+02:00"));
            assertThat(ws.currentClose(at("2026-10-25T01:00+02:00"))).contains(at("2026-10-25T05:00+01:00"));
            assertThat(ws.isOpen(at("2026-10-25T04:59:59+01:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-10-25T05:00+01:00"))).isFalse();
        }

        @Test
        void fullDayWindowsOverlapForAnHourAndStillNeverClose() {
            MaintenanceWindows ws = windows(window("", "02:30", "02:30", "Europe/Berlin"));
            Instant t = at("2026-10-24T12:00Z");
            assertThat(ws.isOpen(t)).isTrue();
            assertThat(ws.currentClose(t)).isEmpty();
        }
    }

    @Nested
    class NewYork {

        @Test
        void springForwardShortensACrossingWindow() {
            // 2026-03-08: 02:00 EST -> 03:00 EDT
            MaintenanceWindows ws = windows(window("", "01:00", "03:00", "America/New_York"));
            assertThat(ws.isOpen(at("2026-03-08T01:00-05:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-03-08T01:59:59-05:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-03-08T03:00-04:00"))).isFalse();
            assertThat(ws.currentClose(at("2026-03-08T01:00-05:00"))).contains(at("2026-03-08T03:00-04:00"));
        }

        @Test
        void startInTheGapOpensAtThreeEdt() {
            MaintenanceWindows ws = windows(window("Sun", "02:15", "04:00", "America/New_York"));
            assertThat(ws.nextOpen(at("2026-03-07T12:00Z"))).contains(at("2026-03-08T03:00-04:00"));
            assertThat(ws.isOpen(at("2026-03-08T01:59:59-05:00"))).isFalse();
            assertThat(ws.isOpen(at("2026-03-08T03:00-04:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-03-08T04:00-04:00"))).isFalse();
            // a week earlier, in winter time
            assertThat(ws.nextOpen(at("2026-02-28T12:00Z"))).contains(at("2026-03-01T02:15-05:00"));
        }

        @Test
        void fallBackAmbiguousStartUsesEdt() {
            // 2026-11-01: 02:00 EDT -> 01:00 EST, so 01:00-01:59 happens twice
            MaintenanceWindows ws = windows(window("Sun", "01:30", "02:00", "America/New_York"));
            assertThat(ws.isOpen(at("2026-11-01T01:29:59-04:00"))).isFalse();
            assertThat(ws.isOpen(at("2026-11-01T01:30-04:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-11-01T01:45-05:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-11-01T02:00-05:00"))).isFalse();
            assertThat(ws.nextOpen(at("2026-10-31T12:00Z"))).contains(at("2026-11-01T01:30-04:00"));
        }

        @Test
        void fallBackAmbiguousEndUsesEst() {
            MaintenanceWindows ws = windows(window("Sat", "23:00", "01:30", "America/New_York"));
            assertThat(ws.isOpen(at("2026-10-31T23:00-04:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-11-01T01:45-04:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-11-01T01:29:59-05:00"))).isTrue();
            assertThat(ws.isOpen(at("2026-11-01T01:30-05:00"))).isFalse();
            assertThat(ws.currentClose(at("2026-10-31T23:00-04:00"))).contains(at("2026-11-01T01:30-05:00"));
        }
    }
}
