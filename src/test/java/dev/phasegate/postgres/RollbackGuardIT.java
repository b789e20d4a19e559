package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.postgres.sql.DropTargets.Kind;
import dev.phasegate.postgres.sql.DropTargets.Target;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What existed before a phase, read from the real catalog, and when an automatic rollback must be held. */
@WithPostgres
class RollbackGuardIT {
    PostgresDatabase db;

    @Test
    void everyKindIsFoundInTheCatalogOnlyWhenItExists() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("""
                    CREATE SCHEMA gs;
                    CREATE TABLE gs."Mixed" (id int PRIMARY KEY, note text, CONSTRAINT mixed_note CHECK (note <> ''));
                    CREATE INDEX g_idx ON gs."Mixed" (note);
                    CREATE VIEW g_view AS SELECT 1 AS one;
                    CREATE SEQUENCE g_seq;
                    CREATE TYPE g_mood AS ENUM ('a');
                    CREATE FUNCTION g_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
                    CREATE TRIGGER g_trg BEFORE INSERT ON gs."Mixed" FOR EACH ROW EXECUTE FUNCTION g_fn();
                    """);
            String t = "gs.\"Mixed\"";
            for (Target present : new Target[] {new Target(Kind.TABLE, t, ""), new Target(Kind.INDEX, "gs.g_idx", ""),
                    new Target(Kind.VIEW, "g_view", ""), new Target(Kind.SEQUENCE, "g_seq", ""),
                    new Target(Kind.TYPE, "g_mood", ""), new Target(Kind.FUNCTION, "g_fn", ""),
                    new Target(Kind.TRIGGER, "g_trg", t), new Target(Kind.COLUMN, "note", t),
                    new Target(Kind.CONSTRAINT, "mixed_note", t)}) {
                assertThat(RollbackGuard.exists(c, present)).as(present.describe()).isTrue();
            }
            for (Target absent : new Target[] {new Target(Kind.TABLE, "gs.nope", ""),
                    new Target(Kind.INDEX, "nope_idx", ""), new Target(Kind.TYPE, "nope_t", ""),
                    new Target(Kind.FUNCTION, "nope_fn", ""), new Target(Kind.TRIGGER, "nope", t),
                    new Target(Kind.COLUMN, "nope", t), new Target(Kind.COLUMN, "note", "gs.nope"),
                    new Target(Kind.CONSTRAINT, "nope", t)}) {
                assertThat(RollbackGuard.exists(c, absent)).as(absent.describe()).isFalse();
            }
        }
    }

    @Test
    void aRollbackIsHeldOnlyForWhatPreexistedOrCannotBeAttributed() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE rg (id int PRIMARY KEY, old_col text)");
            Ledger.ensure(c);
            RollbackGuard.ensure(c);
            String rollback = "ALTER TABLE rg DROP COLUMN IF EXISTS new_col; ALTER TABLE rg DROP COLUMN IF EXISTS old_col";
            assertThat(RollbackGuard.unsafe(c, "ns/rg", "CompatibleSchema", rollback)).as("never captured")
                    .hasValueSatisfying(why -> assertThat(why).contains("not recorded"));

            RollbackGuard.capture(c, "ns/rg", "CompatibleSchema", rollback);
            s.execute("ALTER TABLE rg ADD COLUMN new_col text"); // what the phase itself adds
            Optional<String> why = RollbackGuard.unsafe(c, "ns/rg", "CompatibleSchema", rollback);
            assertThat(why).hasValueSatisfying(w -> assertThat(w).contains("column rg.old_col", "existed before")
                    .doesNotContain("new_col"));
            assertThat(RollbackGuard.unsafe(c, "ns/rg", "CompatibleSchema",
                    "ALTER TABLE rg DROP COLUMN IF EXISTS new_col")).as("only what the phase created").isEmpty();
            assertThat(RollbackGuard.unsafe(c, "ns/rg", "CompatibleSchema",
                    "ALTER TABLE rg DROP COLUMN IF EXISTS new_col; DELETE FROM rg WHERE id > 10"))
                    .hasValueSatisfying(w -> assertThat(w).contains("statement 2"));

            RollbackGuard.forget(c, "ns/rg", "CompatibleSchema");
            assertThat(RollbackGuard.unsafe(c, "ns/rg", "CompatibleSchema",
                    "ALTER TABLE rg DROP COLUMN IF EXISTS new_col")).as("forgotten after the rollback").isPresent();
        }
    }

    @Test
    void aVersionOneJournalIsUpgradedToNameKeysKeepingWhatTheDatabaseWentThrough() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS phasegate CASCADE");
            s.execute("""
                    CREATE SCHEMA phasegate;
                    CREATE TABLE phasegate.schema_version (version int NOT NULL);
                    INSERT INTO phasegate.schema_version VALUES (1);
                    CREATE TABLE phasegate.ledger (
                      migration_uid text NOT NULL, migration text NOT NULL, phase text NOT NULL,
                      direction text NOT NULL, stmt_index int NOT NULL, checksum text NOT NULL,
                      statement text NOT NULL, state text NOT NULL,
                      started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz,
                      PRIMARY KEY (migration_uid, phase, direction, stmt_index));
                    INSERT INTO phasegate.ledger VALUES
                      ('uid-1', 'ns/m', 'CompatibleSchema', 'apply', 1, 'c1', 's1', 'done', now() - interval '2 h', now()),
                      ('uid-2', 'ns/m', 'CompatibleSchema', 'apply', 1, 'c1', 's1', 'running', now() - interval '1 h', NULL),
                      ('uid-2', 'ns/m', 'CompatibleSchema', 'apply', 2, 'c2', 's2', 'done', now(), now());
                    CREATE TABLE phasegate.backfill_checkpoint (
                      migration_uid text PRIMARY KEY, migration text NOT NULL, table_name text NOT NULL,
                      key_column text NOT NULL, pass int NOT NULL DEFAULT 1, last_key text,
                      last_inclusive boolean NOT NULL DEFAULT true, rows_done bigint NOT NULL DEFAULT 0,
                      pass_rows bigint NOT NULL DEFAULT 0, pass_keys bigint NOT NULL DEFAULT 0,
                      batches bigint NOT NULL DEFAULT 0, started_at timestamptz NOT NULL DEFAULT now(),
                      updated_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz);
                    INSERT INTO phasegate.backfill_checkpoint (migration_uid, migration, table_name, key_column,
                      rows_done, updated_at) VALUES ('uid-1', 'ns/m', 't', 'id', 10, now() - interval '1 h'),
                      ('uid-2', 'ns/m', 't', 'id', 20, now());
                    """);
            Ledger.ensure(c);
            BackfillCheckpoints.ensure(c);
            assertThat(Ledger.find(c, new Ledger.Key("ns/m", "CompatibleSchema", "apply", 1)))
                    .hasValueSatisfying(e -> assertThat(e.state()).isEqualTo(Ledger.State.done));
            assertThat(Ledger.find(c, new Ledger.Key("ns/m", "CompatibleSchema", "apply", 2))).isPresent();
            assertThat(BackfillCheckpoints.find(c, "ns/m"))
                    .hasValueSatisfying(cp -> assertThat(cp.rowsDone()).isEqualTo(20));
            assertThat(PhasegateSchema.version(c)).isEqualTo(Ledger.VERSION);
            s.execute("DROP SCHEMA phasegate CASCADE");
        }
    }
}
