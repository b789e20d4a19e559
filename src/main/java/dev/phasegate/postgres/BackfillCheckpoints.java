package dev.phasegate.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * The backfill's cursor in the target database (table phasegate.backfill_checkpoint, one row per migration, keyed
 * by namespace/name so that a re-created object resumes instead of starting over).
 * Each batch saves it in the batch's own transaction, so after a crash the data and the cursor agree: a restart
 * redoes at most the batch that was in flight, which had rolled back anyway.
 */
public final class BackfillCheckpoints {

    /** Where a migration's backfill stands. {@code lastKey} null: the pass starts at the table's first key. */
    public record Checkpoint(int pass, String lastKey, boolean inclusive, long rowsDone, long passRows,
            long passKeys, long batches, boolean finished) {

        static Checkpoint fresh() {
            return new Checkpoint(1, null, true, 0, 0, 0, 0, false);
        }
    }

    private BackfillCheckpoints() {
    }

    /** Creates the table on first use; a no-op afterwards, so no DDL runs when it exists. */
    public static void ensure(Connection c) throws SQLException {
        PhasegateSchema.ensure(c, "phasegate.backfill_checkpoint", """
                    CREATE TABLE IF NOT EXISTS phasegate.backfill_checkpoint (
                      migration_uid  text NOT NULL,
                      migration      text PRIMARY KEY,
                      table_name     text NOT NULL,
                      key_column     text NOT NULL,
                      pass           int  NOT NULL DEFAULT 1,
                      last_key       text,
                      last_inclusive boolean NOT NULL DEFAULT true,
                      rows_done      bigint NOT NULL DEFAULT 0,
                      pass_rows      bigint NOT NULL DEFAULT 0,
                      pass_keys      bigint NOT NULL DEFAULT 0,
                      batches        bigint NOT NULL DEFAULT 0,
                      started_at     timestamptz NOT NULL DEFAULT now(),
                      updated_at     timestamptz NOT NULL DEFAULT now(),
                      finished_at    timestamptz)""");
        PhasegateSchema.upgrade(c);
    }

    public static Optional<Checkpoint> find(Connection c, String migration) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT pass, last_key, last_inclusive, rows_done, pass_rows, pass_keys, batches, finished_at IS NOT NULL
                FROM phasegate.backfill_checkpoint WHERE migration = ?""")) {
            ps.setString(1, migration);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Checkpoint(rs.getInt(1), rs.getString(2), rs.getBoolean(3),
                        rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getBoolean(8)))
                        : Optional.empty();
            }
        }
    }

    /**
     * The migration's checkpoint, created at the start if there is none. A checkpoint of another table or key
     * column (the spec was edited before the phase started again) is started over: the guard makes that safe.
     */
    static Checkpoint begin(Connection c, String migrationUid, String migration, String table, String keyColumn)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO phasegate.backfill_checkpoint (migration_uid, migration, table_name, key_column)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (migration) DO UPDATE
                  SET pass = 1, last_key = NULL, last_inclusive = true, pass_rows = 0, pass_keys = 0,
                      finished_at = NULL, table_name = EXCLUDED.table_name, key_column = EXCLUDED.key_column,
                      updated_at = now()
                  WHERE backfill_checkpoint.table_name IS DISTINCT FROM EXCLUDED.table_name
                     OR backfill_checkpoint.key_column IS DISTINCT FROM EXCLUDED.key_column""")) {
            ps.setString(1, migrationUid);
            ps.setString(2, migration);
            ps.setString(3, table);
            ps.setString(4, keyColumn);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE phasegate.backfill_checkpoint SET migration_uid = ?"
                + " WHERE migration = ? AND migration_uid IS DISTINCT FROM ?")) {
            // The object (UID) that last worked on it, for audit; a re-created object resumes the same cursor.
            ps.setString(1, migrationUid);
            ps.setString(2, migration);
            ps.setString(3, migrationUid);
            ps.executeUpdate();
        }
        return find(c, migration).orElseThrow(() -> new SQLException("checkpoint of " + migration
                + " vanished right after it was written"));
    }

    /** Saves the cursor; inside the batch's transaction when called from a batch. */
    static void save(Connection c, String migration, Checkpoint cp) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE phasegate.backfill_checkpoint
                SET pass = ?, last_key = ?, last_inclusive = ?, rows_done = ?, pass_rows = ?, pass_keys = ?,
                    batches = ?, finished_at = CASE WHEN ? THEN now() END, updated_at = now()
                WHERE migration = ?""")) {
            ps.setInt(1, cp.pass());
            ps.setString(2, cp.lastKey());
            ps.setBoolean(3, cp.inclusive());
            ps.setLong(4, cp.rowsDone());
            ps.setLong(5, cp.passRows());
            ps.setLong(6, cp.passKeys());
            ps.setLong(7, cp.batches());
            ps.setBoolean(8, cp.finished());
            ps.setString(9, migration);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("backfill checkpoint of " + migration + " is gone", "P0002");
            }
        }
    }

    /** Removes a migration's checkpoint (after it is recorded as done, or when the migration is deleted). */
    public static void forget(Connection c, String migration) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM phasegate.backfill_checkpoint WHERE migration = ?")) {
            ps.setString(1, migration);
            ps.executeUpdate();
        }
    }
}
