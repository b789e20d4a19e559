package dev.phasegate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The operator image that {@code make image} leaves in buildah's local storage, and working containers of it that
 * {@code buildah run --isolation chroot} starts (containers with namespaces cannot be started in every sandbox).
 */
public final class BuildahImage {
    /** The name src/main/image/build.sh gives the image: localhost/phasegate:{chart appVersion}. */
    public static String defaultName() {
        try {
            String chart = Files.readString(Path.of("helm", "phasegate", "Chart.yaml"));
            String version = chart.lines().filter(l -> l.startsWith("appVersion:")).findFirst().orElseThrow()
                    .substring("appVersion:".length()).trim().replace("\"", "");
            return System.getProperty("phasegate.image", "localhost/phasegate:" + version);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Why the image cannot be run here (a person can act on it), or empty when it can. */
    public static Optional<String> unavailable(String image) {
        if (!"0".equals(runQuietly("id", "-u").trim())) {
            return Optional.of("buildah run needs root here; the tests run as " + runQuietly("id", "-un").trim());
        }
        if (runQuietly("buildah", "--version").isBlank()) {
            return Optional.of("buildah is not installed (apt-get install buildah; .ci/run installs it)");
        }
        if (runQuietly("buildah", "inspect", "--type", "image", image).isBlank()) {
            return Optional.of("no image " + image + " in buildah's storage: run make image first");
        }
        return Optional.empty();
    }

    /** The image's OCI configuration (Entrypoint, Env, User, Labels, ...). */
    public static JsonNode config(String image) {
        try {
            return new ObjectMapper().readTree(run("buildah", "inspect", "--type", "image", image)).path("OCIv1")
                    .path("config");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new working container of image; its name. */
    public static String newContainer(String image, String name) {
        return run("buildah", "from", "--pull-never", "--name", name, image).trim();
    }

    /** The container's root filesystem as mounted on the host (overlay "merged"). */
    public static Path mount(String container) {
        return Path.of(run("buildah", "mount", container).trim());
    }

    /** What the container changed in its root filesystem: the overlay upper directory next to the mount. */
    public static Path changes(String container) {
        return mount(container).resolveSibling("diff");
    }

    public static void remove(String container) {
        runQuietly("buildah", "rm", container);
    }

    /** Runs a command to completion; its stdout, or an exception carrying stderr. */
    public static String run(String... command) {
        try {
            Path err = Files.createTempFile("buildah", ".err");
            try {
                Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(err));
                }
                return new String(out, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String runQuietly(String... command) {
        try {
            return run(command);
        } catch (RuntimeException notInstalledOrFailed) {
            return "";
        }
    }

    /** The arguments of {@code buildah run}, built up from what a pod spec says. */
    public static final class RunCommand {
        private final List<String> args = new ArrayList<>(List.of("buildah", "run", "--isolation", "chroot",
                "--network", "host"));
        private final String container;

        public RunCommand(String container) {
            this.container = container;
        }

        public RunCommand user(long uid, long gid) {
            args.addAll(List.of("--user", uid + ":" + gid));
            return this;
        }

        public RunCommand env(String name, String value) {
            args.addAll(List.of("-e", name + "=" + value));
            return this;
        }

        public RunCommand volume(Path host, String inContainer, boolean readOnly) {
            args.addAll(List.of("-v", host.toAbsolutePath() + ":" + inContainer + (readOnly ? ":ro" : "")));
            return this;
        }

        public List<String> command(List<String> entrypoint) {
            List<String> all = new ArrayList<>(args);
            all.add(container);
            all.add("--");
            all.addAll(entrypoint);
            return all;
        }
    }

    private BuildahImage() {
    }
}
