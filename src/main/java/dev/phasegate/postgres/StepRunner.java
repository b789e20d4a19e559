package dev.phasegate.postgres;

import dev.phasegate.api.Reason;
import dev.phasegate.engine.StepObservation;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Runs long steps off the reconcile thread. A thread per running step, not a fixed pool: a days-long backfill on one
 * database must not make another migration's step, or an abort's rollback, wait for a free thread.
 */
public final class StepRunner implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StepRunner.class);

    /** The work of a step: given its control and a progress sink, returns how it ended. */
    public interface Work extends Function<StepContext, StepObservation> {
    }

    /** What a running step may use: its stop control and a way to report progress. */
    public record StepContext(StepControl control, Consumer<StepObservation> progress) {
    }

    /** One step in flight or finished: who started it (the object's UID), how far it is, and its stop control. */
    public static final class Step {
        private final String owner;
        private final StepControl control = new StepControl();
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile StepObservation state;

        private Step(String owner, StepObservation initial) {
            this.owner = owner;
            this.state = initial;
        }

        public String owner() {
            return owner;
        }

        public StepObservation state() {
            return state;
        }

        public boolean finished() {
            return done.getCount() == 0;
        }

        /** Stop at the next safe point (pause, abort before the next statement or batch). */
        public void requestStop(Reason reason) {
            if (!finished()) {
                control.requestStop(reason);
            }
        }

        /** Stop now: cancel the running statement. */
        public void cancel(Reason reason) {
            if (!finished()) {
                control.cancelNow(reason);
            }
        }

        /** Waits until the step's thread is done with the database (its sessions closed). */
        public boolean awaitFinished(Duration atMost) {
            try {
                return done.await(atMost.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private final ExecutorService pool;

    /** As many steps at once as are started: a migration's step never waits for another's. */
    public StepRunner() {
        this("phasegate-step", 0);
    }

    /**
     * At most {@code threads} steps at once, the others queued in order (0: no bound). For short steps that may come
     * in bursts, like the plan of hundreds of migrations applied together, which would otherwise open as many
     * sessions on the database, and threads in the operator, at the same moment.
     */
    public StepRunner(String threadName, int threads) {
        ThreadFactory named = r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        };
        if (threads == 0) {
            pool = Executors.newCachedThreadPool(named);
        } else {
            ThreadPoolExecutor bounded = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), named);
            bounded.allowCoreThreadTimeOut(true);
            pool = bounded;
        }
    }

    /** Starts the work; onChange runs after every progress report and at the end. */
    public Step start(String owner, StepObservation initial, Work work, Runnable onChange) {
        Step step = new Step(owner, initial);
        pool.execute(() -> {
            StepObservation result;
            try {
                result = work.apply(new StepContext(step.control, p -> {
                    if (!step.finished()) {
                        step.state = p;
                        onChange.run();
                    }
                }));
            } catch (RuntimeException e) {
                LOG.errorf("step of %s failed unexpectedly: %s", owner, e.getClass().getName());
                result = failedLike(initial, Reason.SqlError, "internal error: " + e.getClass().getSimpleName());
            }
            step.state = result;
            step.done.countDown();
            onChange.run();
        });
        return step;
    }

    private static StepObservation failedLike(StepObservation initial, Reason reason, String message) {
        if (initial instanceof StepObservation.Running r) {
            return new StepObservation.Failed(r.phase(), r.rollback(), r.statementsDone(), reason, message, true);
        }
        throw new IllegalStateException("a step starts as Running");
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
