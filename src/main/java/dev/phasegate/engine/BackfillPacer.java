package dev.phasegate.engine;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Adaptive backfill pacing: keeps the p99 of a latency probe that reads the backfilled table like the application
 * does within a budget over its baseline, and slows down on replica lag and lock waiters before the health gate has
 * to close. Pure: it is given probe samples and signals, and reads time only from the injected clock.
 *
 * <p>The controlled value is the duty cycle d, the share of wall time spent in batches: the pause after a batch
 * that took t (averaged over recent batches) is t·(1−d)/d, so d = 1 is unpaced and the pace does not depend on the
 * batch size. Control is AIMD (additive increase, multiplicative decrease), chosen because latency over budget is a
 * congestion signal like a lost packet, and AIMD is the scheme known to settle under such a signal without wild
 * oscillation: a breach halves d at once and also halves the batch's target duration (shorter row-lock holds and
 * CPU bursts), while headroom raises them in small steps, at most one step per {@link #STEP_EVERY}, judged only on
 * samples taken since the last change. A PID controller on the p99 would need tuning per database; AIMD needs none
 * beyond the budget.
 *
 * <p>It starts at full speed (d = 1) and lets the first breach bring it down. A cautious start (half speed, doubling
 * while the probe stayed within budget) ran every backfill at half speed for its first half second, a loss with no
 * gain on a quiet database; on a busy one it spared the application a full-speed batch only where half speed
 * already breached within that half second, and otherwise doubled to full speed anyway, as the probe cannot tell
 * that full speed is too much before it has seen it. Starting at full speed exposes the application to one batch,
 * bounded by targetBatchDuration, before the first halving, which follows that batch at once: no
 * {@link #STEP_EVERY} wait applies to a decrease.
 *
 * <p>Row waits, which the probe cannot see (reads never wait for row locks), have a rule of their own: batches that
 * end with a session waiting longer than the allowance for their rows, more than {@link #ROW_WAIT_SHARE} of them,
 * shorten the batch target first and only then halve d (see {@link #ROW_WAIT_SHARE}).
 */
public final class BackfillPacer {
    /** Starting duty cycle: full speed until the probe or the signals show that it is too much. */
    public static final double START_DUTY = 1.0;
    public static final double MIN_DUTY = 0.02;
    /**
     * Sessions queued behind a batch (mostly for rows it holds) that do not count as pressure, whatever
     * maxLockWaiters says: a session or two waiting a moment for a row is what a write-heavy application's own
     * transactions do to each other, and one waiter per batch is far below 1 % of its requests. Counting every one
     * halved the pace after nearly every batch under the benchmark's load (0.46x a single UPDATE, app p99 a quarter
     * of its goal). The probe cannot see row waits (reads never wait for row locks), so the signal is a queue that
     * grows, not one that exists.
     */
    public static final int ROW_WAITERS_TOLERATED = 2;
    /**
     * Share of batches that may end with a session waiting longer than the latency allowance for rows they hold. Each
     * such batch made at least one of the application's requests miss the budget, and the requests queued behind it
     * on that connection wait as long. Unpaced under the benchmark's load (500 transactions a second, a fifth of them
     * updating a random row of the table) about one batch in eight did, and the application's p99 went over its goal
     * in most rounds; shortening batches beyond one in twenty still left it over in one round of three, beyond one
     * in thirty-three in none. Judged only on batches since the last change, and on two at least, so one unlucky
     * batch is not enough.
     */
    public static final double ROW_WAIT_SHARE = 0.03;
    /** Batches with no long row wait that a longer batch target needs: row waits are rare events, 0.5 s says little. */
    public static final int ROW_WAIT_EVIDENCE = 20;
    public static final double ADDITIVE_STEP = 0.05;
    public static final double MIN_TARGET_SCALE = 0.25;
    /** A step up needs this long since the last change, and {@link #MIN_SAMPLES} samples taken in it. */
    public static final Duration STEP_EVERY = Duration.ofMillis(500);
    public static final int MIN_SAMPLES = 25;
    /** Headroom: the window's p99 used at most this share of the allowance over the baseline. */
    public static final double HEADROOM = 0.5;
    /** Weight of the latest batch in the average batch duration the pause is computed from. */
    public static final double TOOK_WEIGHT = 0.3;

    /**
     * @param allowance how much the probe's p99 may rise over its baseline; null: max(25 % of the baseline p99,
     *                  10 ms), the application's goal
     * @param maxPause  the longest pause between two batches, however low the duty cycle
     */
    public record Settings(Duration allowance, Duration maxPause) {
        public Settings {
            Objects.requireNonNull(maxPause, "maxPause");
            if (allowance != null && allowance.isNegative()) {
                throw new IllegalArgumentException("latency allowance must not be negative (got " + allowance + ")");
            }
        }

        public static Settings defaults() {
            return new Settings(null, Duration.ofSeconds(10));
        }
    }

    /**
     * What the database shows besides the probe: sessions waiting for a lock on the table (read between batches),
     * the most sessions seen queued behind the last batch, including its tries that were retried (mostly waiting for
     * rows it had locked: they wait on its transaction, not on the table, and are gone once it commits, so they are
     * counted while it runs), and the replicas' lag. A limit of 0
     * waiters means any waiter counts; a null lag was not measured (no replica).
     */
    public record Signals(int lockWaiters, int queuedBehindBatch, int maxLockWaiters, Duration replicaLag,
            Duration maxReplicaLag, Duration waitedAtCommit) {
        public static final Signals NONE = new Signals(0, 0, 0, null, null);

        /** Without a reading at commit. */
        public Signals(int lockWaiters, int queuedBehindBatch, int maxLockWaiters, Duration replicaLag,
                Duration maxReplicaLag) {
            this(lockWaiters, queuedBehindBatch, maxLockWaiters, replicaLag, maxReplicaLag, Duration.ZERO);
        }

        /** waitedAtCommit: the longest wait of the sessions queued behind the batch just before it committed. */
        public Signals {
            waitedAtCommit = waitedAtCommit == null ? Duration.ZERO : waitedAtCommit;
        }

        /** Why to slow down, or null. Half the health gate's limit: early enough that the gate need not close. */
        String pressure() {
            if (lockWaiters > maxLockWaiters / 2) {
                return lockWaiters + " session(s) waiting for a lock on the table";
            }
            if (queuedBehindBatch > Math.max(maxLockWaiters / 2, ROW_WAITERS_TOLERATED)) {
                return queuedBehindBatch + " session(s) queued behind our last batch (for rows or locks it held)";
            }
            if (replicaLag != null && maxReplicaLag != null
                    && replicaLag.compareTo(maxReplicaLag.dividedBy(2)) > 0) {
                return "replica lag " + HealthPolicy.show(replicaLag) + " over half of maxReplicationLag "
                        + HealthPolicy.show(maxReplicaLag);
            }
            return null;
        }
    }

    /**
     * The current pace: the duty cycle, the factor on targetBatchDuration, the pause after a batch that took
     * {@code took}, and why in a few words.
     */
    public record Pace(double duty, double targetScale, Duration pause, String why) {
    }

    private final Settings settings;
    private final Clock clock;
    private final List<Duration> window = new ArrayList<>();
    private Duration baselineP99;
    private Duration budget;
    private double duty = START_DUTY;
    private double targetScale = 1.0;
    private Instant changedAt;
    private Duration lastTook = Duration.ZERO;
    /** Batches since the last change, and how many of them ended with a session waiting over the allowance. */
    private int batches;
    private int longRowWaits;
    /** The target was shortened for row waits: it grows back only after {@link #ROW_WAIT_EVIDENCE} batches without. */
    private boolean shortenedForRows;
    private String why = "measuring the probe's baseline";

    public BackfillPacer(Settings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.changedAt = clock.instant();
    }

    /** The probe's latencies before the first batch; sets the budget. */
    public void baseline(List<Duration> samples) {
        baselineP99 = samples.isEmpty() ? Duration.ZERO : p99(samples);
        Duration allowance = settings.allowance() != null ? settings.allowance()
                : max(Duration.ofNanos(baselineP99.toNanos() / 4), Duration.ofMillis(10));
        budget = baselineP99.plus(allowance);
        changedAt = clock.instant();
        why = "starting at " + percent(duty) + " of full speed; probe p99 baseline " + ms(baselineP99)
                + ", budget " + ms(budget);
    }

    public Duration budget() {
        return budget;
    }

    /**
     * After a batch that took {@code took}: the probe samples taken since the last call and the other signals.
     * Returns the pace for the next pause and batch.
     */
    public Pace afterBatch(Duration took, List<Duration> samples, Signals signals) {
        if (budget == null) {
            throw new IllegalStateException("baseline() first");
        }
        // Smoothed: one batch slowed by a passing disturbance should not set the next pause on its own.
        lastTook = lastTook.isZero() ? took : Duration.ofNanos((long) (lastTook.toNanos() * (1 - TOOK_WEIGHT)
                + took.toNanos() * TOOK_WEIGHT));
        window.addAll(samples);
        batches++;
        if (signals.waitedAtCommit().compareTo(budget.minus(baselineP99)) > 0) {
            longRowWaits++;
        }
        String pressure = signals.pressure();
        int over = (int) window.stream().filter(d -> d.compareTo(budget) > 0).count();
        // p99 over budget: more than 1 % of the window, and at least two samples, so one stray sample is not enough.
        boolean breach = over >= 2 && over * 100 > window.size();
        if (pressure != null || breach) {
            duty = Math.max(MIN_DUTY, duty / 2);
            if (took.compareTo(Duration.ofMillis(50)) > 0) {
                targetScale = Math.max(MIN_TARGET_SCALE, targetScale / 2);
            }
            why = (pressure != null ? pressure : "probe p99 " + ms(p99(window)) + " over budget "
                    + ms(budget)) + "; slowed to " + percent(duty);
            changed();
        } else if (longRowWaits >= 2 && longRowWaits > ROW_WAIT_SHARE * batches) {
            // A session waits at most one batch for its rows, and a shorter batch holds fewer rows for less time: the
            // cheaper cure. Pausing only spaces the waits out, so the duty cycle halves only once batches are short.
            String waits = longRowWaits + " of the last " + batches + " batches ended with a session waiting over "
                    + ms(budget.minus(baselineP99)) + " for rows they held";
            if (targetScale > MIN_TARGET_SCALE) {
                targetScale = Math.max(MIN_TARGET_SCALE, targetScale / 2);
                shortenedForRows = true;
                why = waits + "; batches shortened to " + percent(targetScale) + " of targetBatchDuration";
            } else {
                duty = Math.max(MIN_DUTY, duty / 2);
                why = waits + "; slowed to " + percent(duty);
            }
            changed();
        } else if (window.size() >= MIN_SAMPLES
                && !clock.instant().isBefore(changedAt.plus(STEP_EVERY)) && (duty < 1 || targetScale < 1)) {
            Duration p99 = p99(window);
            Duration headroom = baselineP99.plus(Duration.ofNanos(
                    (long) (budget.minus(baselineP99).toNanos() * HEADROOM)));
            boolean rowsQuiet = !shortenedForRows || longRowWaits == 0 && batches >= ROW_WAIT_EVIDENCE;
            if (p99.compareTo(headroom) <= 0 && (targetScale == 1 || rowsQuiet)) {
                if (targetScale < 1) {
                    targetScale = Math.min(1, targetScale * 2);
                    shortenedForRows = shortenedForRows && targetScale < 1;
                } else {
                    duty = Math.min(1, duty + ADDITIVE_STEP);
                }
                why = "probe p99 " + ms(p99) + " within budget " + ms(budget)
                        + "; sped up to " + percent(duty);
                changed();
            } else if (p99.compareTo(headroom) <= 0) {
                why = "batches kept at " + percent(targetScale) + " of targetBatchDuration until "
                        + ROW_WAIT_EVIDENCE + " in a row leave nobody waiting long for rows";
            } else {
                why = "probe p99 " + ms(p99) + " near budget " + ms(budget)
                        + "; holding " + percent(duty);
            }
        }
        return pace();
    }

    /** The pace now, for the pause after the last batch. */
    public Pace pace() {
        long took = lastTook.toNanos();
        long pauseNanos = duty >= 1 ? 0 : (long) (took * (1 - duty) / duty);
        Duration pause = min(Duration.ofNanos(pauseNanos), settings.maxPause());
        return new Pace(duty, targetScale, pause, why);
    }

    private void changed() {
        window.clear();
        batches = 0;
        longRowWaits = 0;
        changedAt = clock.instant();
    }

    static Duration p99(List<Duration> samples) {
        List<Duration> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        int i = (int) Math.ceil(0.99 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** {@code 2.4ms}: probe latencies are often below a millisecond. */
    static String ms(Duration d) {
        return String.format(Locale.ROOT, "%.1fms", d.toNanos() / 1e6);
    }

    private static String percent(double d) {
        return String.format(Locale.ROOT, "%.0f%%", d * 100);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
