package dev.phasegate.bench;

import dev.phasegate.api.SchemaMigration;
import dev.phasegate.kube.OperatorLease;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.PostgresCluster;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.ServiceAccountOperator;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The operator's own cost: the packaged application ({@code target/quarkus-app/quarkus-run.jar}) in a JVM of its own
 * with the Deployment's JVM settings, as the operator's ServiceAccount, on the real control plane and a throwaway
 * PostgreSQL. Measures time to ready, RSS and heap idle with 0, 100 and 500 waiting SchemaMigrations, how long 500
 * created at once take until all have a status, the operator's API requests per minute while they wait, and the
 * database sessions they hold.
 *
 * <p>Run: {@code mvn -B -q package -DskipTests && mvn -B -q test-compile -Dquarkus.build.skip=true && mvn -B -q
 * exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.phasegate.bench.FootprintBench}.
 */
public final class FootprintBench {
    private static final Path APP_DIR = Path.of("target/quarkus-app");
    private static final Path APP = APP_DIR.resolve("quarkus-run.jar");
    /** Written by mvn package (quarkus.package.jar.appcds.enabled) for the JDK that built it, which runs it here. */
    private static final String CDS_ARCHIVE = "app-cds.jsa";
    private static final String NS = ServiceAccountOperator.NAMESPACE;
    private static final String OPERATOR_NS = "phasegate-system";
    private static final Duration SETTLE = Duration.ofSeconds(Integer.getInteger("phasegate.bench.settle", 20));
    private static final Duration AUDIT_WINDOW = Duration.ofSeconds(60);
    private static final Pattern HEAP = Pattern.compile(
            "(?m)^jvm_memory_used_bytes\\{(?=[^}]*area=\"heap\")[^}]*}\\s+(\\S+)$");

    private final KubeControlPlane kube;
    private final PostgresCluster pg;
    private final Path work;
    private String operatorToken;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<String[]> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private FootprintBench(KubeControlPlane kube, PostgresCluster pg, Path work) {
        this.kube = kube;
        this.pg = pg;
        this.work = work;
    }

    /** One operator JVM: its process and HTTP port. */
    private record Operator(Process process, int port, double readySeconds, double cpuSeconds) {
    }

    /** RSS and heap of the operator at one moment. */
    private record Memory(double rssMiB, double heapMiB, double heapAfterGcMiB, double rssAfterGcMiB) {
    }

