package dev.phasegate.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    private static final String ACCEPTED_FORM = "use a number and a unit (ms, s, m, h, d), e.g. 500ms, 30s, 24h, 7d";

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("0", Duration.ZERO),
                Arguments.of("0s", Duration.ZERO),
                Arguments.of("0ms", Duration.ZERO),
                Arguments.of("0d0h0m0s0ms", Duration.ZERO),
                Arguments.of("500ms", Duration.ofMillis(500)),
                Arguments.of("30s", Duration.ofSeconds(30)),
                Arguments.of("10m", Duration.ofMinutes(10)),
                Arguments.of("24h", Duration.ofHours(24)),
                Arguments.of("7d", Duration.ofDays(7)),
                Arguments.of("1h30m", Duration.ofMinutes(90)),
                Arguments.of("2d12h", Duration.ofHours(60)),
                Arguments.of("1s500ms", Duration.ofMillis(1500)),
                Arguments.of("1d2h3m4s5ms", Duration.ofDays(1).plusHours(2).plusMinutes(3).plusSeconds(4).plusMillis(5)),
                Arguments.of("1d5ms", Duration.ofDays(1).plusMillis(5)),
                Arguments.of("90m", Duration.ofMinutes(90)),
                Arguments.of("0h30m", Duration.ofMinutes(30)),
                Arguments.of("007s", Duration.ofSeconds(7)),
                Arguments.of("1.5s", Duration.ofMillis(1500)),
                Arguments.of("1.5h", Duration.ofMinutes(90)),
                Arguments.of("0.5d", Duration.ofHours(12)),
                Arguments.of("1.5h30m", Duration.ofHours(2)),
                Arguments.of("1.25ms", Duration.ofNanos(1_250_000)),
                Arguments.of("0.000000001s", Duration.ofNanos(1)),
                Arguments.of("0.000001ms", Duration.ofNanos(1)),
                // below a nanosecond is truncated, not rounded
                Arguments.of("0.123456789ms", Duration.ofNanos(123_456)),
                Arguments.of("0.000000001d", Duration.ofNanos(86_400)),
                Arguments.of("999999999ms", Duration.ofMillis(999_999_999)),
                Arguments.of("999999999d", Duration.ofDays(999_999_999)),
                Arguments.of("999999999.999999999d999999999.999999999h999999999.999999999m"
                                + "999999999.999999999s999999999.999999999ms",
                        Duration.ofDays(999_999_999).plus(Duration.ofNanos(86_399_999_913_600L))
                                .plus(Duration.ofHours(999_999_999)).plus(Duration.ofNanos(3_599_999_996_400L))
                                .plus(Duration.ofMinutes(999_999_999)).plus(Duration.ofNanos(59_999_999_940L))
                                .plus(Duration.ofSeconds(999_999_999)).plus(Duration.ofNanos(999_999_999))
                                .plus(Duration.ofMillis(999_999_999)).plus(Duration.ofNanos(999_999))));
    }

    @ParameterizedTest
    @MethodSource("accepted")
    void parsesAcceptedForms(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
        assertThat(Durations.isValid(text)).isTrue();
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                Arguments.of("", "the value is empty"),
                Arguments.of("10 minutes", "unexpected space at position 3"),
                Arguments.of("10minutes", "unknown unit \"minutes\""),
                Arguments.of("-5s", "negative durations are not allowed"),
                Arguments.of("-0", "negative durations are not allowed"),
                Arguments.of("+5s", "unexpected character '+' at position 1"),
                Arguments.of("5", "number \"5\" has no unit"),
                Arguments.of("00", "number \"00\" has no unit"),
                Arguments.of("0.0", "number \"0.0\" has no unit"),
                Arguments.of("1.5", "number \"1.5\" has no unit"),
                Arguments.of("1h30", "number \"30\" has no unit"),
                Arguments.of("1.s", "the decimal point in \"1.\" must be followed by a digit"),
                Arguments.of(".5s", "unexpected character '.' at position 1"),
                Arguments.of("1.5.5s", "unexpected character '.' at position 4"),
                Arguments.of("1,5s", "unexpected character ',' at position 2"),
                Arguments.of("1e3s", "unknown unit \"e\""),
                Arguments.of("1_000s", "unexpected character '_' at position 2"),
                Arguments.of("s", "unit \"s\" has no number before it"),
                Arguments.of("ms", "unit \"ms\" has no number before it"),
                Arguments.of("h1", "unit \"h\" has no number before it"),
                Arguments.of("1h-30m", "unexpected character '-' at position 3"),
                Arguments.of("10x", "unknown unit \"x\""),
                Arguments.of("1us", "unknown unit \"us\""),
                Arguments.of("1ns", "unknown unit \"ns\""),
                Arguments.of("1w", "unknown unit \"w\""),
                Arguments.of("5sec", "unknown unit \"sec\""),
                Arguments.of("10S", "unit \"S\" must be lowercase (s)"),
                Arguments.of("10H", "unit \"H\" must be lowercase (h)"),
                Arguments.of("1MS", "unit \"MS\" must be lowercase (ms)"),
                Arguments.of("1h1h", "unit \"h\" appears more than once"),
                Arguments.of("1h30m1h", "unit \"h\" appears more than once"),
                Arguments.of("1s1s", "unit \"s\" appears more than once"),
                Arguments.of("30m1h", "units must go from largest to smallest (d, h, m, s, ms), but \"h\" comes after \"m\""),
                Arguments.of("1s1m", "but \"m\" comes after \"s\""),
                Arguments.of("1ms1s", "but \"s\" comes after \"ms\""),
                Arguments.of("1h1d", "but \"d\" comes after \"h\""),
                Arguments.of(" 1s", "unexpected space at position 1"),
                Arguments.of("1s ", "unexpected space at position 3"),
                Arguments.of("1s\n", "unexpected character U+000A at position 3"),
                Arguments.of("1\ts", "unexpected character U+0009 at position 2"),
                Arguments.of("\u0661s", "unexpected character '\u0661' at position 1"),
                Arguments.of("1000000000s", "number \"1000000000\" is too large (at most 9 digits before the decimal point)"),
                Arguments.of("9223372036854775808s", "is too large"),
                Arguments.of("99999999999999999999d", "is too large"),
                Arguments.of("1.1234567890s", "number \"1.1234567890\" has too many decimals (at most 9)"));
    }

    @ParameterizedTest
    @MethodSource("rejected")
    void rejectsWithMessageNamingTheProblemAndTheAcceptedForm(String text, String problem) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid duration \"" + text + "\": ")
                .hasMessageContaining(problem)
                .hasMessageContaining(ACCEPTED_FORM);
        assertThat(Durations.isValid(text)).isFalse();
    }

    @Test
    void messageForTheTypicalMistakeReadsWell() {
        assertThatThrownBy(() -> Durations.parse("10 minutes"))
                .hasMessage("invalid duration \"10 minutes\": unexpected space at position 3; " + ACCEPTED_FORM
                        + ", or combine units from largest to smallest, e.g. 1h30m");
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Durations.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid duration null: no value given; " + ACCEPTED_FORM);
        assertThat(Durations.isValid(null)).isFalse();
    }

    static Stream<Arguments> formatted() {
        return Stream.of(
                Arguments.of(Duration.ZERO, "0s"),
                Arguments.of(Duration.ofMillis(500), "500ms"),
                Arguments.of(Duration.ofSeconds(30), "30s"),
                Arguments.of(Duration.ofMinutes(10), "10m"),
                Arguments.of(Duration.ofHours(5), "5h"),
                Arguments.of(Duration.ofHours(24), "1d"),
                Arguments.of(Duration.ofDays(7), "7d"),
                Arguments.of(Duration.ofMinutes(90), "1h30m"),
                Arguments.of(Duration.ofHours(60), "2d12h"),
                Arguments.of(Duration.ofSeconds(61), "1m1s"),
                Arguments.of(Duration.ofSeconds(3601), "1h1s"),
                Arguments.of(Duration.ofMillis(1500), "1.5s"),
                Arguments.of(Duration.ofMillis(1005), "1.005s"),
                Arguments.of(Duration.ofNanos(1_000_000_001), "1.000000001s"),
                Arguments.of(Duration.ofNanos(1_500_000), "1.5ms"),
                Arguments.of(Duration.ofNanos(1), "0.000001ms"),
                Arguments.of(Duration.ofNanos(999_999_999), "999.999999ms"),
                Arguments.of(Duration.ofDays(1).plusMillis(5), "1d5ms"),
                Arguments.of(Duration.ofDays(1).plusSeconds(1).plusMillis(5), "1d1.005s"),
                Arguments.of(Duration.ofMinutes(-90), "-1h30m"),
                Arguments.of(Duration.ofMillis(-500), "-500ms"),
                Arguments.of(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), "106751991167300d15h30m7.999999999s"),
                Arguments.of(Duration.ofSeconds(Long.MIN_VALUE), "-106751991167300d15h30m8s"));
    }

    @ParameterizedTest
    @MethodSource("formatted")
    void formatsShortestForm(Duration duration, String expected) {
        assertThat(Durations.format(duration)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0s", "500ms", "30s", "10m", "24h", "7d", "1h30m", "2d12h", "1.5s", "90m", "1s500ms",
            "1.25ms", "0.000000001s", "0.5d", "1d2h3m4s5ms", "999999999d"})
    void formattedValueParsesBackToTheSameDuration(String text) {
        Duration parsed = Durations.parse(text);
        assertThat(Durations.parse(Durations.format(parsed))).isEqualTo(parsed);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"0", "0s", "500ms", "30s", "10m", "24h", "7d", "1h30m", "2d12h", "1.5s", "1s500ms",
            "1d2h3m4s5ms", "0.000000001s", "999999999d", "007s",
            " ", "10 minutes", "-5s", "-0", "+5s", "5", "00", "0.0", "1.5", "1h30", "1.s", ".5s", "1.5.5s", "1,5s",
            "1e3s", "s", "ms", "h1", "10x", "1us", "10S", "1h1h", "1s1s", "1ms1ms", "30m1h", "1s1m", "1ms1s", "1ms1m",
            "1m1ms1s", " 1s", "1s ", "1s\n", "\n1s", "1s\r\n", "\u0661s", "1000000000s", "1.1234567890s", "1hms",
            "1mss", "1sm", "1m5", "0d", "1.0m0.5s"})
    void patternAgreesWithParse(String text) {
        assertThat(matchesPattern(text)).as("PATTERN on %s", text == null ? null : "\"" + text + "\"")
                .isEqualTo(Durations.isValid(text));
    }

    @Test
    void patternAgreesWithParseOnEveryShortString() {
        // Exhaustive over a small alphabet rather than sampled, so any disagreement up to this length is found.
        char[] alphabet = {'0', '1', '.', 'd', 'h', 'm', 's', '-', 'x', ' '};
        List<String> disagreements = new ArrayList<>();
        List<String> current = List.of("");
        int checked = 0;
        for (int length = 1; length <= 5; length++) {
            List<String> next = new ArrayList<>();
            for (String prefix : current) {
                for (char c : alphabet) {
                    String text = prefix + c;
                    next.add(text);
                    checked++;
                    if (matchesPattern(text) != Durations.isValid(text)) {
                        disagreements.add(text);
                    }
                }
            }
            current = next;
        }
        assertThat(checked).isEqualTo(111_110);
        assertThat(disagreements).isEmpty();
    }

    @Test
    void patternEnforcesTheDigitLimitLikeParse() {
        String nine = "999999999";
        assertThat(matchesPattern(nine + "s")).isTrue();
        assertThat(matchesPattern(nine + "9s")).isFalse();
        assertThat(matchesPattern("1." + nine + "s")).isTrue();
        assertThat(matchesPattern("1." + nine + "9s")).isFalse();
    }

    @Test
    void patternUsesOnlyConstructsSharedByEcmaAndRe2() {
        // RE2 (the API server) has no lookaround or backreferences; \d differs across engines.
        assertThat(Durations.PATTERN).doesNotContain("(?", "\\d", "\\1").startsWith("^").endsWith("$");
    }

    private static boolean matchesPattern(String text) {
        return text != null && Pattern.compile(Durations.PATTERN).matcher(text).matches();
    }
}
