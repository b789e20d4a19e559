package dev.phasegate.api;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;

/** Parses, validates and formats the compact duration strings ({@code 500ms}, {@code 30s}, {@code 1h30m}, {@code 7d}) used in phasegate resources. */
public final class Durations {

    // Capping every number at 9 digits on each side of the point keeps the largest accepted value
    // (a few million years) far inside Duration's range, so overflow is impossible by construction
    // and PATTERN can express the limit, which a regex could not do for an arithmetic bound.
    private static final int MAX_DIGITS = 9;
    private static final String NUMBER = "[0-9]{1,9}(\\.[0-9]{1,9})?";

    /**
     * Regex for the CRD's OpenAPI {@code pattern}; it accepts exactly the strings {@link #parse} accepts.
     *
     * <p>Only constructs shared by ECMA-262 and Go RE2 are used (no lookaround, no {@code \d}), because the
     * API server validates with RE2 while other tooling uses ECMA. {@code $} means end of input in both;
     * in Java use {@code Matcher.matches()}, since Java's {@code $} also matches before a trailing newline.
     */
    public static final String PATTERN = "^(0"
            + "|" + NUMBER + "d(" + NUMBER + "h)?(" + NUMBER + "m)?(" + NUMBER + "s)?(" + NUMBER + "ms)?"
            + "|" + NUMBER + "h(" + NUMBER + "m)?(" + NUMBER + "s)?(" + NUMBER + "ms)?"
            + "|" + NUMBER + "m(" + NUMBER + "s)?(" + NUMBER + "ms)?"
            + "|" + NUMBER + "s(" + NUMBER + "ms)?"
            + "|" + NUMBER + "ms"
            + ")$";

    private static final String ACCEPTED_FORM =
            "use a number and a unit (ms, s, m, h, d), e.g. 500ms, 30s, 24h, 7d,"
                    + " or combine units from largest to smallest, e.g. 1h30m";