    public static void main(String[] args) throws Exception {
        if (!Files.isRegularFile(APP)) {
            System.err.println(APP + " is missing: build the packaged application first with"
                    + " `mvn -B -q package -DskipTests`.");
            System.exit(2);
        }
        try {
            measure();
        } catch (Throwable e) {
            // exec:java would otherwise report it only after the client's non-daemon threads end: never.
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }

    private static void measure() throws Exception {
        Path work = Files.createDirectories(Path.of("target", "bench", "footprint")).toAbsolutePath();
        try (PostgresCluster pg = PostgresCluster.builder().start(); KubeControlPlane kube = KubeControlPlane.start()) {
            pg.createDatabase("bench");
            FootprintBench bench = new FootprintBench(kube, pg, work);
            int trials = Integer.getInteger("phasegate.bench.compare", 0);
            String classList = System.getProperty("phasegate.bench.classList");
            if (classList != null) {
                bench.writeClassList(Path.of(classList));
            } else if (trials > 0) {
                bench.compare(trials);
            } else {
                bench.run();
            }
        }
    }

    /** The operator's RBAC, the database Secret, its kubeconfig; and the bench's own polling code run once. */
    private Path prepare() throws Exception {
        ServiceAccountOperator.applyManifests(kube);
        new KubeFixtures(kube.adminClient()).secret(NS, "bench-db", PostgresDatabase.of(pg, "bench"));
        Path kubeconfig = serviceAccountKubeconfig();
        warmReadinessPolling();
        return kubeconfig;
    }

    /**
     * A pod starts on a cluster whose API server is not itself starting: here it just has, on the same two cores, and
     * it rebuilds its OpenAPI documents after the CRD was applied. The first start comes after it settled, and (unless
     * -Dphasegate.bench.coldCrd=true) after the API server has served the CRD once, as it has long before an operator
     * restart, a rollout or a failover: its first request for a new CRD's resources is slow.
     */
    private void settleBeforeFirstStart() throws Exception {
        Thread.sleep(SETTLE.toMillis());
        if (!Boolean.getBoolean("phasegate.bench.coldCrd")) {
            kube.adminClient().resources(SchemaMigration.class).inNamespace(NS).list();
        }
    }

    private void run() throws Exception {
        Path kubeconfig = prepare();
        String window = windowHoursAway();
        settleBeforeFirstStart();
        // First operator: idle with 0 and with 100 migrations.
        Operator first = start(kubeconfig, "first");
        rows.add(row("time to ready (1st start)", secs(first.readySeconds()), "≤ 3 s", first.readySeconds() <= 3));
        rows.add(row("CPU time until ready (1st start)", secs(first.cpuSeconds()), "–", null));
        Thread.sleep(SETTLE.toMillis());
        Memory zero = memory(first);
        memoryRows("0", zero, null);
        long start100 = System.nanoTime();
        double created100 = createAll(100, "a", window);
        double statused100 = awaitStatused(100, start100, Duration.ofSeconds(120));
        log("100 created in " + secs(created100) + ", all statused after " + secs(statused100));
        Thread.sleep(SETTLE.toMillis());
        Memory hundred = memory(first);
        memoryRows("100", hundred, hundred.rssMiB() <= 160);
        deleteAll(); // while the operator runs: it removes its finalizers
        stop(first);

        // Second operator: 500 created at once, then idle with them.
        Operator second = start(kubeconfig, "second");
        rows.add(row("time to ready (2nd start)", secs(second.readySeconds()), "≤ 3 s",
                second.readySeconds() <= 3));
        rows.add(row("CPU time until ready (2nd start)", secs(second.cpuSeconds()), "–", null));
        Thread.sleep(SETTLE.toMillis());
        long start500 = System.nanoTime();
        double created500 = createAll(500, "b", window);
        double statused500 = awaitStatused(500, start500, Duration.ofSeconds(300));
        rows.add(row("500 created at once: all have a status after", secs(statused500)
                + " (creating took " + secs(created500) + ")", "≤ 60 s", statused500 <= 60));
        Thread.sleep(SETTLE.toMillis());
        Memory fiveHundred = memory(second);
        memoryRows("500", fiveHundred, null);
        apiRequests();
        databaseSessions();
        stop(second);

        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        System.out.println();
        System.out.println("Operator footprint and scale, " + Instant.now().atOffset(ZoneOffset.UTC).toLocalDate()
                + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, load average (1/5/15 min) at end "
                + load.substring(0, load.indexOf(' ', load.indexOf(' ', load.indexOf(' ') + 1) + 1)) + "; packaged"
                + " application, " + System.getProperty("phasegate.bench.java", "this JDK's java") + " "
                + String.join(" ", jvmOptions()) + "; waiting migrations: OutsideWindow ("
                + window + ")");
        System.out.println();
        System.out.println("| measure | value | goal | |");
        System.out.println("|---|---:|---|---|");
        rows.forEach(r -> System.out.println("| " + String.join(" | ", r) + " |"));
        System.out.println();
        notes.forEach(n -> System.out.println("- " + n));
    }

    /**
     * Two JVM settings compared on the same control plane, started alternately so that the shared machine's load
     * falls on both: {@code -Dphasegate.bench.compare=TRIALS -Dphasegate.bench.a=OPTIONS -Dphasegate.bench.b=OPTIONS}
     * (each added to the Deployment's settings; no class-data archive unless named; also .c and .d), with
     * {@code -Dphasegate.bench.waiting=N} migrations waiting during every start (with {@code
     * -Dphasegate.bench.created=true}: created after each start, then deleted). Prints time to ready and RSS idle.
     */
    private void compare(int trials) throws Exception {
        Path kubeconfig = prepare();
        int waiting = Integer.getInteger("phasegate.bench.waiting", 0);
        // created: made while each operator runs, as in the full run, so that every start plans them all (new
        // migrations are planned once, at Pending); otherwise made once, before the first start.
        boolean createdWhileRunning = Boolean.getBoolean("phasegate.bench.created");
        if (waiting > 0 && !createdWhileRunning) {
            createAll(waiting, "c", windowHoursAway());
        }
        Map<String, List<String>> variants = new TreeMap<>();
        for (String v : List.of("a", "b", "c", "d")) {
            if (v.compareTo("b") <= 0 || System.getProperty("phasegate.bench." + v) != null) {
                List<String> options = new ArrayList<>(deploymentOptions());
                options.addAll(split(System.getProperty("phasegate.bench." + v, "")));
                variants.put(v, options);
            }
        }
        Map<String, List<Double>> ready = new TreeMap<>();
        Map<String, List<Double>> rss = new TreeMap<>();
        Map<String, List<Double>> cpu = new TreeMap<>();
        Map<String, List<Double>> rssAfterGc = new TreeMap<>();
        for (int i = 0; i < trials; i++) {
            for (Map.Entry<String, List<String>> v : variants.entrySet()) {
                Operator o = start(kubeconfig, v.getKey() + i, v.getValue());
                if (waiting > 0 && createdWhileRunning) {
                    createAll(waiting, "c" + v.getKey() + i, windowHoursAway());
                }
                if (waiting > 0) {
                    awaitStatused(waiting, System.nanoTime(), Duration.ofSeconds(120));
                }
                Thread.sleep(SETTLE.toMillis());
                Memory m = memory(o);
                if (createdWhileRunning) {
                    deleteAll(); // while the operator runs: it removes its finalizers
                }
                ready.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(o.readySeconds());
                cpu.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(o.cpuSeconds());
                rss.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(m.rssMiB());
                rssAfterGc.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(m.rssAfterGcMiB());
                stop(o);
            }
        }
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        System.out.println();
        System.out.println("Compared " + trials + " starts each, " + waiting + " waiting, load average at end " + load);
        for (String v : variants.keySet()) {
            System.out.println(v + ": " + String.join(" ", variants.get(v)));
            System.out.println("   ready s " + spread(ready.get(v)) + "; CPU s until ready " + spread(cpu.get(v))
                    + "; RSS MiB " + spread(rss.get(v)) + "; after a full GC " + spread(rssAfterGc.get(v)));
        }
    }

    /**
     * -Dphasegate.bench.classList=FILE: one start with class loading logged, without the warm-up (the boot's own order)
     * and without a class-data archive, as the image's runtime has none (and the log names no source for archived
     * classes); FILE gets every class it loaded from the runtime or a jar until it was ready, in that order.
     */
    private void writeClassList(Path file) throws Exception {
        Path kubeconfig = prepare();
        settleBeforeFirstStart();
        Path log = work.resolve("class-load.log");
        Files.deleteIfExists(log);
        List<String> options = new ArrayList<>(deploymentOptions());
        options.add("-Xlog:class+load:file=" + log + ":uptime");
        options.add("-Xshare:off");
        options.add("-Dphasegate.warmup=false");
        Operator o = start(kubeconfig, "class-list", options);
        stop(o);
        List<String> names = loadedUntil(Files.readAllLines(log), o.readySeconds());
        Files.writeString(file, """
                # The classes a start of the operator loads before it is ready, in the order it loads them. Its warm-up
                # thread loads them ahead of the boot thread (kube/StartupClassPreloader). Written by
                # `make startup-classes`: run it again after upgrading Quarkus, the operator SDK, Fabric8 or the JDK.
                """ + String.join("\n", names) + "\n");
        System.out.println(names.size() + " classes, loaded in the " + secs(o.readySeconds()) + " to ready, in " + file);
    }

    private static final Pattern CLASS_LOAD = Pattern.compile("^\\[(\\d+\\.\\d+)s\\] (\\S+) source: (jrt:/|file:)");

    /** Classes a -Xlog:class+load:...:uptime log shows loaded from the runtime or a jar up to a time, once each. */
    static List<String> loadedUntil(List<String> log, double seconds) {
        Set<String> names = new LinkedHashSet<>();
        for (String line : log) {
            Matcher m = CLASS_LOAD.matcher(line);
            if (m.find() && Double.parseDouble(m.group(1)) <= seconds) {
                names.add(m.group(2));
            }
        }
        return new ArrayList<>(names);
    }

    /** Median, then min-max, then every value. */
    private static String spread(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return String.format(Locale.ROOT, "median %.2f (%.2f-%.2f) %s", median, sorted.get(0), sorted.get(n - 1),
                values.stream().map(d -> String.format(Locale.ROOT, "%.2f", d)).toList());
    }

    // ------------------------------------------------------------------ the operator process

    /** The Deployment's pod: 384Mi limit, JDK_JAVA_OPTIONS as deploy/operator.yaml sets it, so a 192 MiB heap. */
    private static List<String> deploymentOptions() {
        // In a 384Mi container the JVM does not count as a server-class machine and picks the Serial collector;
        // this host has more memory, so say so explicitly instead of measuring G1.
        return List.of("-XX:MaxRAM=384m", "-XX:MaxRAMPercentage=50", "-Xmx192m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=32m",
                "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-Xss512k", "-XX:CICompilerCount=1",
                "-XX:MaxNewSize=8m", "-XX:NewSize=8m", "-Xms24m", "-XX:TrimNativeHeapInterval=5000");
    }

    /** The Deployment's JVM: its settings, the image's class-data archive (here the package's) and any extras. */
    private static List<String> jvmOptions() {
        List<String> options = new ArrayList<>(deploymentOptions());
        // Made by mvn package's JDK: of no use to another runtime (-Dphasegate.bench.java), which names its own.
        if (Files.isRegularFile(APP_DIR.resolve(CDS_ARCHIVE)) && System.getProperty("phasegate.bench.java") == null) {
            options.add("-XX:SharedArchiveFile=" + CDS_ARCHIVE);
        }
        // For experiments, e.g. -Dphasegate.bench.jvmOptions=-XX:NativeMemoryTracking=summary (then each memory
        // reading also writes jcmd VM.native_memory summary next to the operator's log).
        options.addAll(split(System.getProperty("phasegate.bench.jvmOptions", "")));
        return options;
    }

    private static List<String> split(String options) {
        return options.isBlank() ? List.of() : List.of(options.trim().split("\\s+"));
    }

    private Operator start(Path kubeconfig, String name) throws Exception {
        return start(kubeconfig, name, jvmOptions());
    }

    private Operator start(Path kubeconfig, String name, List<String> options) throws Exception {
        int port = freePort();
        List<String> command = new ArrayList<>();
        // -Dphasegate.bench.java=DIR/bin/java: another runtime, e.g. the image's (its layer's opt/java, unpacked).
        command.add(System.getProperty("phasegate.bench.java", ProcessHandle.current().info().command().orElse("java")));
        options.stream().filter(o -> !o.startsWith("env:")).forEach(command::add);
        // From its directory, as the image runs it from /app: the class-data archive names the jars by that path.
        command.addAll(List.of("-jar", APP.getFileName().toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(APP_DIR.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("operator-" + name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.startsWith("QUARKUS_") || k.startsWith("JAVA_"));
        // What deploy/operator.yaml sets, and what the pod would have: its ServiceAccount's identity.
        env.put("QUARKUS_OPERATOR_SDK_NAMESPACES", NS);
        env.put("JDK_JAVA_OPTIONS", "-XX:MaxRAMPercentage=50");
        if (Boolean.getBoolean("phasegate.bench.kubeconfig")) {
            env.put("KUBECONFIG", kubeconfig.toString());
        } else {
            // As in the pod, where the client finds the server, token and CA without a kubeconfig file to parse
            // (parsing one took a YAML parser and the kubeconfig model, about 0.1 s, on the way to ready).
            env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
            env.put("KUBERNETES_MASTER", kube.apiServerUrl());
            env.put("KUBERNETES_CERTS_CA_DATA", kube.caCertData());
            env.put("KUBERNETES_AUTH_TOKEN", operatorToken());
            env.put("KUBERNETES_NAMESPACE", OPERATOR_NS);
        }
        env.put("HOSTNAME", "phasegate-footprint-" + name);
        env.put("PHASEGATE_LEADER_ELECTION_LEASE_NAMESPACE", OPERATOR_NS);
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        // env:NAME=VALUE among the options: the pod's environment, e.g. env:MALLOC_ARENA_MAX=2.
        options.stream().filter(o -> o.startsWith("env:")).map(o -> o.substring(4).split("=", 2))
                .forEach(kv -> env.put(kv[0], kv[1]));
        long t0 = System.nanoTime();
        Process p = pb.start();
        while (status(port, "/q/health/ready") != 200) {
            if (!p.isAlive() || System.nanoTime() - t0 > Duration.ofSeconds(120).toNanos()) {
                throw new IllegalStateException("the operator did not become ready; see " + work);
            }
            Thread.sleep(20);
        }
        double ready = (System.nanoTime() - t0) / 1e9;
        double cpu = cpuSeconds(p.pid());
        log(name + " operator ready after " + secs(ready) + ", " + secs(cpu) + " of CPU");
        return new Operator(p, port, ready, cpu);
    }

    /**
     * User and system CPU time of a process so far: on a shared machine the wall time to ready depends on what else
     * runs, the CPU time it took much less (utime and stime of /proc/PID/stat, in clock ticks of 10 ms).
     */
    private static double cpuSeconds(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    private void stop(Operator o) throws Exception {
        o.process().destroy();
        long t0 = System.nanoTime();
        if (!o.process().waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            notes.add("SIGTERM did not end the operator within 20 s; killed (a pod would be, after its grace period)");
            o.process().destroyForcibly().waitFor();
        } else {
            log(String.format(Locale.ROOT, "operator exited %.1f s after SIGTERM", (System.nanoTime() - t0) / 1e9));
        }
        // The next operator must not wait out this one's Lease.
        kube.adminClient().leases().inNamespace(OPERATOR_NS).withName(OperatorLease.DEFAULT_NAME).delete();
    }

    /** A TokenRequest token (one hour) of the operator's ServiceAccount, as the pod would have mounted. */
    private String operatorToken() throws Exception {
        if (operatorToken == null) {
            operatorToken = kube.serviceAccountToken(OPERATOR_NS, "phasegate");
        }
        return operatorToken;
    }

    /**
     * A kubeconfig with that token, readable only by this user: how the operator starts with {@code
     * -Dphasegate.bench.kubeconfig=true}; by default it gets the pod's way, from its environment.
     */
    private Path serviceAccountKubeconfig() throws Exception {
        Path file = work.resolve("operator.kubeconfig");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: bench
                  cluster: {server: "%s", certificate-authority-data: "%s"}
                users:
                - name: phasegate
                  user: {token: "%s"}
                contexts:
                - name: bench
                  context: {cluster: bench, user: phasegate, namespace: %s}
                current-context: bench
                """.formatted(kube.apiServerUrl(), kube.caCertData(), operatorToken(), OPERATOR_NS));
        return file;
    }

    // ------------------------------------------------------------------ migrations

    /** A one-hour window that opens twelve hours from now, so every migration waits (OutsideWindow). */
    private static String windowHoursAway() {
        int hour = (Instant.now().atOffset(ZoneOffset.UTC).getHour() + 12) % 24;
        return String.format(Locale.ROOT, "%02d:00-%02d:00 UTC", hour, hour + 1);
    }

    private double createAll(int n, String prefix, String window) throws Exception {
        String[] w = window.replace(" UTC", "").split("-");
        KubeFixtures fx = new KubeFixtures(kube.adminClient());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        long t0 = System.nanoTime();
        try {
            List<Future<SchemaMigration>> created = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String name = String.format(Locale.ROOT, "%s-%03d", prefix, i);
                created.add(pool.submit(() -> fx.migration(NS, """
                        apiVersion: phasegate.dev/v1alpha1
                        kind: SchemaMigration
                        metadata: {name: %s}
                        spec:
                          database: {secretRef: {name: bench-db}}
                          windows: [{start: "%s", end: "%s"}]
                          compatibleSchema:
                            sql: CREATE TABLE IF NOT EXISTS %s (id bigint PRIMARY KEY);
                        """.formatted(name, w[0], w[1], name.replace('-', '_')))));
            }
            for (Future<SchemaMigration> f : created) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Seconds from t0 (the first create) until n migrations have a status phase. */
    private double awaitStatused(int n, long t0, Duration atMost) throws Exception {
        while (true) {
            List<SchemaMigration> all = migrations();
            long statused = all.stream().filter(m -> m.getStatus() != null && m.getStatus().phase != null).count();
            if (statused >= n) {
                Map<String, Long> reasons = all.stream().collect(Collectors.groupingBy(
                        m -> m.getStatus().phase + "/" + m.getStatus().reason, TreeMap::new, Collectors.counting()));
                notes.add(n + " migrations, phase/reason: " + reasons);
                return (System.nanoTime() - t0) / 1e9;
            }
            if (System.nanoTime() - t0 > atMost.toNanos()) {
                throw new IllegalStateException(statused + " of " + n + " statused after " + atMost);
            }
            Thread.sleep(200);
        }
    }

    private List<SchemaMigration> migrations() {
        return kube.adminClient().resources(SchemaMigration.class).inNamespace(NS).list().getItems();
    }

    private void deleteAll() throws Exception {
        KubernetesClient admin = kube.adminClient();
        admin.resources(SchemaMigration.class).inNamespace(NS).delete();
        long t0 = System.nanoTime();
        while (!migrations().isEmpty()) {
            if (System.nanoTime() - t0 > Duration.ofSeconds(120).toNanos()) {
                throw new IllegalStateException("migrations not deleted (finalizers without an operator?)");
            }
            Thread.sleep(200);
        }
    }

    // ------------------------------------------------------------------ measurements

    private Memory memory(Operator o) throws Exception {
        long pid = o.process().pid();
        double rssMiB = rssMiB(pid);
        double heap = heapMiB(o);
        // A live-set figure as well: what stays after a full collection.
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (o.process().info().arguments().stream().flatMap(java.util.Arrays::stream)
                .anyMatch(option -> option.startsWith("-XX:NativeMemoryTracking"))) {
            new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "VM.native_memory", "summary")
                    .redirectErrorStream(true).redirectOutput(work.resolve("nmt-" + pid + "-" + System.currentTimeMillis()
                            + ".txt").toFile()).start().waitFor();
        }
        new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        // And what RSS is after it: how much of the idle figure is heap the collector had touched and kept.
        return new Memory(rssMiB, heap, heapMiB(o), rssMiB(pid));
    }

    private static double rssMiB(long pid) throws Exception {
        String status = Files.readString(Path.of("/proc", String.valueOf(pid), "status"));
        Matcher rss = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB").matcher(status);
        return rss.find() ? Long.parseLong(rss.group(1)) / 1024.0 : Double.NaN;
    }

    private double heapMiB(Operator o) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + o.port() + "/q/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = HEAP.matcher(metrics);
        double bytes = 0;
        while (m.find()) {
            bytes += Double.parseDouble(m.group(1));
        }
        return bytes / (1024 * 1024);
    }

    private void memoryRows(String n, Memory m, Boolean pass) {
        rows.add(row("RSS idle, " + n + " waiting", mib(m.rssMiB()), pass == null ? "–" : "≤ 160 MiB", pass));
        rows.add(row("heap used idle, " + n + " waiting (after a full GC)",
                mib(m.heapMiB()) + " (" + mib(m.heapAfterGcMiB()) + ")", "–", null));
        log(n + " waiting: " + m);
    }

    /** The operator's requests in the audit log over AUDIT_WINDOW while every migration waits. */
    private void apiRequests() throws Exception {
        int before = kube.auditEntries().size();
        Thread.sleep(AUDIT_WINDOW.toMillis());
        List<KubeControlPlane.AuditEntry> window = kube.auditEntries();
        window = window.subList(before, window.size()).stream()
                .filter(e -> ServiceAccountOperator.USER.equals(e.effectiveUser())).toList();
        double perMinute = window.size() * 60.0 / AUDIT_WINDOW.toSeconds();
        long migrationRequests = window.stream().filter(e -> "schemamigrations".equals(e.resource())).count();
        Map<String, Long> byKind = window.stream().collect(Collectors.groupingBy(
                e -> e.verb() + " " + e.resource() + (e.subresource() == null ? "" : "/" + e.subresource()),
                TreeMap::new, Collectors.counting()));
        rows.add(row("API requests/min idle with 500 waiting (of them on schemamigrations)",
                String.format(Locale.ROOT, "%.0f (%.0f)", perMinute, migrationRequests * 60.0
                        / AUDIT_WINDOW.toSeconds()), "~0 per waiting migration", migrationRequests == 0));
        notes.add("operator's API requests in " + AUDIT_WINDOW.toSeconds() + " s idle: " + byKind);
    }

    private void databaseSessions() throws Exception {
        try (Connection c = pg.connect("postgres"); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT application_name, state, count(*) FROM pg_stat_activity"
                        + " WHERE application_name LIKE 'phasegate/%' GROUP BY 1, 2 ORDER BY 1, 2")) {
            long total = 0;
            List<String> sessions = new ArrayList<>();
            while (r.next()) {
                total += r.getLong(3);
                sessions.add(r.getString(1) + " " + r.getString(2) + ": " + r.getLong(3));
            }
            rows.add(row("database sessions held by 500 waiting (OutsideWindow)", String.valueOf(total), "0",
                    total == 0));
            notes.add("phasegate sessions in pg_stat_activity with 500 waiting: " + (sessions.isEmpty() ? "none"
                    : sessions));
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Runs this process's own readiness polling (its HTTP client, a refused connection, a 200) before the first start:
     * the first start of every run used to read 0.3-0.6 s slower than the next ones, while the operator's own log put
     * its start (Quarkus's "started in") within 0.2 s of theirs: the rest came after its HTTP server was listening.
     */
    private void warmReadinessPolling() throws Exception {
        int closed = freePort();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        try {
            for (int i = 0; i < 200; i++) {
                status(closed, "/q/health/ready");
                if (status(server.getAddress().getPort(), "/q/health/ready") != 200) {
                    throw new IllegalStateException("readiness polling does not work against a local server");
                }
            }
        } finally {
            server.stop(0);
        }
    }

    private int status(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static String[] row(String what, String value, String goal, Boolean pass) {
        return new String[] {what, value, goal, pass == null ? "" : pass ? "PASS" : "FAIL"};
    }

    private static String secs(double s) {
        return String.format(Locale.ROOT, "%.2f s", s);
    }

    private static String mib(double m) {
        return String.format(Locale.ROOT, "%.0f MiB", m);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void log(String message) {
        System.out.println("[footprint] " + message);
    }
}
