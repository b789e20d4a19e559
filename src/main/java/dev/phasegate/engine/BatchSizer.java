package dev.phasegate.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * Adaptive backfill batch size (rule 7): steers the number of keys per batch towards a target duration. Pure
 * arithmetic on durations it is given; it never reads a clock.
 *
 * <ul>
 *   <li>A batch faster than {@value #HOLD_BAND} of the target grows the size, by at most ×{@value #MAX_GROWTH}
 *       per batch, and never beyond what the measured speed says fits in the target.</li>
 *   <li>A batch slower than the target shrinks at once to what fits (proportional, so a ten times too slow
 *       batch gives a ten times smaller one), and by at least {@code 1 - }{@value #MIN_SHRINK}.</li>
 *   <li>Between the two the size holds, so measurement noise does not make it oscillate.</li>
 *   <li>A lock timeout halves it (fewer rows locked, fewer conflicts); a statement timeout cuts it to what
 *       the timeout says fits, and at least to a quarter.</li>
 *   <li>Always within [min, max] of the current settings. New settings apply to the next batch; a changed
 *       starting size restarts from it.</li>
 * </ul>
 */
public final class BatchSizer {
    public static final double MAX_GROWTH = 1.2;
    public static final double MIN_SHRINK = 0.8;
    public static final double HOLD_BAND = 0.9;

    /** The spec's batch settings, with defaults filled in. */
    public record Settings(int start, int min, int max, Duration target) {
        public Settings {
            Objects.requireNonNull(target, "target");
            if (min < 1 || max < min) {
                throw new IllegalArgumentException("batch bounds must satisfy 1 <= min <= max (min " + min
                        + ", max " + max + ")");
            }
            if (start < 1) {
                throw new IllegalArgumentException("starting batch size must be at least 1 (got " + start + ")");
            }
            if (target.isZero() || target.isNegative()) {
                throw new IllegalArgumentException("target batch duration must be positive (got " + target + ")");
            }
        }

        /** From the spec's optional fields: null means the documented default. */
        public static Settings of(Integer batchSize, Integer minBatchSize, Integer maxBatchSize, Duration target) {
            int min = minBatchSize == null ? 100 : minBatchSize;
            int max = maxBatchSize == null ? 100_000 : maxBatchSize;
            return new Settings(batchSize == null ? 1000 : batchSize, min, Math.max(min, max),
                    target == null || target.isZero() || target.isNegative() ? Duration.ofMillis(200) : target);
        }
    }

    private Settings settings;
    private int size;

    public BatchSizer(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.size = clamp(settings.start());
    }

    /** Keys in the next batch. */
    public int size() {
        return size;
    }

    public Settings settings() {
        return settings;
    }

    /** Takes edited settings for the next batch; returns true if anything changed. */
    public boolean apply(Settings next) {
        Objects.requireNonNull(next, "settings");
        if (next.equals(settings)) {
            return false;
        }
        boolean restart = next.start() != settings.start();
        settings = next;
        size = clamp(restart ? next.start() : size);
        return true;
    }

    /**
     * A batch over {@code keys} keys took {@code took}; returns the next size. A batch that covered fewer keys than
     * the size (the end of a pass) says little about a full batch, so it only ever shrinks the size.
     */
    public int afterBatch(int keys, Duration took) {
        if (keys <= 0) {
            return size;
        }
        double target = settings.target().toNanos();
        double t = Math.max(1.0, took.toNanos());
        double ideal = keys * target / t;
        double next;
        if (t > target) {
            next = Math.min(size * MIN_SHRINK, ideal);
        } else if (t >= target * HOLD_BAND || keys < size) {
            next = size;
        } else {
            next = Math.max(size, Math.min(size * MAX_GROWTH, ideal));
            if (next < size + 1 && ideal >= size + 1) {
                next = size + 1; // small sizes still grow: 1 × 1.2 rounds back to 1
            }
        }
        size = clamp(next);
        return size;
    }

    /** The batch waited longer than lock_timeout for a row or table lock. */
    public int afterLockTimeout() {
        size = clamp(size / 2.0);
        return size;
    }

    /** The batch hit statement_timeout {@code limit}: it did not fit, by an unknown factor. */
    public int afterStatementTimeout(Duration limit) {
        double target = settings.target().toNanos();
        double fits = size * target / Math.max(1.0, limit.toNanos());
        size = clamp(Math.min(size / 4.0, fits));
        return size;
    }

    private int clamp(double wanted) {
        double floored = Math.floor(wanted);
        if (floored < settings.min()) {
            return settings.min();
        }
        if (floored > settings.max()) {
            return settings.max();
        }
        return (int) floored;
    }
}
