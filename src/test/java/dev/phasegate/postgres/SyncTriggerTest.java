package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillSync;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SqlPhaseSpec;
import dev.phasegate.kube.MigrationValidator;
import dev.phasegate.postgres.sql.SqlScript;
import org.junit.jupiter.api.Test;

/** The sync trigger's statements: where they join the phases' scripts, how they are named and quoted. */
class SyncTriggerTest {

    static SchemaMigrationSpec spec(BackfillSync sync) {
        SchemaMigrationSpec s = new SchemaMigrationSpec();
        s.database = new dev.phasegate.api.DatabaseSpec();
        s.database.secretRef = new dev.phasegate.api.SecretRef("db");
        s.compatibleSchema = new SqlPhaseSpec("ALTER TABLE shop.orders ADD COLUMN status_v2 text;",
                "ALTER TABLE shop.orders DROP COLUMN IF EXISTS status_v2");
        s.backfill = new BackfillSpec();
        s.backfill.table = "shop.orders";
        s.backfill.keyColumn = "id";
        s.backfill.set = "status_v2 = 's' || status, \"Note\" = upper(note)";
        s.backfill.where = "status_v2 IS NULL";
        s.backfill.sync = sync;
        s.cleanup = new SqlPhaseSpec("ALTER TABLE shop.orders DROP COLUMN status", null);
        return s;
    }

    @Test
    void withoutSyncEveryScriptIsTheSpecsOwn() {
        SchemaMigrationSpec s = spec(null);
        assertThat(SyncTrigger.script(s, PhaseName.CompatibleSchema, false, s.compatibleSchema.sql))
                .isEqualTo(s.compatibleSchema.sql);
        assertThat(SyncTrigger.script(s, PhaseName.Cleanup, false, s.cleanup.sql)).isEqualTo(s.cleanup.sql);
    }

    @Test
    void createdAfterTheExpandDroppedBeforeTheContractAndBeforeTheExpandsRollback() {
        SchemaMigrationSpec s = spec(BackfillSync.Trigger);
        String name = SyncTrigger.name(s.backfill);
        assertThat(name).matches("phasegate_sync_[0-9a-f]{12}");

        SqlScript expand = SqlScript.parse(SyncTrigger.script(s, PhaseName.CompatibleSchema, false,
                s.compatibleSchema.sql));
        assertThat(expand.statements()).hasSize(4);
        assertThat(expand.statements().get(0).text()).startsWith("ALTER TABLE shop.orders ADD COLUMN");
        assertThat(expand.statements().get(1).text()).startsWith("SELECT ('s' || status").contains("LIMIT 1");
        assertThat(expand.statements().get(2).text())
                .startsWith("CREATE OR REPLACE FUNCTION \"shop\".\"" + name + "\"() RETURNS trigger")
                .contains("SELECT ('s' || status\n), (upper(note)\n) INTO NEW.\"status_v2\", NEW.\"Note\" FROM"
                        + " (SELECT NEW.*) AS phasegate_row");
        assertThat(expand.statements().get(3).text()).isEqualTo("CREATE OR REPLACE TRIGGER \"" + name
                + "\" BEFORE INSERT OR UPDATE ON \"shop\".\"orders\" FOR EACH ROW EXECUTE FUNCTION \"shop\".\""
                + name + "\"()");

        SqlScript cleanup = SqlScript.parse(SyncTrigger.script(s, PhaseName.Cleanup, false, s.cleanup.sql));
        assertThat(cleanup.statements()).extracting(st -> st.text()).containsExactly(
                "DROP TRIGGER IF EXISTS \"" + name + "\" ON \"shop\".\"orders\"",
                "DROP FUNCTION IF EXISTS \"shop\".\"" + name + "\"()",
                "ALTER TABLE shop.orders DROP COLUMN status");
        SqlScript undo = SqlScript.parse(SyncTrigger.script(s, PhaseName.CompatibleSchema, true,
                s.compatibleSchema.rollbackSql));
        assertThat(undo.statements()).hasSize(3);
        assertThat(undo.statements().get(0).text()).startsWith("DROP TRIGGER IF EXISTS");
        assertThat(SyncTrigger.script(s, PhaseName.Cleanup, true, "ALTER TABLE x")).isEqualTo("ALTER TABLE x");
    }

    @Test
    void theNameFollowsTableAndSetSoAnEditedSetGetsItsOwnTrigger() {
        SchemaMigrationSpec a = spec(BackfillSync.Trigger);
        SchemaMigrationSpec b = spec(BackfillSync.Trigger);
        assertThat(SyncTrigger.name(a.backfill)).isEqualTo(SyncTrigger.name(b.backfill));
        b.backfill.set = "status_v2 = status::text";
        assertThat(SyncTrigger.name(a.backfill)).isNotEqualTo(SyncTrigger.name(b.backfill));
    }

    @Test
    void aSetTheTriggerCannotComputeIsAnInvalidSpec() {
        SchemaMigrationSpec s = spec(BackfillSync.Trigger);
        s.backfill.set = "(a, b) = (1, 2)";
        assertThat(MigrationValidator.validate(s)).anySatisfy(p -> assertThat(p)
                .contains("spec.backfill.sync: Trigger cannot be built", "one column per assignment"));
        s.backfill.set = "a = $phasegate_sync$x$phasegate_sync$";
        assertThat(MigrationValidator.validate(s)).anySatisfy(p -> assertThat(p).contains("$phasegate_sync$"));
        SchemaMigrationSpec noExpand = spec(BackfillSync.Trigger);
        noExpand.compatibleSchema = null;
        assertThat(MigrationValidator.validate(noExpand)).anySatisfy(p -> assertThat(p)
                .contains("spec.compatibleSchema"));
        assertThat(MigrationValidator.validate(spec(BackfillSync.Trigger))).isEmpty();
    }
}
