package dev.phasegate.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Optional;

/**
 * The journal in the target database (schema phasegate) that makes each statement run exactly once: a transactional
 * statement commits together with its row; a non-transactional one is journaled before (running) and after (done).
 * Rows are keyed by the migration's namespace/name, not its UID: a SchemaMigration deleted and applied again (an
 * Argo CD prune and re-sync, a namespace restore) is the same migration and must not replay what already ran.
 */
public final class Ledger {
    /** 2: keyed by namespace/name (1 was keyed by UID). */
    public static final int VERSION = 2;

    /** One journal row's state. */
    public enum State { running, done }

    /** A statement's journal entry, with the object (UID) that last ran it and when, for messages. */
    public record Entry(State state, String checksum, String migrationUid, Timestamp finishedAt) {
    }

    /** Identifies a statement of a migration (namespace/name) phase in one direction. */
    public record Key(String migration, String phase, String direction, int index) {
    }

    private Ledger() {
    }

    /** Creates the schema on first use, or brings an older one up to this version; no DDL on the usual path. */
    public static void ensure(Connection c) throws SQLException {
        PhasegateSchema.ensure(c, "phasegate.ledger",
                "CREATE TABLE IF NOT EXISTS phasegate.schema_version (version int NOT NULL)",
                "INSERT INTO phasegate.schema_version SELECT " + VERSION
                        + " WHERE NOT EXISTS (SELECT 1 FROM phasegate.schema_version)",
                """
                    CREATE TABLE IF NOT EXISTS phasegate.ledger (
                      migration_uid text NOT NULL,
                      migration     text NOT NULL,
                      phase         text NOT NULL,
                      direction     text NOT NULL CHECK (direction IN ('apply', 'rollback')),
                      stmt_index    int  NOT NULL,
                      checksum      text NOT NULL,
                      statement     text NOT NULL,
                      state         text NOT NULL CHECK (state IN ('running', 'done')),
                      started_at    timestamptz NOT NULL DEFAULT now(),
                      finished_at   timestamptz,
                      PRIMARY KEY (migration, phase, direction, stmt_index))""");
        PhasegateSchema.upgrade(c);
    }

    public static Optional<Entry> find(Connection c, Key k) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT state, checksum, migration_uid, finished_at"
                + " FROM phasegate.ledger WHERE migration = ? AND phase = ? AND direction = ? AND stmt_index = ?")) {
            bind(ps, k);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Entry(State.valueOf(rs.getString(1)), rs.getString(2),
                        rs.getString(3), rs.getTimestamp(4))) : Optional.empty();
            }
        }
    }

    /** Records a statement as done; inside the statement's own transaction when it has one. */
    public static void markDone(Connection c, Key k, String migrationUid, String checksum, String statement)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO phasegate.ledger (migration, phase, direction, stmt_index, migration_uid, checksum,
                                              statement, state, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'done', now())
                ON CONFLICT (migration, phase, direction, stmt_index)
                DO UPDATE SET state = 'done', finished_at = now(), checksum = EXCLUDED.checksum,
                              migration_uid = EXCLUDED.migration_uid""")) {
            bind(ps, k);
            ps.setString(5, migrationUid);
            ps.setString(6, checksum);
            ps.setString(7, statement);
            ps.executeUpdate();
        }
    }

    /** Journals a non-transactional statement before it runs, so a crash mid-way is found on restart. */
    public static void markRunning(Connection c, Key k, String migrationUid, String checksum, String statement)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO phasegate.ledger (migration, phase, direction, stmt_index, migration_uid, checksum,
                                              statement, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'running')
                ON CONFLICT (migration, phase, direction, stmt_index)
                DO UPDATE SET state = 'running', started_at = now(), checksum = EXCLUDED.checksum,
                              migration_uid = EXCLUDED.migration_uid""")) {
            bind(ps, k);
            ps.setString(5, migrationUid);
            ps.setString(6, checksum);
            ps.setString(7, statement);
            ps.executeUpdate();
        }
    }

    /** Whether any statement of the phase in this direction was journaled (running or done). */
    public static boolean anyRow(Connection c, String migration, String phase, String direction) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM phasegate.ledger"
                + " WHERE migration = ? AND phase = ? AND direction = ?)")) {
            ps.setString(1, migration);
            ps.setString(2, phase);
            ps.setString(3, direction);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    public static void forget(Connection c, Key k) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM phasegate.ledger"
                + " WHERE migration = ? AND phase = ? AND direction = ? AND stmt_index = ?")) {
            bind(ps, k);
            ps.executeUpdate();
        }
    }

    /**
     * Forgets a phase in both directions once its rollback has finished: what it applied is undone, so a later
     * object with this name must apply it again rather than find it "done". One transaction, so a crash leaves
     * either the whole record (and the re-run rollback finds every statement done) or none.
     */
    public static void forgetPhase(Connection c, String migration, String phase) throws SQLException {
        Transactions.run(c, tx -> {
            try (PreparedStatement ps = tx.prepareStatement("DELETE FROM phasegate.ledger WHERE migration = ?"
                    + " AND phase = ?")) {
                ps.setString(1, migration);
                ps.setString(2, phase);
                ps.executeUpdate();
            }
        });
    }

    private static void bind(PreparedStatement ps, Key k) throws SQLException {
        ps.setString(1, k.migration());
        ps.setString(2, k.phase());
        ps.setString(3, k.direction());
        ps.setInt(4, k.index());
    }
}
