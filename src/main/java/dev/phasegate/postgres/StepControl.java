package dev.phasegate.postgres;

import dev.phasegate.api.Reason;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/** Lets the reconciler stop a running step: at the next safe point (pause), or at once by cancelling (abort). */
public final class StepControl {
    private volatile Reason stopReason;
    private volatile Statement running;

    /** Ask the step to stop before its next statement or batch. */
    public void requestStop(Reason reason) {
        stopReason = reason;
    }

    /** Stop now: cancel the running statement (the server cancels it, like pg_cancel_backend). */
    public void cancelNow(Reason reason) {
        stopReason = reason;
        Statement s = running;
        if (s != null) {
            try {
                s.cancel();
            } catch (SQLException ignored) {
                // the statement may have ended meanwhile; the stop flag still ends the step
            }
        }
    }

    /** Cancels the running statement only (the watchdog's breach): the step decides whether to retry. */
    void cancelRunning() {
        Statement s = running;
        if (s != null) {
            try {
                s.cancel();
            } catch (SQLException ignored) {
                // the statement ended meanwhile: nothing left to protect the queue from
            }
        }
    }

    public boolean stopRequested() {
        return stopReason != null;
    }

    public Reason stopReason() {
        return stopReason;
    }

    /**
     * Registers the statement about to run, so that cancelNow can cancel it. A stop asked for before it was
     * registered finds nothing to cancel (and a cancel that reaches an idle session is dropped by the server), so
     * once a stop is asked no statement may start: it fails as cancelled instead.
     */
    void running(Statement s) throws SQLException {
        running = s;
        if (s != null && stopRequested()) {
            running = null;
            throw new SQLException("stop requested before the statement started", SqlFailure.QUERY_CANCELED);
        }
    }

    /** Sleeps in small slices so that a stop request ends the wait quickly. Returns false if stopped. */
    boolean sleep(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            if (stopRequested()) {
                return false;
            }
            try {
                Thread.sleep(Math.min(50, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return !stopRequested();
    }
}
