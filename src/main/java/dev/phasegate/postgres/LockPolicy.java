package dev.phasegate.postgres;

import dev.phasegate.api.Durations;
import dev.phasegate.api.LocksSpec;
import java.time.Duration;

/** Lock and time bounds of one step, from spec.locks. retryBase is not in the spec: tests shorten it. */
public record LockPolicy(Duration lockTimeout, Duration statementTimeout, int retries, Duration retryBase,
        Duration retryCap, Duration indexBuildMaxWait, int maxBlockedQueries, Duration maxBlockedWait) {

    public static LockPolicy from(LocksSpec l) {
        LocksSpec d = l == null ? new LocksSpec() : l;
        return new LockPolicy(Durations.parse(d.lockTimeout), Durations.parse(d.statementTimeout),
                d.retries == null ? 10 : d.retries, Duration.ofSeconds(1), Duration.ofSeconds(60),
                Durations.parse(d.indexBuildMaxWait), d.maxBlockedQueries == null ? 5 : d.maxBlockedQueries,
                Durations.parse(d.maxBlockedWait));
    }

    public LockPolicy withRetryBase(Duration base) {
        return new LockPolicy(lockTimeout, statementTimeout, retries, base, retryCap, indexBuildMaxWait,
                maxBlockedQueries, maxBlockedWait);
    }

    public LockPolicy withMaxBlockedWait(Duration wait) {
        return new LockPolicy(lockTimeout, statementTimeout, retries, retryBase, retryCap, indexBuildMaxWait,
                maxBlockedQueries, wait);
    }

    /** Jittered exponential backoff: base doubling to the cap, then a random point in its upper half. */
    public Duration backoff(int retry, double random) {
        long base = retryBase.toMillis() << Math.min(Math.max(retry - 1, 0), 20);
        long capped = Math.min(base, retryCap.toMillis());
        return Duration.ofMillis(capped / 2 + (long) (capped / 2.0 * random));
    }
}
