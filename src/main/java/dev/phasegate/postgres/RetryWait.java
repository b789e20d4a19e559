package dev.phasegate.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The wait before a lock retry: until the jittered timer, or earlier, as soon as the transactions that blocked the
 * last try are over. A retry while they run would only time out again and queue the application behind us once more;
 * a retry right after they end finds the lock free. When they cannot be named, the timer alone decides.
 */
final class RetryWait {
    private static final Logger LOG = Logger.getLogger(RetryWait.class);
    /** One pg_locks read per poll on the idle watcher connection. */
    static final Duration POLL = Duration.ofMillis(100);
    /** A little jitter even then, so that runners released by one commit do not all ask at once. */
    static final Duration JITTER = Duration.ofMillis(100);

    private RetryWait() {
    }

    /** How the wait ended. */
    enum Outcome { BLOCKERS_GONE, TIMER, STOPPED }

    /**
     * {@code  as soon as the transaction(s) of pid 42 end, at the latest in 900 ms}; {@code  in 900 ms (blocked by
     * a prepared transaction ..., which cannot be watched)} when a blocker was seen but cannot be watched; or
     * {@code  in 900 ms}.
     */
    static String when(Optional<Blockers> blockers, Duration timer) {
        String in = " in " + timer.toMillis() + " ms";
        if (blockers.isEmpty()) {
            return in;
        }
        Blockers b = blockers.get();
        if (b.complete()) {
            return " as soon as the transaction(s) of " + b.describe() + " end, at the latest" + in;
        }
        return in + (b.prepared() ? " (blocked by " + b.describe() + ", which cannot be watched)" : "");
    }

    /** Waits for the timer, or until the blockers are over when they are {@link Blockers#complete() complete}. */
    static Outcome await(Connection watcher, Optional<Blockers> blockers, Duration timer, StepControl control,
            double random) {
        long end = System.nanoTime() + timer.toNanos();
        Optional<Blockers> watched = blockers.filter(Blockers::complete);
        while (watched.isPresent()) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return Outcome.TIMER;
            }
            try {
                if (!watched.get().anyRunning(watcher)) {
                    long jitter = Math.min(left, (long) (JITTER.toNanos() * random));
                    return control.sleep(Duration.ofNanos(jitter)) ? Outcome.BLOCKERS_GONE : Outcome.STOPPED;
                }
            } catch (SQLException e) {
                LOG.debugf("cannot see the blocking transactions (%s); waiting for the timer", SqlFailure.serverText(e));
                break;
            }
            if (!control.sleep(Duration.ofNanos(Math.min(left, POLL.toNanos())))) {
                return Outcome.STOPPED;
            }
        }
        long left = Math.max(0, end - System.nanoTime());
        return control.sleep(Duration.ofNanos(left)) ? Outcome.TIMER : Outcome.STOPPED;
    }
}
