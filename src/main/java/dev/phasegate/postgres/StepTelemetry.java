package dev.phasegate.postgres;

import dev.phasegate.api.Reason;
import java.time.Duration;

/**
 * What the database classes tell the operator's metrics as it happens. Every method does nothing by default, so the
 * classes here stay free of any metrics library and tests pass {@link #NONE}. Implementations must not block: they
 * are called on step and probe threads. {@code migration} is the migration's namespace/name; nothing here carries SQL
 * text, session pids, keys or error messages, only enum reasons and numbers.
 */
public interface StepTelemetry {
    /** Reports nothing. */
    StepTelemetry NONE = new StepTelemetry() {
    };

    /** A statement of a phase (or of its rollback) was applied and journaled. */
    default void statementApplied(String migration) {
    }

    /** A statement failed for good or ended its step (the reason is the step's). */
    default void statementFailed(String migration, Reason reason) {
    }

    /** A statement or batch timed out on a lock (lock_timeout) and will be tried again after a backoff. */
    default void lockTimeoutRetry(String migration) {
    }

    /** The lock watchdog cancelled our statement or batch. */
    default void watchdogCancel(String migration, Reason reason) {
    }

    /** A step found the database's runner lock held by another runner and did not start. */
    default void runnerLockBusy(String migration) {
    }

    /** A backfill batch committed {@code rows} rows in {@code took}. */
    default void backfillBatch(String migration, long rows, Duration took) {
    }

    /** A health probe of the migration's database finished (successfully or not) after {@code took}. */
    default void healthProbe(String migration, Duration took) {
    }

    /** The health gate went from open to closed, for this reason. */
    default void healthGateClosed(String migration, Reason reason) {
    }
}
