package dev.phasegate.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * The journal in the target database (schema phasegate) that makes each statement run exactly once: a transactional
 * statement commits together with its row; a non-transactional one is journaled before (running) and after (done).
 */
public final class Ledger {
    public static final int VERSION = 1;

    /** One journal row's state. */
    public enum State { running, done }

    /** A statement's journal entry. */
    public record Entry(State state, String checksum) {
    }

    /** Identifies a statement of a migration phase in one direction. */
    public record Key(String migrationUid, String phase, String direction, int index) {
    }

    private Ledger() {
    }

    /** Creates the schema on first use; a no-op afterwards, so no DDL runs when it exists. */
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
                      PRIMARY KEY (migration_uid, phase, direction, stmt_index))""");
    }

    public static Optional<Entry> find(Connection c, Key k) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT state, checksum FROM phasegate.ledger"
                + " WHERE migration_uid = ? AND phase = ? AND direction = ? AND stmt_index = ?")) {
            bind(ps, k);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Entry(State.valueOf(rs.getString(1)), rs.getString(2)))
                        : Optional.empty();
            }
        }
    }

    /** Records a statement as done; inside the statement's own transaction when it has one. */
    public static void markDone(Connection c, Key k, String migration, String checksum, String statement)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO phasegate.ledger (migration_uid, phase, direction, stmt_index, migration, checksum,
                                              statement, state, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'done', now())
                ON CONFLICT (migration_uid, phase, direction, stmt_index)
                DO UPDATE SET state = 'done', finished_at = now(), checksum = EXCLUDED.checksum""")) {
            bind(ps, k);
            ps.setString(5, migration);
            ps.setString(6, checksum);
            ps.setString(7, statement);
            ps.executeUpdate();
        }
    }

    /** Journals a non-transactional statement before it runs, so a crash mid-way is found on restart. */
    public static void markRunning(Connection c, Key k, String migration, String checksum, String statement)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO phasegate.ledger (migration_uid, phase, direction, stmt_index, migration, checksum,
                                              statement, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'running')
                ON CONFLICT (migration_uid, phase, direction, stmt_index)
                DO UPDATE SET state = 'running', started_at = now(), checksum = EXCLUDED.checksum""")) {
            bind(ps, k);
            ps.setString(5, migration);
            ps.setString(6, checksum);
            ps.setString(7, statement);
            ps.executeUpdate();
        }
    }

    public static void forget(Connection c, Key k) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM phasegate.ledger"
                + " WHERE migration_uid = ? AND phase = ? AND direction = ? AND stmt_index = ?")) {
            bind(ps, k);
            ps.executeUpdate();
        }
    }

    private static void bind(PreparedStatement ps, Key k) throws SQLException {
        ps.setString(1, k.migrationUid());
        ps.setString(2, k.phase());
        ps.setString(3, k.direction());
        ps.setInt(4, k.index());
    }
}
