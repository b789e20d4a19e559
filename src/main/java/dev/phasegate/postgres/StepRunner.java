package dev.phasegate.postgres;

import dev.phasegate.api.Reason;
import dev.phasegate.engine.StepObservation;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Runs long steps off the reconcile thread, one per migration, and keeps their progress and result until the
 * reconciler has recorded it. Every change triggers a reconcile of the migration through the callback.
 */
public final class StepRunner implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StepRunner.class);

    /** The work of a step: given its control and a progress sink, returns how it ended. */
    public interface Work extends Function<StepContext, StepObservation> {
    }

    /** What a running step may use: its stop control and a way to report progress. */
    public record StepContext(StepControl control, Consumer<StepObservation> progress) {
    }

    private record Handle(String owner, StepControl control, StepObservation state, boolean finished) {
    }

    private final ExecutorService pool;
    private final Consumer<String> onChange;
    private final Map<String, Handle> steps = new ConcurrentHashMap<>();

    public StepRunner(int threads, Consumer<String> onChange) {
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "phasegate-step");
            t.setDaemon(true);
            return t;
        });
        this.onChange = onChange;
    }

    /** The step's state for this migration (key), or Idle; a step of an older object with the same name is ignored. */
    public StepObservation observe(String key, String owner) {
        Handle h = steps.get(key);
        return h == null || !h.owner().equals(owner) ? StepObservation.idle() : h.state();
    }

    /** Starts the work unless a step of this migration is running or its result is not yet recorded. */
    public boolean submit(String key, String owner, StepObservation initial, Work work) {
        StepControl control = new StepControl();
        Handle fresh = new Handle(owner, control, initial, false);
        if (steps.putIfAbsent(key, fresh) != null) {
            return false;
        }
        pool.submit(() -> {
            StepObservation result;
            try {
                result = work.apply(new StepContext(control, p -> update(key, control, p, false)));
            } catch (RuntimeException e) {
                LOG.errorf("step of %s failed unexpectedly: %s", key, e.toString());
                result = failedLike(initial, Reason.SqlError, "internal error: " + e.getClass().getSimpleName());
            }
            update(key, control, result, true);
        });
        return true;
    }

    private void update(String key, StepControl control, StepObservation state, boolean finished) {
        steps.computeIfPresent(key, (k, h) -> h.control() == control ? new Handle(h.owner(), control, state,
                finished) : h);
        onChange.accept(key);
    }

    /** Forgets a finished step's result once it is in status. */
    public void acknowledge(String key) {
        steps.computeIfPresent(key, (k, h) -> h.finished() ? null : h);
    }

    public void requestStop(String key, Reason reason) {
        Handle h = steps.get(key);
        if (h != null && !h.finished()) {
            h.control().requestStop(reason);
        }
    }

    public void cancel(String key, Reason reason) {
        Handle h = steps.get(key);
        if (h != null && !h.finished()) {
            h.control().cancelNow(reason);
        }
    }

    private static StepObservation failedLike(StepObservation initial, Reason reason, String message) {
        if (initial instanceof StepObservation.Running r) {
            return new StepObservation.Failed(r.phase(), r.rollback(), r.statementsDone(), reason, message, true);
        }
        throw new IllegalStateException("a step starts as Running");
    }

    @Override
    public void close() {
        steps.values().forEach(h -> h.control().cancelNow(Reason.Aborting));
        pool.shutdownNow();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
