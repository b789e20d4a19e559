package dev.phasegate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** `make demo` on the quickstart: every phase in order, the waits honoured, ending Succeeded with exit code 0. */
class DemoIT {
    @Test
    void quickstartRunsThroughEveryPhaseToSucceeded() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try (PrintStream tee = new PrintStream(new TeeStream(original, captured), true, StandardCharsets.UTF_8)) {
            System.setOut(tee);
            code = Demo.execute(new String[] {"examples/quickstart.yaml"});
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();
        assertThat(out).contains("finished: Succeeded");
        int last = -1;
        for (String phase : List.of("CompatibleSchema", "CodeDeploy", "Backfill", "Cleanup", "Succeeded")) {
            int at = out.indexOf("  " + phase + " ");
            assertThat(at).as("%s appears after the previous phase in:%n%s", phase, out).isGreaterThan(last);
            last = at;
        }
        assertThat(out).contains("WaitingPeriod", "WaitingForRollout", "BackfillRunning", "Verifying");
    }

    /** Copies what the demo prints to the console and to a buffer. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
