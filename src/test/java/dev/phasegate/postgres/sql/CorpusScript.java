package dev.phasegate.postgres.sql;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A script of src/test/resources/sql-corpus with the expectations in its header comments.
 *
 * <p>{@code -- expect N: KIND, KIND/notx, ...} (required), {@code -- index I: name ON table} and
 * {@code -- targets I: a, b} (optional, per statement; "-" means empty).
 */
record CorpusScript(String name, String text, int count, List<StatementKind> kinds, List<Boolean> transactional,
        Map<Integer, String[]> indexes, Map<Integer, List<String>> targets) {

    private static final Pattern EXPECT = Pattern.compile("(?m)^-- expect (\\d+):(.*)$");
    private static final Pattern INDEX = Pattern.compile("(?m)^-- index (\\d+): (.+) ON (.+)$");
    private static final Pattern TARGETS = Pattern.compile("(?m)^-- targets (\\d+): (.+)$");

    static List<CorpusScript> all() {
        try (Stream<Path> files = Files.list(directory())) {
            return files.filter(p -> p.toString().endsWith(".sql")).sorted().map(CorpusScript::load).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path directory() {
        try {
            return Path.of(CorpusScript.class.getClassLoader().getResource("sql-corpus").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static CorpusScript load(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Matcher expect = EXPECT.matcher(text);
            if (!expect.find()) {
                throw new IllegalStateException(file + " has no '-- expect N: ...' header");
            }
            List<StatementKind> kinds = new ArrayList<>();
            List<Boolean> transactional = new ArrayList<>();
            for (String entry : expect.group(2).split(",")) {
                if (!entry.isBlank()) {
                    String[] parts = entry.trim().split("/");
                    kinds.add(StatementKind.valueOf(parts[0]));
                    transactional.add(!(parts.length > 1 && parts[1].equals("notx")));
                }
            }
            Map<Integer, String[]> indexes = new HashMap<>();
            Matcher index = INDEX.matcher(text);
            while (index.find()) {
                indexes.put(Integer.parseInt(index.group(1)), new String[] {index.group(2), index.group(3)});
            }
            Map<Integer, List<String>> targets = new HashMap<>();
            Matcher target = TARGETS.matcher(text);
            while (target.find()) {
                String list = target.group(2).trim();
                targets.put(Integer.parseInt(target.group(1)),
                        list.equals("-") ? List.of() : Arrays.stream(list.split(", ")).toList());
            }
            return new CorpusScript(file.getFileName().toString(), text, Integer.parseInt(expect.group(1)),
                    kinds, transactional, indexes, targets);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Optional<String> orEmpty(String expected) {
        return expected.equals("-") ? Optional.empty() : Optional.of(expected);
    }

    static CorpusScript named(String prefix) {
        return all().stream().filter(s -> s.name().startsWith(prefix)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no corpus script " + prefix));
    }

    @Override
    public String toString() {
        return name;
    }
}
