package dev.phasegate.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.PhaseName;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The lint corpus (src/test/resources/lint/corpus.txt): each statement's findings, against stated catalog facts. */
class LintCorpusTest {

    private static final String CORPUS = "/lint/corpus.txt";

    record Case(int line, PhaseName phase, String catalog, String expandSql, String sql, List<String> expected) {
        @Override
        public String toString() {
            return "line " + line + ": " + phase + " " + sql;
        }
    }

    static Stream<Arguments> cases() throws IOException {
        return read().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void findingsMatch(Case c) {
        String expand = c.phase() == PhaseName.CompatibleSchema ? c.sql() : c.expandSql();
        String cleanup = c.phase() == PhaseName.Cleanup ? c.sql() : null;
        List<Finding> findings = Linter.lint(expand, cleanup, catalog(c.catalog()), LintThresholds.DEFAULT);
        List<String> actual = findings.stream().filter(f -> f.phase() == c.phase())
                .map(f -> f.rule() + ":" + f.severity() + "@" + f.statement()).sorted().toList();
        assertThat(actual).as("findings of %s\n%s", c, findings.stream().map(Finding::describe).toList())
                .isEqualTo(c.expected().stream().sorted().toList());
        findings.forEach(f -> assertThat(f.message()).as("message of %s", f.rule()).hasSizeGreaterThan(40));
    }

    @Test
    void corpusIsLargeAndCoversEveryRule() throws IOException {
        List<Case> cases = read();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(80);
        Set<String> expectedRules = new HashSet<>();
        cases.forEach(c -> c.expected().forEach(e -> expectedRules.add(e.substring(0, e.indexOf(':')))));
        Set<String> all = new HashSet<>();
        Arrays.stream(Rule.values()).map(Rule::id).forEach(all::add);
        all.remove(Rule.SCRIPT_REFUSED.id()); // the parser's other refusals: SqlScriptRefusalTest covers them
        assertThat(expectedRules).containsAll(all);
        assertThat(cases.stream().filter(c -> c.expected().isEmpty()).count()).as("safe cases").isGreaterThan(30);
    }

    static CatalogFacts catalog(String spec) {
        if (spec.equals("none")) {
            return CatalogFacts.unknown();
        }
        Map<String, double[]> sizes = new HashMap<>();
        Map<String, Set<String>> checks = new HashMap<>();
        Map<String, List<TableFacts.UniqueIndex>> uniques = new HashMap<>();
        Map<String, Map<String, String>> types = new HashMap<>();
        Map<String, Volatility> functions = new HashMap<>();
        List<String> path = List.of("public");
        int version = 150004;
        for (String token : spec.replace("std", "big:orders small:tiny big:users").split("\\s+")) {
            String[] kv = token.split(":", 2);
            switch (kv[0]) {
                case "empty" -> {
                }
                case "big" -> sizes.put(kv[1], new double[] {5_000_000, 2L * 1024 * 1024 * 1024});
                case "small" -> sizes.put(kv[1], new double[] {10, 8192});
                case "pg" -> version = Integer.parseInt(kv[1]);
                case "path" -> path = List.of(kv[1].split(","));
                case "fn" -> functions.put(kv[1].split("=")[0], Volatility.ofCode(kv[1].split("=")[1]));
                case "check" -> checks.computeIfAbsent(table(kv[1]), k -> new HashSet<>()).add(column(kv[1]));
                case "unique" -> uniques.computeIfAbsent(table(kv[1]), k -> new ArrayList<>()).add(
                        new TableFacts.UniqueIndex(kv[1].split("=")[1], List.of(column(kv[1].split("=")[0]))));
                case "type" -> types.computeIfAbsent(table(kv[1]), k -> new HashMap<>())
                        .put(column(kv[1].split("=")[0]), kv[1].split("=")[1].replace('_', ' '));
                default -> throw new IllegalArgumentException("unknown catalog token " + token);
            }
        }
        Map<String, TableFacts> tables = new HashMap<>();
        sizes.forEach((t, s) -> tables.put(t.contains(".") ? t : "public." + t, new TableFacts(s[0], (long) s[1], uniques.getOrDefault(t, List.of()),
                checks.getOrDefault(t, Set.of()), types.getOrDefault(t, Map.of()))));
        return new CatalogSnapshot(version, path, tables, functions, true);
    }

    private static String table(String tableDotColumn) {
        return tableDotColumn.substring(0, tableDotColumn.indexOf('.'));
    }

    private static String column(String tableDotColumn) {
        return tableDotColumn.substring(tableDotColumn.indexOf('.') + 1).split("=")[0];
    }

    static List<Case> read() throws IOException {
        List<Case> cases = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                Objects.requireNonNull(LintCorpusTest.class.getResourceAsStream(CORPUS)), StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(" \\| ");
                if (f.length != 4) {
                    throw new IllegalArgumentException("line " + n + ": want 4 fields, got " + f.length);
                }
                PhaseName phase = switch (f[0].trim()) {
                    case "expand" -> PhaseName.CompatibleSchema;
                    case "cleanup" -> PhaseName.Cleanup;
                    default -> throw new IllegalArgumentException("line " + n + ": phase " + f[0]);
                };
                String[] scripts = f[2].split(" >>> ");
                String expandSql = scripts.length == 2 ? scripts[0] : null;
                String sql = scripts[scripts.length - 1];
                List<String> expected = f[3].trim().equals("-") ? List.of()
                        : Arrays.stream(f[3].split(",")).map(String::trim).toList();
                cases.add(new Case(n, phase, f[1].trim(), expandSql, sql, expected));
            }
        }
        return cases;
    }
}
