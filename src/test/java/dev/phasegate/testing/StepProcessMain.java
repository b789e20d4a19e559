package dev.phasegate.testing;

import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.PhaseName;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.postgres.ConnectionSettings;
import dev.phasegate.postgres.LockPolicy;
import dev.phasegate.postgres.SessionSettings;
import dev.phasegate.postgres.SqlStepExecutor;
import dev.phasegate.postgres.StepControl;
import java.time.Duration;

/**
 * A runner in a JVM of its own, so that a test can kill it with SIGKILL as an OOMKill or an eviction would: its
 * sockets are closed by the kernel, no finally block or shutdown hook runs.
 * Arguments: jdbcUrl user namespace name sql; the password comes from PHASEGATE_TEST_PASSWORD.
 */
public final class StepProcessMain {
    private StepProcessMain() {
    }

    public static void main(String[] args) {
        String jdbcUrl = args[0];
        String user = args[1];
        String namespace = args[2];
        String name = args[3];
        String sql = args[4];
        LockPolicy policy = LockPolicy.from(new LocksSpec()).withRetryBase(Duration.ofMillis(100));
        SqlStepExecutor.SqlStep step = new SqlStepExecutor.SqlStep("uid-" + name, namespace + "/" + name,
                PhaseName.CompatibleSchema, false, sql,
                new ConnectionSettings(jdbcUrl, user, System.getenv("PHASEGATE_TEST_PASSWORD")),
                SessionSettings.forMigration(namespace, name, policy.lockTimeout(), policy.statementTimeout()), policy,
                null);
        System.out.println("started");
        StepObservation result = new SqlStepExecutor().run(step, (done, total, waiting, detail) ->
                System.out.println("progress " + done + "/" + total + " " + detail), new StepControl());
        System.out.println("result " + result);
    }

    /** Starts it with the test's own classpath and Java. */
    public static Process start(PostgresDatabase db, String namespace, String name, String sql) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                StepProcessMain.class.getName(), db.jdbcUrl(), db.user(), namespace, name, sql);
        pb.environment().put("PHASEGATE_TEST_PASSWORD", db.password());
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        return pb.start();
    }

    /** kill -9: no JVM shutdown, no socket closed by our code. */
    public static void killHard(Process p) throws Exception {
        Process kill = new ProcessBuilder("kill", "-9", String.valueOf(p.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -9 " + p.pid() + " failed");
        }
        p.waitFor();
    }
}
