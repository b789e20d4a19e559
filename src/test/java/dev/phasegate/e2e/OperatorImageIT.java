package dev.phasegate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phasegate.api.MigrationPhase;
import dev.phasegate.api.SchemaMigrationStatus;
import dev.phasegate.kube.OperatorLease;
import dev.phasegate.testing.BuildahImage;
import dev.phasegate.testing.KubeControlPlane;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.ServiceAccountOperator;
import dev.phasegate.testing.WithKubeControlPlane;
import dev.phasegate.testing.WithPostgres;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator from the image {@code make image} built (not from the test's classpath), started as the kubelet
 * would start deploy/operator.yaml's container: its entrypoint, the user, environment and /tmp volume of the
 * Deployment's pod spec, the ServiceAccount token mounted where Kubernetes mounts it, the API server named by
 * KUBERNETES_SERVICE_HOST/PORT. It runs a migration on the real control plane against a real PostgreSQL.
 * Reuses the image instead of building it (make test builds it first), so that the suite does not pay for a
 * second Maven package; skipped, with the reason, where buildah or the image is missing.
 */
@WithKubeControlPlane
@WithPostgres
class OperatorImageIT {
    private static final String NS = "default";
    private static final String OPERATOR_NS = "phasegate-system";
    private static final String SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
    private static final String IMAGE = BuildahImage.defaultName();

    static KubeControlPlane kube;
    static PostgresDatabase db;

    private static String container;
    private static Process buildahRun;
    private static Path tmp;
    private static Path log;
    private static Container spec;
    private static PodSpec pod;
    private static int httpPort;
    private static Path serviceAccount;
    private static String unavailable;

    @BeforeAll
    static void startTheOperatorFromTheImage() throws Exception {
        // Judged in the test method: an assumption failing here would hide the test and its reason from the report.
        unavailable = BuildahImage.unavailable(IMAGE).orElse(null);
        if (unavailable != null) {
            return;
        }
        ServiceAccountOperator.applyManifests(kube);
        Deployment deployment = kube.adminClient().apps().deployments().inNamespace(OPERATOR_NS)
                .withName("phasegate").get();
        pod = deployment.getSpec().getTemplate().getSpec();
        spec = pod.getContainers().get(0);

        Path work = Files.createDirectories(Path.of("target", "operator-image"));
        tmp = Files.createTempDirectory(work.toAbsolutePath(), "tmp-");
        Files.setPosixFilePermissions(tmp, Set.of(PosixFilePermission.values())); // an emptyDir: writable by all
        serviceAccount = Files.createTempDirectory(work.toAbsolutePath(), "serviceaccount-");
        Files.writeString(serviceAccount.resolve("token"), kube.serviceAccountToken(OPERATOR_NS, "phasegate"));
        Files.write(serviceAccount.resolve("ca.crt"), Base64.getDecoder().decode(kube.caCertData()));
        Files.writeString(serviceAccount.resolve("namespace"), OPERATOR_NS);
        // Readable by the pod's user, as the kubelet's projected volume is (mode 0644, no fsGroup).
        Files.setPosixFilePermissions(serviceAccount, PosixFilePermissions.fromString("rwxr-xr-x"));
        log = work.resolve("operator.log");

        URI api = URI.create(kube.apiServerUrl());
        BuildahImage.RunCommand run = new BuildahImage.RunCommand(
                container = BuildahImage.newContainer(IMAGE, "phasegate-image-it-" + ProcessHandle.current().pid()))
                .user(spec.getSecurityContext().getRunAsUser(), spec.getSecurityContext().getRunAsGroup())
                .volume(serviceAccount, SA_DIR, true)
                // What the kubelet gives every container: the API server's address, the pod's name.
                .env("KUBERNETES_SERVICE_HOST", api.getHost())
                .env("KUBERNETES_SERVICE_PORT", String.valueOf(api.getPort()))
                .env("HOSTNAME", "phasegate-image-it")
                // Host network: 8080 may be taken on this machine.
                .env("QUARKUS_HTTP_PORT", String.valueOf(httpPort = freePort()));
        for (EnvVar env : spec.getEnv()) {
            run.env(env.getName(), env.getValue());
        }
        spec.getVolumeMounts().forEach(m -> assertThat(m.getMountPath()).as("the pod's only volume").isEqualTo("/tmp"));
        run.volume(tmp, "/tmp", false);
        List<String> entrypoint = new ArrayList<>();
        BuildahImage.config(IMAGE).path("Entrypoint").forEach(a -> entrypoint.add(a.asText()));
        buildahRun = new ProcessBuilder(run.command(entrypoint)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (buildahRun != null) {
            buildahRun.descendants().forEach(ProcessHandle::destroyForcibly);
            buildahRun.destroyForcibly().waitFor();
            kube.adminClient().leases().inNamespace(OPERATOR_NS).withName(OperatorLease.DEFAULT_NAME).delete();
        }
        if (container != null) {
            BuildahImage.remove(container);
        }
        if (serviceAccount != null) { // a live token of the operator's ServiceAccount
            try (Stream<Path> files = Files.list(serviceAccount)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(serviceAccount);
        }
    }

    @Test
    void theImageRunsAMigrationToSucceededAsTheNonRootUserWritingOnlyToTmp() throws Exception {
        Assumptions.assumeTrue(unavailable == null, unavailable);
        assertThat(spec.getImage()).as("deploy/operator.yaml runs the image make image builds").isEqualTo(IMAGE);
        // The image has no shell, so no run-java.sh reads JAVA_MAX_MEM_RATIO: the java launcher reads this.
        assertThat(spec.getEnv()).extracting(EnvVar::getName).contains("JDK_JAVA_OPTIONS")
                .doesNotContain("JAVA_MAX_MEM_RATIO");

        db.execute("CREATE TABLE parcels (id bigserial PRIMARY KEY, weight int NOT NULL DEFAULT 1)");
        db.execute("INSERT INTO parcels (weight) SELECT g % 5 FROM generate_series(1, 3000) g");
        KubeFixtures fx = new KubeFixtures(kube.adminClient());
        fx.secret(NS, "parcels-db", db);
        fx.migration(NS, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: parcels-grams}
                spec:
                  database: {secretRef: {name: parcels-db}}
                  compatibleSchema:
                    sql: ALTER TABLE parcels ADD COLUMN grams int;
                  backfill:
                    table: parcels
                    keyColumn: id
                    set: "grams = weight * 1000"
                    where: "grams IS NULL"
                    batchSize: 1000
                    pauseBetweenBatches: 0s
                """);
        SchemaMigrationStatus done;
        try {
            done = fx.awaitStatus(NS, "parcels-grams", s -> s.phase == MigrationPhase.Succeeded
                    || s.phase == MigrationPhase.Failed, Duration.ofSeconds(180));
        } catch (RuntimeException e) {
            throw new AssertionError("the operator in the image did not finish; its log:\n" + tail(), e);
        }
        assertThat(done.phase).as(done.reason + ": " + done.message).isEqualTo(MigrationPhase.Succeeded);
        assertThat(db.count("SELECT count(*) FROM parcels WHERE grams IS NULL")).isZero();
        assertThat(readiness()).as("the pod's readiness probe, /q/health/ready").isEqualTo(200);

        // The JVM runs as the pod's user, not as root: real, effective, saved and file-system ids.
        ProcessHandle java = buildahRun.descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/opt/java/bin/java")).orElse(false))
                .findFirst().orElseThrow(() -> new AssertionError("no java process under buildah run\n" + tail()));
        // Class-data archives the entrypoint names (APPCDS=1 make image) are mapped: one the JVM cannot use (another
        // JDK, moved jars, other pointer sizes) would be skipped with no more than a warning.
        String maps = Files.readString(Path.of("/proc", String.valueOf(java.pid()), "maps"));
        BuildahImage.config(IMAGE).path("Entrypoint").forEach(a -> {
            if (a.asText().startsWith("-XX:SharedArchiveFile=")) {
                for (String archive : a.asText().substring("-XX:SharedArchiveFile=".length()).split(":")) {
                    assertThat(maps).as("the JVM's mappings").contains(archive);
                }
            }
        });
        String status = Files.readString(Path.of("/proc", String.valueOf(java.pid()), "status"));
        long uid = pod.getSecurityContext().getRunAsUser();
        long gid = pod.getSecurityContext().getRunAsGroup();
        assertThat(status).containsPattern("(?m)^Uid:\\s+" + uid + "\\s+" + uid + "\\s+" + uid + "\\s+" + uid + "$");
        assertThat(status).containsPattern("(?m)^Gid:\\s+" + gid + "\\s+" + gid + "\\s+" + gid + "\\s+" + gid + "$");

        // What the image says about itself, and no shell to exec into: java is the only program in it.
        JsonNode config = BuildahImage.config(IMAGE);
        assertThat(config.path("User").asText()).isEqualTo(uid + ":" + gid);
        assertThat(config.path("Labels").path("org.opencontainers.image.revision").asText()).matches("[0-9a-f]{40}.*");
        assertThat(config.path("Labels").path("org.opencontainers.image.version").asText()).isNotBlank();
        Path root = BuildahImage.mount(container);
        try (Stream<Path> files = Files.walk(root)) {
            // Files that buildah run itself added (etc/hosts, etc/resolv.conf, ...) are not the image's.
            Path changes = BuildahImage.changes(container);
            assertThat(files.filter(f -> Files.isRegularFile(f) && !Files.exists(changes.resolve(root.relativize(f)))
                    && permissions(f).contains(PosixFilePermission.OWNER_EXECUTE)
                    && !f.getFileName().toString().endsWith(".so") && !f.getFileName().toString().contains(".so."))
                    .map(root::relativize).map(Path::toString).toList())
                    .as("executables in the image").containsExactlyInAnyOrder("opt/java/bin/java",
                            "opt/java/lib/jexec", "opt/java/lib/jspawnhelper");
        }

        // Nothing in the image is writable by that user except /tmp, so readOnlyRootFilesystem costs nothing ...
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.filter(f -> !Files.isSymbolicLink(f) && !f.startsWith(root.resolve("tmp"))
                    && writableBy(f, uid)).map(root::relativize).toList())
                    .as("paths of the image the user %d could write", uid).isEmpty();
        }
        // ... and it did write there (JVM performance data, Vert.x cache), as that user.
        try (Stream<Path> written = Files.list(tmp)) {
            assertThat(written.toList()).as("what the operator wrote to /tmp").isNotEmpty()
                    .allSatisfy(f -> assertThat(Files.getAttribute(f, "unix:uid")).isEqualTo((int) uid));
        }
        // The container's own changes to its root filesystem hold only what buildah run put there as root (mount
        // points, etc/hosts, etc/resolv.conf): nothing of the operator's user.
        try (Stream<Path> changed = Files.walk(BuildahImage.changes(container))) {
            assertThat(changed.filter(f -> owner(f) == uid).toList()).as("written outside /tmp by %d", uid).isEmpty();
        }
    }

    private static boolean writableBy(Path f, long uid) {
        Set<PosixFilePermission> perms = permissions(f);
        return perms.contains(PosixFilePermission.OTHERS_WRITE)
                || (owner(f) == uid && perms.contains(PosixFilePermission.OWNER_WRITE));
    }

    private static int owner(Path f) {
        try {
            return (int) Files.getAttribute(f, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Set<PosixFilePermission> permissions(Path f) {
        try {
            return Files.getPosixFilePermissions(f);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int readiness() throws Exception {
        URI url = URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready");
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(url).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
