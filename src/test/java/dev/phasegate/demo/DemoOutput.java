package dev.phasegate.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** What a demo run returned and printed; the output still reaches the console while it is captured. */
record DemoOutput(int code, String text) {

    /** A demo run that returns its exit code. */
    interface Run {
        int run() throws Exception;
    }

    static DemoOutput capture(Run run) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try (PrintStream tee = new PrintStream(new TeeStream(original, captured), true, StandardCharsets.UTF_8)) {
            System.setOut(tee);
            code = run.run();
        } finally {
            System.setOut(original);
        }
        return new DemoOutput(code, captured.toString(StandardCharsets.UTF_8));
    }

    /** The timeline shows every phase of the quickstart, in order, ending Succeeded. */
    void assertPhasesInOrder() {
        int last = -1;
        for (String phase : List.of("CompatibleSchema", "CodeDeploy", "Backfill", "Cleanup", "Succeeded")) {
            int at = text.indexOf("  " + phase + " ");
            assertThat(at).as("%s appears after the previous phase in:%n%s", phase, text).isGreaterThan(last);
            last = at;
        }
    }

    /** Copies what the demo prints to the console and to a buffer. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
