package dev.phasegate.engine;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One approval annotation's value, {@code generation=N,by=USER}, read exactly as the four-eyes admission policy reads
 * it: the generation is digits, and the user is everything after the first {@code ,by=} (user names may hold commas,
 * colons and at-signs, generations may not).
 */
public record Approval(long generation, String approver) {
    private static final Pattern FORM = Pattern.compile("generation=([0-9]{1,18}),by=(.+)", Pattern.DOTALL);

    /** The value the policy admits when {@code user} approves {@code generation}. */
    public static String format(long generation, String user) {
        return "generation=" + generation + ",by=" + user;
    }

    public static Optional<Approval> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        Matcher m = FORM.matcher(value);
        return m.matches() ? Optional.of(new Approval(Long.parseLong(m.group(1)), m.group(2))) : Optional.empty();
    }
}
