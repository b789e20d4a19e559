package dev.phasegate.engine;

import dev.phasegate.api.Reason;
import java.time.Duration;

/** Cool-down before another attempt of a phase whose attempt ended without finishing. */
public final class Backoff {
    private static final Duration LOCK_BASE = Duration.ofMinutes(1);
    private static final Duration LOCK_CAP = Duration.ofMinutes(15);
    private static final Duration ACCESS_BASE = Duration.ofSeconds(15);
    private static final Duration ACCESS_CAP = Duration.ofMinutes(5);

    private Backoff() {
    }

    public static Duration cooldown(Reason reason, int attempts) {
        return switch (reason) {
            case RunnerBusy -> Duration.ofSeconds(5);
            case Paused, Aborting -> Duration.ZERO;
            case LockRetriesExhausted, BlockedQueries, IndexBuildWaitExceeded, StatementTimeout ->
                    exponential(LOCK_BASE, LOCK_CAP, attempts);
            default -> exponential(ACCESS_BASE, ACCESS_CAP, attempts);
        };
    }

    private static Duration exponential(Duration base, Duration cap, int attempts) {
        int shift = Math.max(0, Math.min(attempts - 1, 20));
        Duration d = base.multipliedBy(1L << shift);
        return d.compareTo(cap) > 0 ? cap : d;
    }
}
