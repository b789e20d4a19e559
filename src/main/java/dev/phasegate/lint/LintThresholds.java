package dev.phasegate.lint;

/**
 * Where a table stops being small: a scan or rewrite of a small table under a strong lock is a NOTE (it takes
 * milliseconds), of any larger one an ERROR. A table is small when both its row estimate and its size are at or
 * below these bounds.
 */
public record LintThresholds(long smallTableRows, long smallTableBytes) {

    /** 10,000 rows and 10 MiB: a rewrite of that much finishes well within a second on ordinary hardware. */
    public static final LintThresholds DEFAULT = new LintThresholds(10_000, 10L * 1024 * 1024);

    public LintThresholds {
        if (smallTableRows < 0 || smallTableBytes < 0) {
            throw new IllegalArgumentException("thresholds must not be negative");
        }
    }
}
