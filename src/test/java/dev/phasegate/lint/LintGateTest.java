package dev.phasegate.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.LintAllow;
import dev.phasegate.api.LintStatus;
import dev.phasegate.api.PhaseName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** spec.lint.allow applied to findings: what blocks, what status.lint and the Event show, and the size bounds. */
class LintGateTest {

    private static final String NOW = "2026-12-02T14:00:00Z";

    private static List<Finding> lint(String expand, String cleanup) {
        return Linter.lint(expand, cleanup, LintCorpusTest.catalog("std"), LintThresholds.DEFAULT);
    }

    @Test
    void anErrorBlocksNamingTheRuleTheStatementAndTheFix() {
        LintGate.Verdict v = LintGate.judge(lint("ALTER TABLE orders ADD COLUMN note text;\n"
                + "CREATE INDEX orders_note_idx ON orders (note)", null), List.of(), PhaseName.CompatibleSchema, NOW);
        assertThat(v.block()).hasValueSatisfying(m -> assertThat(m)
                .contains("index-not-concurrent (ERROR) at CompatibleSchema statement 2 (CREATE INDEX orders)")
                .contains("CREATE INDEX CONCURRENTLY orders_note_idx ON orders")
                .contains("orders has about 5,000,000 rows")
                .contains("{rule: index-not-concurrent, reason: ...} to spec.lint.allow"));
        assertThat(v.status().blocking).isEqualTo(1);
        assertThat(v.status().findings).singleElement().satisfies(f -> {
            assertThat(f.where).isEqualTo("CompatibleSchema statement 2 (CREATE INDEX orders)");
            assertThat(f.allowedBecause).isNull();
        });
        assertThat(v.report()).isEmpty();
    }

    @Test
    void anAllowedErrorRunsAndStaysVisibleWithItsReason() {
        LintGate.Verdict v = LintGate.judge(lint("CREATE INDEX orders_a_idx ON orders (a)", "DROP INDEX orders_b"),
                List.of(new LintAllow("index-not-concurrent", "maintenance window, writes stopped")),
                PhaseName.CompatibleSchema, NOW);
        assertThat(v.block()).isEmpty();
        assertThat(v.status().errors).isEqualTo(1);
        assertThat(v.status().blocking).isZero();
        assertThat(v.status().warnings).isEqualTo(1);
        assertThat(v.status().findings).extracting(f -> f.rule + "/" + f.allowedBecause).containsExactly(
                "index-not-concurrent/maintenance window, writes stopped", "drop-index-not-concurrent/null");
        assertThat(v.report()).hasValueSatisfying(r -> assertThat(r)
                .contains("index-not-concurrent (ERROR, allowed: maintenance window, writes stopped)")
                .contains("drop-index-not-concurrent (WARNING) at Cleanup statement 1"));
    }

    @Test
    void allowingAnotherRuleDoesNotUnblock() {
        LintGate.Verdict v = LintGate.judge(lint("ALTER TABLE orders RENAME COLUMN a TO b", null),
                List.of(new LintAllow("index-not-concurrent", "unrelated")), PhaseName.CompatibleSchema, NOW);
        assertThat(v.block()).hasValueSatisfying(m -> assertThat(m).contains("rename-column"));
    }

    @Test
    void statusStaysSmallWithManyFindings() {
        StringBuilder sql = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sql.append("CREATE INDEX orders_").append(i).append("_idx ON orders (c").append(i).append(");\n");
        }
        LintStatus s = LintGate.judge(lint(sql.toString(), null), List.of(), PhaseName.CompatibleSchema, NOW)
                .status();
        assertThat(s.findings).hasSize(LintGate.MAX_LISTED);
        assertThat(s.omitted).isEqualTo(30);
        assertThat(s.errors).isEqualTo(40);
        assertThat(s.findings).allSatisfy(f -> assertThat(f.message.length()).isLessThanOrEqualTo(600));
    }

    @Test
    void theCrdAcceptsExactlyTheLintsRuleIds() {
        Matcher m = Pattern.compile("'([a-z-]+)'").matcher(LintAllow.RULE_IDS);
        List<String> inCrd = new ArrayList<>();
        while (m.find()) {
            inCrd.add(m.group(1));
        }
        assertThat(inCrd).containsExactlyInAnyOrderElementsOf(Arrays.stream(Rule.values()).map(Rule::id).toList());
    }
}
