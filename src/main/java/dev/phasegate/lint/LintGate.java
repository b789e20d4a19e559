package dev.phasegate.lint;

import dev.phasegate.api.LintAllow;
import dev.phasegate.api.LintFindingStatus;
import dev.phasegate.api.LintStatus;
import dev.phasegate.api.PhaseName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Applies spec.lint.allow to the findings: which ERRORs block, the compact status.lint, the message that blocks
 * and the Event text for what is shown but allowed. Pure.
 */
public final class LintGate {

    /** status.lint lists at most this many findings; the rest are counted in omitted. */
    public static final int MAX_LISTED = 10;
    /** A finding's message in status is cut here; the Event and the block message name the rule and statement. */
    static final int MAX_MESSAGE = 600;

    /**
     * The verdict.
     *
     * @param block  why the migration may not start: names the rule, the statement and the fix; empty to go on
     * @param report the Event text for allowed errors, warnings and notes; empty when there are none
     */
    public record Verdict(LintStatus status, Optional<String> block, Optional<String> report) {
    }

    private LintGate() {
    }

    public static Verdict judge(List<Finding> findings, List<LintAllow> allow, PhaseName before, String checkedAt) {
        Map<String, String> reasons = new HashMap<>();
        for (LintAllow a : allow == null ? List.<LintAllow>of() : allow) {
            if (a != null && a.rule != null) {
                reasons.putIfAbsent(a.rule, a.reason);
            }
        }
        List<Finding> sorted = new ArrayList<>(findings);
        sorted.sort(Comparator.comparing((Finding f) -> f.severity())
                .thenComparing(f -> reasons.containsKey(f.rule())));
        List<Finding> blocking = sorted.stream()
                .filter(f -> f.severity() == Severity.ERROR && !reasons.containsKey(f.rule())).toList();
        LintStatus status = new LintStatus();
        status.before = before;
        status.checkedAt = checkedAt;
        status.errors = count(findings, Severity.ERROR);
        status.blocking = blocking.size();
        status.warnings = count(findings, Severity.WARNING);
        status.notes = count(findings, Severity.NOTE);
        for (Finding f : sorted.subList(0, Math.min(MAX_LISTED, sorted.size()))) {
            LintFindingStatus s = new LintFindingStatus();
            s.rule = f.rule();
            s.severity = f.severity().name();
            s.where = f.where();
            s.message = cut(f.message(), MAX_MESSAGE);
            s.allowedBecause = reasons.get(f.rule());
            status.findings.add(s);
        }
        status.omitted = sorted.size() > MAX_LISTED ? sorted.size() - MAX_LISTED : null;
        return new Verdict(status, blockMessage(blocking), report(sorted, reasons, before));
    }

    private static Optional<String> blockMessage(List<Finding> blocking) {
        if (blocking.isEmpty()) {
            return Optional.empty();
        }
        Finding first = blocking.get(0);
        String more = blocking.size() == 1 ? "" : " (and " + (blocking.size() - 1) + " more ERROR finding(s), listed"
                + " in status.lint)";
        return Optional.of("the SQL safety lint blocks this migration: " + first.describe() + more + ". Change the"
                + " statement as described, or, if the risk is understood, add {rule: " + first.rule() + ", reason:"
                + " ...} to spec.lint.allow");
    }

    private static Optional<String> report(List<Finding> sorted, Map<String, String> reasons, PhaseName before) {
        List<Finding> shown = sorted.stream()
                .filter(f -> f.severity() != Severity.ERROR || reasons.containsKey(f.rule())).toList();
        if (shown.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder b = new StringBuilder("lint before " + before + ": ");
        int listed = 0;
        for (Finding f : shown) {
            if (listed == 3) {
                b.append("; and ").append(shown.size() - 3).append(" more in status.lint");
                break;
            }
            b.append(listed == 0 ? "" : "; ").append(f.rule()).append(" (").append(f.severity())
                    .append(reasons.containsKey(f.rule()) ? ", allowed: " + cut(reasons.get(f.rule()), 200) : "")
                    .append(") at ").append(f.where());
            listed++;
        }
        return Optional.of(b.toString());
    }

    private static int count(List<Finding> findings, Severity severity) {
        return (int) findings.stream().filter(f -> f.severity() == severity).count();
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }
}
