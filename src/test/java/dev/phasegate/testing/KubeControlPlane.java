package dev.phasegate.testing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real Kubernetes control plane (etcd, kube-apiserver with RBAC, admission and an audit log, and
 * kube-controller-manager) run from the binaries {@code .ci/kube-binaries.sh} builds, in a temp dir on free ports;
 * or, through {@link #attach}, an existing cluster named by a kubeconfig (nothing started, nothing stopped).
 */
public final class KubeControlPlane implements AutoCloseable {
    private static final String HOST = "127.0.0.1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(Long.getLong("phasegate.kube.startTimeoutSeconds", 180));
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final int LOG_TAIL_LINES = 30;
    private static final List<String> BINARIES = List.of("etcd", "kube-apiserver", "kube-controller-manager", "kubectl");
    /**
     * Enough controllers for Deployments to roll out (deployment, replicaset), for namespaces and their default
     * ServiceAccount to behave as in a cluster, and for deletes to cascade; the others would only cost CPU.
     */
    private static final List<String> CONTROLLERS = List.of("deployment-controller", "replicaset-controller",
            "garbage-collector-controller", "namespace-controller", "serviceaccount-controller",
            "serviceaccount-token-controller", "root-ca-certificate-publisher-controller");
    public static final String SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
    public static final String ADMIN_USER = "phasegate-admin";

    private static final Set<KubeControlPlane> LIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean HOOK_INSTALLED = new AtomicBoolean();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path binDir;
    private final Path baseDir;
    /** The kubeconfig of an existing cluster this attached to; null for the local control plane. */
    private final Path attachedKubeconfig;
    private Config attachedConfig;
    private final List<NamedProcess> processes = new CopyOnWriteArrayList<>();
    private final List<KubernetesClient> clients = new CopyOnWriteArrayList<>();
    private Process watchdog;
    private int apiServerPort;
    private String caCertData;
    private KubernetesClient admin;
    private volatile boolean closed;

    private record NamedProcess(String name, Process process, Path log) {
    }

    /** One {@code kubectl} run: its exit code and output. */
    public record KubectlResult(List<String> command, int exitCode, String stdout, String stderr) {
        /** Throws unless kubectl exited 0; returns stdout. */
        public String orThrow() {
            if (exitCode != 0) {
                throw new IllegalStateException(this.toString());
            }
            return stdout;
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exitCode + "\n--- stdout ---\n" + stdout
                    + "\n--- stderr ---\n" + stderr;
        }
    }

    /** One request as the audit log recorded it (the policy logs every request at Metadata level). */
    public record AuditEntry(String user, List<String> groups, String impersonatedUser, String verb, String apiGroup,
            String resource, String subresource, String namespace, String name, int code, String requestUri) {
        /** The identity the request acted as: the impersonated user if any, else the authenticated one. */
        public String effectiveUser() {
            return impersonatedUser != null ? impersonatedUser : user;
        }
    }

    private KubeControlPlane(Path binDir, Path baseDir, Path attachedKubeconfig) {
        this.binDir = binDir;
        this.baseDir = baseDir;
        this.attachedKubeconfig = attachedKubeconfig;
    }

    /**
     * The kubeconfig of an existing cluster the tests should use instead of starting the local control plane:
     * {@code PHASEGATE_TEST_KUBECONFIG} (or {@code -Dphasegate.test.kubeconfig}) names it; the value
     * {@code KUBECONFIG} opts in to the kubeconfig kubectl itself would use ({@code $KUBECONFIG}, else
     * {@code ~/.kube/config}). Empty when neither is set: KUBECONFIG alone never redirects the tests.
     */
    public static java.util.Optional<Path> existingClusterKubeconfig() {
        String chosen = System.getProperty("phasegate.test.kubeconfig", System.getenv("PHASEGATE_TEST_KUBECONFIG"));
        if (chosen == null || chosen.isBlank()) {
            return java.util.Optional.empty();
        }
        if (!chosen.equals("KUBECONFIG")) {
            return java.util.Optional.of(Path.of(chosen));
        }
        String env = System.getenv("KUBECONFIG");
        // kubectl merges a list of files; the tests take the first, which holds the current context by convention.
        return java.util.Optional.of(env != null && !env.isBlank() ? Path.of(env.split(File.pathSeparator)[0])
                : Path.of(System.getProperty("user.home"), ".kube", "config"));
    }

    /**
     * Uses the existing cluster of kubeconfig (its current context, which must be allowed to do anything: the tests
     * install a CRD and RBAC). kubectl is {@code PHASEGATE_KUBECTL}, else the one {@link #binariesDir()} holds,
     * else {@code kubectl} from PATH. close() only closes clients: the cluster and its objects stay.
     */
    public static KubeControlPlane attach(Path kubeconfig) {
        if (!Files.isReadable(kubeconfig)) {
            throw new IllegalStateException("No readable kubeconfig at " + kubeconfig);
        }
        Path base;
        try {
            base = Files.createTempDirectory(Paths.get(System.getProperty("phasegate.kube.tmpdir", "/tmp")),
                    "phasegate-attached-");
            KubeControlPlane plane = new KubeControlPlane(kubectlDir(), base, kubeconfig.toAbsolutePath());
            plane.attachedConfig = Config.fromKubeconfig(Files.readString(kubeconfig));
            plane.admin = new KubernetesClientBuilder().withConfig(plane.attachedConfig).build();
            return plane;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not attach to the cluster of " + kubeconfig, e);
        }
    }

    private static Path kubectlDir() {
        String explicit = System.getenv("PHASEGATE_KUBECTL");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit).toAbsolutePath().getParent();
        }
        try {
            return binariesDir();
        } catch (IllegalStateException notBuilt) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(dir, "kubectl"))) {
                    return Path.of(dir);
                }
            }
            throw new IllegalStateException("No kubectl: set PHASEGATE_KUBECTL, put kubectl on PATH, or run"
                    + " make kube-binaries", notBuilt);
        }
    }

    /** True for the control plane this harness started (audit log, processes); false for an attached cluster. */
    public boolean isLocal() {
        return attachedKubeconfig == null;
    }

    /** Starts a control plane from {@link #binariesDir()}; close() stops it and removes its files. */
    public static KubeControlPlane start() {
        return start(binariesDir());
    }

    public static KubeControlPlane start(Path binDir) {
        installShutdownHook();
        Path base;
        try {
            base = Files.createTempDirectory(Paths.get(System.getProperty("phasegate.kube.tmpdir", "/tmp")), "phasegate-kube-");
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create a temp dir for the control plane", e);
        }
        KubeControlPlane plane = new KubeControlPlane(binDir, base, null);
        LIVE.add(plane);
        try {
            plane.startAll();
            return plane;
        } catch (RuntimeException | Error e) {
            String logs = plane.logTails();
            plane.close();
            throw new IllegalStateException("The control plane did not start (" + e + ")\n" + logs, e);
        }
    }

    /**
     * Where the binaries are: {@code -Dphasegate.kube.binaries} or {@code PHASEGATE_KUBE_BINARIES}, else the
     * directory of the versions pinned in {@code .ci/kube-tools/} under {@code PHASEGATE_KUBE_CACHE} (default
     * {@code ~/.cache/phasegate/kube}), as {@code .ci/kube-binaries.sh} names it.
     */
    public static Path binariesDir() {
        String explicit = System.getProperty("phasegate.kube.binaries", System.getenv("PHASEGATE_KUBE_BINARIES"));
        Path dir;
        if (explicit != null && !explicit.isBlank()) {
            dir = Path.of(explicit);
        } else {
            Path tools = projectDir().resolve(".ci/kube-tools");
            String kube = pinnedVersion(tools.resolve("kubernetes/go.mod"), "k8s.io/kubernetes");
            String etcd = pinnedVersion(tools.resolve("etcd/go.mod"), "go.etcd.io/etcd/server/v3");
            String cache = System.getenv("PHASEGATE_KUBE_CACHE");
            Path root = cache != null && !cache.isBlank() ? Path.of(cache)
                    : Path.of(System.getProperty("user.home"), ".cache", "phasegate", "kube");
            dir = root.resolve(kube + "-etcd" + etcd);
        }
        List<String> missing = BINARIES.stream().filter(b -> !Files.isExecutable(dir.resolve(b))).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("No " + String.join(", ", missing) + " in " + dir
                    + ": build them with `make kube-binaries` (.ci/kube-binaries.sh)");
        }
        return dir;
    }

    private static Path projectDir() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve(".ci")) ? here : Path.of(System.getProperty("phasegate.home", ".")).toAbsolutePath();
    }

    private static String pinnedVersion(Path goMod, String module) {
        try {
            Matcher m = Pattern.compile("(?m)^require\\s+" + Pattern.quote(module) + "\\s+(\\S+)").matcher(Files.readString(goMod));
            if (!m.find()) {
                throw new IllegalStateException("No `require " + module + "` line in " + goMod);
            }
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + goMod, e);
        }
    }

    // ---------------------------------------------------------------- what tests use

    /** A kubeconfig with the admin identity (group system:masters), for kubectl and for people poking around. */
    public Path kubeconfig() {
        return isLocal() ? baseDir.resolve("admin.kubeconfig") : attachedKubeconfig;
    }

    /** The client of the admin identity; closed with the control plane. */
    public KubernetesClient adminClient() {
        return admin;
    }

    public String apiServerUrl() {
        return isLocal() ? "https://" + HOST + ":" + apiServerPort : attachedConfig.getMasterUrl().replaceAll("/+$", "");
    }

    public Path auditLog() {
        return baseDir.resolve("logs/audit.log");
    }

    public Path binDir() {
        return binDir;
    }

    /** The kubectl that {@link #kubectl} runs. */
    public Path kubectlBinary() {
        String explicit = System.getenv("PHASEGATE_KUBECTL");
        return !isLocal() && explicit != null && !explicit.isBlank() ? Path.of(explicit) : binDir.resolve("kubectl");
    }

    /** A client that authenticates as admin and impersonates user in groups, so RBAC judges it as that user. */
    public KubernetesClient impersonating(String user, String... groups) {
        Config admin = isLocal() ? new ConfigBuilder(baseConfig()).withOauthToken(readAdminToken()).build()
                : attachedConfig;
        Config config = new ConfigBuilder(admin).withImpersonateUsername(user).withImpersonateGroups(groups).build();
        return track(new KubernetesClientBuilder().withConfig(config).build());
    }

    /** Impersonation of a ServiceAccount with the groups the API server gives a ServiceAccount's own token. */
    public KubernetesClient impersonatingServiceAccount(String namespace, String name) {
        return impersonating("system:serviceaccount:" + namespace + ":" + name, "system:serviceaccounts",
                "system:serviceaccounts:" + namespace, "system:authenticated");
    }

    /**
     * A client with a real token of the ServiceAccount from the TokenRequest API (valid one hour), as a pod of that
     * ServiceAccount would have: no admin identity is involved in its requests.
     */
    public KubernetesClient serviceAccountClient(String namespace, String name) {
        Config config = new ConfigBuilder(baseConfig()).withOauthToken(serviceAccountToken(namespace, name))
                .withNamespace(namespace).build();
        return track(new KubernetesClientBuilder().withConfig(config).build());
    }

    /** A ServiceAccount token from the TokenRequest API (one hour), for a process of its own to authenticate with. */
    public String serviceAccountToken(String namespace, String name) {
        return admin.serviceAccounts().inNamespace(namespace).withName(name)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
    }

    /** The API server's CA certificate (base64 PEM), for clients in other processes. */
    public String caCertData() {
        return caCertData;
    }

    /** Runs the real kubectl against this control plane as admin (no KUBECONFIG from the environment). */
    public KubectlResult kubectl(String... args) {
        return kubectlWithInput(null, args);
    }

    /** Runs kubectl with stdin from the given text (e.g. {@code kubectl apply -f -}). */
    public KubectlResult kubectlWithInput(String stdin, String... args) {
        List<String> command = new ArrayList<>();
        command.add(kubectlBinary().toString());
        command.add("--kubeconfig=" + kubeconfig());
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(baseDir, "kubectl-", ".out");
            Path err = Files.createTempFile(baseDir, "kubectl-", ".err");
            ProcessBuilder pb = new ProcessBuilder(command).directory(projectDir().toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().remove("KUBECONFIG");
            if (stdin == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            Process p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("kubectl timed out: " + command + "\n" + Files.readString(err));
            }
            KubectlResult result = new KubectlResult(command, p.exitValue(), Files.readString(out), Files.readString(err));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted running " + command, e);
        }
    }

    /** Every request the audit log holds so far, oldest first. */
    public List<AuditEntry> auditEntries() {
        try (Stream<String> lines = Files.lines(auditLog())) {
            return lines.filter(l -> !l.isBlank()).map(KubeControlPlane::auditEntry).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + auditLog(), e);
        }
    }

    private static AuditEntry auditEntry(String line) {
        try {
            JsonNode e = JSON.readTree(line);
            JsonNode ref = e.path("objectRef");
            List<String> groups = new ArrayList<>();
            e.path("user").path("groups").forEach(g -> groups.add(g.asText()));
            return new AuditEntry(text(e.path("user").path("username")), List.copyOf(groups),
                    text(e.path("impersonatedUser").path("username")), text(e.path("verb")), text(ref.path("apiGroup")),
                    text(ref.path("resource")), text(ref.path("subresource")), text(ref.path("namespace")),
                    text(ref.path("name")), e.path("responseStatus").path("code").asInt(0), text(e.path("requestURI")));
        } catch (IOException e) {
            throw new UncheckedIOException("Not an audit event: " + line, e);
        }
    }

    private static String text(JsonNode node) {
        return node.isMissingNode() || node.isNull() ? null : node.asText();
    }

    /** The OS processes of etcd, kube-apiserver and kube-controller-manager, in start order. */
    public List<ProcessHandle> processes() {
        return processes.stream().map(p -> p.process().toHandle()).toList();
    }

    public boolean isRunning() {
        return !closed && processes.stream().allMatch(p -> p.process().isAlive());
    }

    /** Whether {@link #auditLog()} exists: only on the local control plane (an attached cluster's is not ours). */
    public boolean hasAuditLog() {
        return isLocal() && Files.exists(auditLog());
    }

    /** The last lines of each component's log, for failure messages. */
    public String logTails() {
        StringBuilder sb = new StringBuilder();
        for (NamedProcess p : processes) {
            sb.append("--- ").append(p.name()).append(p.process().isAlive() ? "" : " (exited " + exitCode(p.process()) + ")")
                    .append(", ").append(p.log()).append(" ---\n").append(tail(p.log(), LOG_TAIL_LINES)).append('\n');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "KubeControlPlane[" + apiServerUrl() + ", kubeconfig " + kubeconfig() + "]";
    }

    // ---------------------------------------------------------------- start

    private void startAll() {
        try {
            Files.createDirectories(baseDir.resolve("logs"));
            Path saKey = writeServiceAccountKey();
            String adminToken = UUID.randomUUID().toString();
            String kcmToken = UUID.randomUUID().toString();
            Files.writeString(baseDir.resolve("admin.token"), adminToken);
            // The controller manager is in system:masters too: with --use-service-account-credentials=false its
            // controllers act as itself, and the role bootstrap gives that identity only what per-controller
            // ServiceAccounts would add.
            Files.writeString(baseDir.resolve("tokens.csv"),
                    adminToken + "," + ADMIN_USER + ",phasegate-admin,system:masters\n"
                            + kcmToken + ",system:kube-controller-manager,kube-controller-manager,system:masters\n");
            Files.writeString(baseDir.resolve("audit-policy.yaml"), """
                    apiVersion: audit.k8s.io/v1
                    kind: Policy
                    omitStages: [RequestReceived]
                    rules:
                    # Bodies of status writes make a refused one (422) debuggable; they hold no credentials.
                    - level: Request
                      verbs: [patch, update]
                      resources: [{group: phasegate.dev, resources: [schemamigrations/status]}]
                    - level: Metadata
                    """);

            int etcdPort = freePort();
            int etcdPeerPort = freePort();
            startProcess("etcd", List.of(bin("etcd"), "--name=phasegate",
                    "--data-dir=" + baseDir.resolve("etcd"),
                    "--listen-client-urls=http://" + HOST + ":" + etcdPort,
                    "--advertise-client-urls=http://" + HOST + ":" + etcdPort,
                    "--listen-peer-urls=http://" + HOST + ":" + etcdPeerPort,
                    "--initial-advertise-peer-urls=http://" + HOST + ":" + etcdPeerPort,
                    "--initial-cluster=phasegate=http://" + HOST + ":" + etcdPeerPort,
                    // Throwaway data on a disk shared with other builds: durability only costs time here.
                    "--unsafe-no-fsync=true",
                    "--log-level=warn"));
            awaitHttp("etcd", "http://" + HOST + ":" + etcdPort + "/health", body -> body.contains("\"health\":\"true\""));

            apiServerPort = freePort();
            Path certDir = baseDir.resolve("apiserver-certs");
            startProcess("kube-apiserver", List.of(bin("kube-apiserver"),
                    "--etcd-servers=http://" + HOST + ":" + etcdPort,
                    "--bind-address=" + HOST, "--advertise-address=" + HOST,
                    "--secure-port=" + apiServerPort,
                    // The server generates its own serving certificate (with its CA) here; the kubeconfig trusts it.
                    "--cert-dir=" + certDir,
                    "--authorization-mode=RBAC",
                    "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,"
                            + "MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy",
                    "--token-auth-file=" + baseDir.resolve("tokens.csv"),
                    "--service-account-issuer=" + SERVICE_ACCOUNT_ISSUER,
                    "--service-account-signing-key-file=" + saKey,
                    "--service-account-key-file=" + saKey,
                    "--service-cluster-ip-range=10.96.0.0/24",
                    "--audit-policy-file=" + baseDir.resolve("audit-policy.yaml"),
                    "--audit-log-path=" + auditLog(),
                    "--audit-log-maxbackup=0",
                    "--allow-privileged=false",
                    "--v=1"));
            Path servingCert = certDir.resolve("apiserver.crt");
            await("kube-apiserver serving certificate").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(200))
                    .until(() -> failIfExited() && Files.exists(servingCert) && Files.size(servingCert) > 0);
            caCertData = Base64.getEncoder().encodeToString(Files.readAllBytes(servingCert));
            writeKubeconfig(kubeconfig(), ADMIN_USER, adminToken);
            admin = new KubernetesClientBuilder().withConfig(new ConfigBuilder(baseConfig()).withOauthToken(adminToken).build()).build();
            await("kube-apiserver /readyz").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(300))
                    .until(() -> failIfExited() && "ok".equals(quietly(() -> admin.raw("/readyz"))));

            Path kcmKubeconfig = baseDir.resolve("kube-controller-manager.kubeconfig");
            writeKubeconfig(kcmKubeconfig, "system:kube-controller-manager", kcmToken);
            startProcess("kube-controller-manager", List.of(bin("kube-controller-manager"),
                    "--kubeconfig=" + kcmKubeconfig,
                    "--authentication-kubeconfig=" + kcmKubeconfig,
                    "--authorization-kubeconfig=" + kcmKubeconfig,
                    "--bind-address=" + HOST, "--secure-port=" + freePort(),
                    "--cert-dir=" + baseDir.resolve("kcm-certs"),
                    "--controllers=" + String.join(",", CONTROLLERS),
                    "--service-account-private-key-file=" + saKey,
                    "--root-ca-file=" + servingCert,
                    "--use-service-account-credentials=false",
                    "--leader-elect=false",
                    "--v=1"));
            startWatchdog();
            // The default ServiceAccount appearing proves the controller manager runs: pods (and so rollouts) need it.
            await("kube-controller-manager (the default ServiceAccount of namespace default)").atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(300))
                    .until(() -> failIfExited()
                            && quietly(() -> admin.serviceAccounts().inNamespace("default").withName("default").get()) != null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean failIfExited() {
        for (NamedProcess p : processes) {
            if (!p.process().isAlive()) {
                throw new IllegalStateException(p.name() + " exited with " + p.process().exitValue());
            }
        }
        return true;
    }

    private static <T> T quietly(java.util.concurrent.Callable<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            return null;
        }
    }

    private void awaitHttp(String what, String url, java.util.function.Predicate<String> ok) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        await(what + " at " + url).atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> {
            failIfExited();
            String body = quietly(() -> http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            return body != null && ok.test(body);
        });
    }

    private String bin(String name) {
        return binDir.resolve(name).toString();
    }

    private void startProcess(String name, List<String> command) throws IOException {
        Path log = baseDir.resolve("logs/" + name + ".log");
        // Output goes to a file so a chatty component can never block on a full pipe.
        Process process = new ProcessBuilder(command).directory(baseDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        processes.add(new NamedProcess(name, process, log));
    }

    /**
     * A JVM killed with SIGKILL runs no shutdown hook; this shell outlives it only long enough to stop the
     * components and remove their files, so no etcd or API server keeps running (holding ports and memory) after
     * such a run.
     */
    private void startWatchdog() throws IOException {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c",
                "jvm=$1; dir=$2; shift 2; while kill -0 \"$jvm\" 2>/dev/null; do sleep 1; done; "
                        + "kill \"$@\" 2>/dev/null; sleep 5; kill -9 \"$@\" 2>/dev/null; rm -rf \"$dir\"",
                "phasegate-kube-watchdog", String.valueOf(ProcessHandle.current().pid()), baseDir.toString()));
        processes.forEach(p -> command.add(String.valueOf(p.process().pid())));
        watchdog = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private Path writeServiceAccountKey() throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            Path key = baseDir.resolve("service-account.key");
            Files.writeString(key, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            return key;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private void writeKubeconfig(Path file, String user, String token) throws IOException {
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: phasegate
                  cluster:
                    server: %s
                    certificate-authority-data: %s
                users:
                - name: %s
                  user:
                    token: %s
                contexts:
                - name: phasegate
                  context:
                    cluster: phasegate
                    user: %s
                    namespace: default
                current-context: phasegate
                """.formatted(apiServerUrl(), caCertData, user, token, user));
    }

    /** Where the API server is and how to trust it, without any identity. */
    private Config baseConfig() {
        if (!isLocal()) {
            return new ConfigBuilder(Config.empty()).withMasterUrl(attachedConfig.getMasterUrl())
                    .withCaCertData(attachedConfig.getCaCertData()).withCaCertFile(attachedConfig.getCaCertFile())
                    .withTrustCerts(attachedConfig.isTrustCerts()).withNamespace("default").build();
        }
        return new ConfigBuilder(Config.empty()).withMasterUrl(apiServerUrl()).withCaCertData(caCertData)
                .withNamespace("default").build();
    }

    private String readAdminToken() {
        try {
            return Files.readString(baseDir.resolve("admin.token")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private KubernetesClient track(KubernetesClient client) {
        clients.add(client);
        return client;
    }

    // ---------------------------------------------------------------- stop

    /** Stops the controller manager, the API server and etcd (in that order), and removes the temp dir. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (KubernetesClient c : clients) {
            c.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (watchdog != null) {
            stop(watchdog);
        }
        List<NamedProcess> reversed = new ArrayList<>(processes);
        java.util.Collections.reverse(reversed);
        for (NamedProcess p : reversed) {
            stop(p.process());
        }
        if (!Boolean.getBoolean("phasegate.kube.keep")) {
            deleteRecursively(baseDir);
        }
        LIVE.remove(this);
    }

    private static void stop(Process process) {
        // None of these components forks, so the process is the whole tree.
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void installShutdownHook() {
        if (HOOK_INSTALLED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                for (KubeControlPlane plane : List.copyOf(LIVE)) {
                    try {
                        plane.close();
                    } catch (RuntimeException ignored) {
                        // Best effort at JVM exit; nothing left to report to.
                    }
                }
            }, "phasegate-kube-shutdown"));
        }
    }

    // ---------------------------------------------------------------- helpers

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String exitCode(Process p) {
        try {
            return String.valueOf(p.exitValue());
        } catch (IllegalThreadStateException e) {
            return "?";
        }
    }

    private static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no log)";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(could not read " + file + ": " + e + ")";
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // A file a dying process still writes may reappear; the temp dir is cleaned by the OS later.
                }
            });
        } catch (IOException ignored) {
            // As above: leftovers in /tmp are harmless.
        }
    }
}
