package dev.phasegate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** `make demo` on the quickstart: every phase in order, the waits honoured, ending Succeeded with exit code 0. */
class DemoIT {
    @Test
    void quickstartRunsThroughEveryPhaseToSucceeded() throws Exception {
        DemoOutput run = DemoOutput.capture(() -> Demo.execute(new String[] {"examples/quickstart.yaml"}));
        String out = run.text();
        assertThat(run.code()).as(out).isZero();
        assertThat(out).contains("finished: Succeeded");
        run.assertPhasesInOrder();
        assertThat(out).contains("WaitingPeriod", "WaitingForRollout", "BackfillRunning", "Verifying");
    }
}