    private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);
    private static final BigInteger NANOS_PER_MILLI = BigInteger.valueOf(1_000_000L);

    // Declared largest first: the ordinal order is the order units must appear in.
    private enum Unit {
        DAYS("d", 86_400_000_000_000L),
        HOURS("h", 3_600_000_000_000L),
        MINUTES("m", 60_000_000_000L),
        SECONDS("s", 1_000_000_000L),
        MILLIS("ms", 1_000_000L);

        final String symbol;
        final BigInteger nanos;

        Unit(String symbol, long nanos) {
            this.symbol = symbol;
            this.nanos = BigInteger.valueOf(nanos);
        }

        static Unit bySymbol(String symbol) {
            for (Unit unit : values()) {
                if (unit.symbol.equals(symbol)) {
                    return unit;
                }
            }
            return null;
        }
    }

    private Durations() {
    }

    /**
     * Parses a duration such as {@code 500ms}, {@code 30s}, {@code 1h30m}, {@code 2d12h}, {@code 1.5s} or a bare {@code 0}.
     *
     * <p>Units are {@code d} (24 hours), {@code h}, {@code m}, {@code s} and {@code ms}, lowercase. Each unit may
     * appear once, and units must go from largest to smallest ({@code 30m1h} is rejected): that keeps one
     * spelling per value and lets {@link #PATTERN} enforce the same rule. Each number may carry a decimal
     * fraction; digits below one nanosecond are truncated. Numbers have at most 9 digits before and 9 after
     * the decimal point; no sign, spaces or exponent are allowed.
     *
     * @throws IllegalArgumentException naming what is wrong and showing the accepted form
     */
    public static Duration parse(String text) {
        if (text == null) {
            throw invalid(null, "no value given");
        }
        if (text.isEmpty()) {
            throw invalid(text, "the value is empty");
        }
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        if (text.charAt(0) == '-') {
            throw invalid(text, "negative durations are not allowed");
        }

        BigInteger totalNanos = BigInteger.ZERO;
        EnumSet<Unit> seen = EnumSet.noneOf(Unit.class);
        Unit previous = null;
        int length = text.length();
        int pos = 0;
        while (pos < length) {
            int numberStart = pos;
            pos = skipDigits(text, pos);
            int integerDigits = pos - numberStart;
            if (integerDigits == 0) {
                int letters = skipLetters(text, pos);
                if (letters > pos) {
                    throw invalid(text, "unit \"" + text.substring(pos, letters) + "\" has no number before it");
                }
                throw unexpected(text, pos);
            }
            int fractionDigits = 0;
            if (pos < length && text.charAt(pos) == '.') {
                int fractionStart = pos + 1;
                pos = skipDigits(text, fractionStart);
                fractionDigits = pos - fractionStart;
                if (fractionDigits == 0) {
                    throw invalid(text, "the decimal point in \"" + text.substring(numberStart, pos)
                            + "\" must be followed by a digit");
                }
            }
            String number = text.substring(numberStart, pos);
            if (integerDigits > MAX_DIGITS) {
                throw invalid(text, "number \"" + number + "\" is too large (at most " + MAX_DIGITS
                        + " digits before the decimal point)");
            }
            if (fractionDigits > MAX_DIGITS) {
                throw invalid(text, "number \"" + number + "\" has too many decimals (at most " + MAX_DIGITS + ")");
            }

            int unitStart = pos;
            pos = skipLetters(text, pos);
            String symbol = text.substring(unitStart, pos);
            if (symbol.isEmpty()) {
                if (pos == length) {
                    throw invalid(text, "number \"" + number + "\" has no unit");
                }
                throw unexpected(text, pos);
            }
            Unit unit = Unit.bySymbol(symbol);
            if (unit == null) {
                String lower = symbol.toLowerCase(Locale.ROOT);
                throw invalid(text, Unit.bySymbol(lower) != null
                        ? "unit \"" + symbol + "\" must be lowercase (" + lower + ")"
                        : "unknown unit \"" + symbol + "\"");
            }
            if (!seen.add(unit)) {
                throw invalid(text, "unit \"" + symbol + "\" appears more than once");
            }
            if (previous != null && unit.ordinal() < previous.ordinal()) {
                throw invalid(text, "units must go from largest to smallest (d, h, m, s, ms), but \""
                        + symbol + "\" comes after \"" + previous.symbol + "\"");
            }
            previous = unit;
            totalNanos = totalNanos.add(new BigDecimal(number).multiply(new BigDecimal(unit.nanos)).toBigInteger());
        }
        BigInteger[] secondsAndNanos = totalNanos.divideAndRemainder(NANOS_PER_SECOND);
        return Duration.ofSeconds(secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValueExact());
    }

    /** Returns whether {@link #parse} would accept {@code text}. */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Formats {@code duration} in the shortest natural form: {@code 1h30m}, {@code 500ms}, {@code 1.5s}, {@code 7d}, {@code 0s}.
     *
     * <p>Days, hours and minutes are whole numbers; seconds carry the sub-second fraction, and a duration
     * below one second is written in milliseconds. The result parses back to the same duration whenever
     * the duration is non-negative and below 10^9 days; negative durations get a leading {@code -} so a
     * status message never hides a sign, even though {@link #parse} rejects them.
     */
    public static String format(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        // BigInteger so that even Duration's extremes format instead of overflowing.
        BigInteger nanos = BigInteger.valueOf(duration.getSeconds()).multiply(NANOS_PER_SECOND)
                .add(BigInteger.valueOf(duration.getNano()));
        StringBuilder out = new StringBuilder();
        if (nanos.signum() < 0) {
            out.append('-');
            nanos = nanos.negate();
        }
        int signLength = out.length();
        for (Unit unit : new Unit[] {Unit.DAYS, Unit.HOURS, Unit.MINUTES}) {
            BigInteger[] split = nanos.divideAndRemainder(unit.nanos);
            if (split[0].signum() > 0) {
                out.append(split[0]).append(unit.symbol);
            }
            nanos = split[1];
        }
        BigInteger[] seconds = nanos.divideAndRemainder(NANOS_PER_SECOND);
        if (seconds[0].signum() > 0) {
            out.append(seconds[0]).append(fraction(seconds[1].longValue(), 9)).append('s');
        } else if (seconds[1].signum() > 0) {
            BigInteger[] millis = seconds[1].divideAndRemainder(NANOS_PER_MILLI);
            out.append(millis[0]).append(fraction(millis[1].longValue(), 6)).append("ms");
        }
        if (out.length() == signLength) {
            return "0s";
        }
        return out.toString();
    }

    private static String fraction(long value, int width) {
        if (value == 0) {
            return "";
        }
        String digits = String.format(Locale.ROOT, "%0" + width + "d", value);
        int end = digits.length();
        while (digits.charAt(end - 1) == '0') {
            end--;
        }
        return "." + digits.substring(0, end);
    }

    private static int skipDigits(String text, int pos) {
        // Character.isDigit would admit non-ASCII digits that PATTERN's [0-9] rejects.
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        return pos;
    }

    private static int skipLetters(String text, int pos) {
        while (pos < text.length() && isAsciiLetter(text.charAt(pos))) {
            pos++;
        }
        return pos;
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static IllegalArgumentException unexpected(String text, int pos) {
        char c = text.charAt(pos);
        String what = c == ' ' ? "space" : Character.isWhitespace(c) || Character.isISOControl(c)
                ? String.format(Locale.ROOT, "character U+%04X", (int) c)
                : "character '" + c + "'";
        return invalid(text, "unexpected " + what + " at position " + (pos + 1));
    }

    private static IllegalArgumentException invalid(String text, String problem) {
        String shown = text == null ? "null" : "\"" + text + "\"";
        return new IllegalArgumentException("invalid duration " + shown + ": " + problem + "; " + ACCEPTED_FORM);
    }
}
