package dev.phasegate.kube;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Loads, on the warm-up thread, the classes a start is known to need before it is ready, in the order it needs them,
 * so that the boot thread finds most of them loaded. Without a class-data archive, the image's runtime parses every
 * one of about 9,000 classes on the way to ready, and the boot thread does that one class at a time while the second
 * core idles. The list is plain text in the application jar: unlike an archive, it builds the same every time. A name
 * that no longer exists (after an upgrade) is skipped, and classes are loaded but not initialised, so no static
 * initialiser runs earlier than it would, before Quarkus has set the properties some of them read.
 */
final class StartupClassPreloader {
    /** Written by {@code make startup-classes}: one binary class name per line; lines starting with # are notes. */
    static final String LIST = "/META-INF/phasegate/startup-classes.txt";

    /** What a preload did: names loaded (or found loaded) and names no class loader knew. */
    record Result(int loaded, int missing) {
    }

    private StartupClassPreloader() {
    }

    /** Preloads the application's list, if it has one. */
    static Result preload() throws IOException {
        try (InputStream list = StartupClassPreloader.class.getResourceAsStream(LIST)) {
            return list == null ? new Result(0, 0) : preload(list, StartupClassPreloader.class.getClassLoader());
        }
    }

    static Result preload(InputStream list, ClassLoader loader) throws IOException {
        int loaded = 0;
        int missing = 0;
        for (String name : names(list)) {
            try {
                Class.forName(name, false, loader);
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                missing++;
            }
        }
        return new Result(loaded, missing);
    }

    /** The class names of a list, without its notes and blank lines. */
    static List<String> names(InputStream list) throws IOException {
        return new String(list.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }
}
