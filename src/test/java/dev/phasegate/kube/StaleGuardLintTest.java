package dev.phasegate.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillSync;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.VerifySpec;
import org.junit.jupiter.api.Test;

/** The warning about an IS NULL guard on a target that set computes from the row. */
class StaleGuardLintTest {

    static SchemaMigrationSpec spec(String set, String where) {
        SchemaMigrationSpec s = new SchemaMigrationSpec();
        s.backfill = new BackfillSpec();
        s.backfill.table = "orders";
        s.backfill.keyColumn = "id";
        s.backfill.set = set;
        s.backfill.where = where;
        return s;
    }

    @Test
    void anIsNullGuardOnAComputedTargetIsWarnedAboutWithBothFixes() {
        assertThat(StaleGuardLint.check(spec("status_v2 = status::text", "status_v2 IS NULL")))
                .hasValueSatisfying(w -> assertThat(w).contains("status_v2 IS NULL", "stale",
                        "status_v2 IS DISTINCT FROM (status::text)", "spec.backfill.sync: Trigger"));
        assertThat(StaleGuardLint.check(spec("a = 1, Price_Cents = round(price * 100)", " price_cents is null ")))
                .hasValueSatisfying(w -> assertThat(w).contains("price_cents IS DISTINCT FROM (round(price * 100))"));
    }

    @Test
    void otherGuardsAndColumnsThatAreNotAFunctionOfTheRowAreLeftAlone() {
        assertThat(StaleGuardLint.check(spec("status_v2 = status::text", "status_v2 IS DISTINCT FROM (status::text)")))
                .isEmpty();
        assertThat(StaleGuardLint.check(spec("migrated_at = now()", "migrated_at IS NULL"))).isEmpty();
        assertThat(StaleGuardLint.check(spec("flag = 'done'", "flag IS NULL"))).isEmpty();
        assertThat(StaleGuardLint.check(spec("other = status::text", "status_v2 IS NULL"))).isEmpty();
        SchemaMigrationSpec synced = spec("status_v2 = status::text", "status_v2 IS NULL");
        synced.backfill.sync = BackfillSync.Trigger;
        assertThat(StaleGuardLint.check(synced)).isEmpty();
        SchemaMigrationSpec skipped = spec("status_v2 = status::text", "status_v2 IS NULL");
        skipped.backfill.verify = new VerifySpec("new code writes its own values", null);
        assertThat(StaleGuardLint.check(skipped)).isEmpty();
        assertThat(StaleGuardLint.check(new SchemaMigrationSpec())).isEmpty();
    }
}
