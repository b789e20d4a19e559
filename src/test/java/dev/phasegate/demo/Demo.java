package dev.phasegate.demo;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.PostgresCluster;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * `make demo`: a throwaway PostgreSQL (or DATABASE_URL), the Fabric8 mock API server in-process and the operator;
 * applies a migration, plays the Deployment's rollout, prints every transition, and exits non-zero on Failed.
 * `make demo-cluster` (-Dphasegate.demo.cluster=true) runs the same on the real local control plane and ends with
 * the real kubectl get and describe. Test scope only: neither the emulator nor the demo ships in the operator.
 */
public final class Demo {
    private static final Duration LIMIT = Duration.ofMinutes(10);
    /** Seconds always shown: LocalTime.toString() drops them on a full minute and shifts the columns. */
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    public static void main(String[] args) {
        quietLogs();
        int code = 1;
        try {
            code = execute(args);
        } catch (Exception | Error e) {
            // exec:java would wait forever on the mock server's threads and print nothing: say it, then exit.
            System.out.println("demo: failed: " + e);
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                System.out.println("demo:   caused by " + c);
            }
        } finally {
            System.exit(code);
        }
    }

    /**
     * Runs the demo on the mock API server, or with -Dphasegate.demo.cluster=true on a real control plane started
     * for it, and returns its exit code: 0 when the migration ends Succeeded or RolledBack, else non-zero.
     */
    public static int execute(String[] args) throws Exception {
        if (Boolean.getBoolean("phasegate.demo.cluster")) {
            say("starting a real Kubernetes control plane from " + KubeControlPlane.binariesDir() + " ...");
            return execute(args, () -> new ControlPlaneDemoApi(KubeControlPlane.start(), true), null);
        }
        return execute(args, MockDemoApi::new, null);
    }

    /**
     * The demo on a control plane that is already running (the caller stops it), in namespace instead of the
     * migration file's, so it leaves other tests' namespaces alone.
     */
    public static int execute(String[] args, KubeControlPlane kube, String namespace) throws Exception {
        return execute(args, () -> new ControlPlaneDemoApi(kube, false), namespace);
    }

    private static int execute(String[] args, Supplier<DemoApi> api, String namespace) throws Exception {
        Path migrationFile = Path.of(args.length > 0 && !args[0].isBlank() ? args[0] : "examples/quickstart.yaml");
        String databaseUrl = System.getProperty("phasegate.databaseUrl", "");
        int code;
        PostgresCluster throwaway = null;
        try {
            Target target;
            if (databaseUrl.isBlank()) {
                say("starting a throwaway PostgreSQL from the system binaries ...");
                throwaway = PostgresCluster.builder().start();
                throwaway.createDatabase("demo");
                target = new Target(throwaway.jdbcUrl("demo"), throwaway.superuser(), throwaway.superuserPassword());
                Path seed = seedFor(migrationFile);
                if (seed != null) {
                    say("seeding it with " + seed);
                    try (Connection c = throwaway.connect("demo"); Statement s = c.createStatement()) {
                        s.execute(Files.readString(seed));
                    }
                }
            } else {
                target = Target.parse(databaseUrl);
                say("using the database at " + target.describe());
                try (Connection c = DriverManager.getConnection(target.url(), target.user(), target.password())) {
                    c.isValid(5);
                }
            }
            if (dryRun()) {
                code = DryRun.run(migrationFile, target);
            } else {
                try (DemoApi kube = api.get()) {
                    code = run(migrationFile, target, kube, namespace);
                }
            }
        } finally {
            if (throwaway != null) {
                throwaway.close();
            }
        }
        return code;
    }

    private static int run(Path migrationFile, Target target, DemoApi kube, String namespace) throws Exception {
        kube.announce();
        KubeFixtures fx = new KubeFixtures(kube.client());
        SchemaMigration m = kube.client().getKubernetesSerialization()
                .unmarshal(Files.readString(migrationFile), SchemaMigration.class);
        String ns = namespace != null ? namespace : Objects.requireNonNullElse(m.getMetadata().getNamespace(), "default");
        String name = m.getMetadata().getName();
        kube.prepare(ns);
        fx.secret(ns, m.getSpec().database.secretRef.name, target.url(), target.user(), target.password());
        say("created Secret " + ns + "/" + m.getSpec().database.secretRef.name + " from the database URL");
        Rollout rollout = null;
        if (m.getSpec().application != null) {
            var app = m.getSpec().application;
            String container = app.container == null ? "app" : app.container;
            String oldImage = app.image.replaceAll(":[^:/]+$", "") + ":previous";
            kube.createDeployment(ns, app.deployment, container, oldImage, 3);
            say("created Deployment " + ns + "/" + app.deployment + " running " + oldImage + " (3 replicas)");
            rollout = s -> kube.playRollout(ns, app.deployment, container, app.image, s);
        }
        fx.migration(ns, Files.readString(migrationFile));
        say("applied " + migrationFile + " (SchemaMigration " + ns + "/" + name + ")");
        System.out.printf("%n%-8s  %-16s  %-8s  %-24s  %s%n", "TIME", "PHASE", "STATE", "REASON", "MESSAGE");
        int code = watch(fx, ns, name, rollout);
        kube.showResult(ns, name);
        return code;
    }

    private static int watch(KubeFixtures fx, String ns, String name, Rollout rollout) throws InterruptedException {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            SchemaMigration m = fx.get(ns, name);
            SchemaMigrationStatus s = m == null ? null : m.getStatus();
            if (s != null && s.phase != null) {
                String line = String.format("%-16s  %-8s  %-24s  %s", s.phase, s.state, s.reason,
                        s.message == null ? "" : s.message);
                if (!line.equals(last)) {
                    System.out.println(LocalTime.now().format(CLOCK) + "  " + line);
                    last = line;
                }
                if (rollout != null) {
                    rollout.play(s);
                }
                boolean needsPerson = s.state == dev.phasegate.api.MigrationState.Blocked && s.conditions != null
                        && s.conditions.stream().anyMatch(c -> "Degraded".equals(c.type) && "True".equals(c.status));
                if (needsPerson) {
                    System.out.println();
                    say("stopped: " + s.phase + " is Blocked (" + s.reason + ") and needs a person; fix the migration"
                            + " and run the demo again");
                    return 1;
                }
                if (s.phase.isTerminal()) {
                    System.out.println();
                    say("finished: " + s.phase + " (" + s.reason + ")");
                    return s.phase == MigrationPhase.Failed ? 1 : 0;
                }
            }
            Thread.sleep(200);
        }
        say("gave up after " + LIMIT.toMinutes() + " minutes");
        return 2;
    }

    /** DRY_RUN=1 (or true): print the lint and the plan instead of running the migration. */
    static boolean dryRun() {
        String v = System.getProperty("phasegate.demo.dryRun", "");
        return v.equals("1") || v.equalsIgnoreCase("true");
    }

    /** The quickstart's seed; another migration file gets a seed if a file named NAME-seed.sql lies beside it. */
    private static Path seedFor(Path migration) {
        String file = migration.getFileName().toString().replaceAll("\\.ya?ml$", "") + "-seed.sql";
        Path seed = migration.resolveSibling(file);
        return Files.exists(seed) ? seed : null;
    }

    /** The demo prints its own timeline; library chatter (mock server, informers) would bury it. */
    private static void quietLogs() {
        java.util.logging.LogManager.getLogManager().reset();
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(java.util.logging.Level.SEVERE);
        java.util.logging.ConsoleHandler h = new java.util.logging.ConsoleHandler();
        h.setLevel(java.util.logging.Level.SEVERE);
        root.addHandler(h);
    }

    static void say(String s) {
        System.out.println("demo: " + s);
    }

    /** What happens outside the operator during CodeDeploy, played on every poll. */
    private interface Rollout {
        void play(SchemaMigrationStatus s);
    }

    /** A JDBC URL with user and password in its query, split so credentials go into a Secret, not the URL. */
    record Target(String url, String user, String password) {
        static Target parse(String databaseUrl) {
            int q = databaseUrl.indexOf('?');
            String base = q < 0 ? databaseUrl : databaseUrl.substring(0, q);
            Map<String, String> params = new LinkedHashMap<>();
            if (q >= 0) {
                for (String kv : databaseUrl.substring(q + 1).split("&")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) {
                        params.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                    }
                }
            }
            String user = params.remove("user");
            String password = params.remove("password");
            if (user == null) {
                throw new IllegalArgumentException("DATABASE_URL needs ?user=...&password=... (jdbc:postgresql://host:"
                        + "port/db?user=u&password=p)");
            }
            StringBuilder rest = new StringBuilder();
            params.forEach((k, v) -> rest.append(rest.length() == 0 ? "?" : "&").append(k).append('=').append(v));
            return new Target(base + rest, user, password == null ? "" : password);
        }

        String describe() {
            return url.replaceFirst("\\?.*$", "") + " as " + user;
        }
    }
}
