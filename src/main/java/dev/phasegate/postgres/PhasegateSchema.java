package dev.phasegate.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Our own tables in the target database (schema phasegate): created once, in one transaction, on first use. */
final class PhasegateSchema {
    private PhasegateSchema() {
    }

    /** Runs ddl (after CREATE SCHEMA) unless table exists already, so no DDL runs on the usual path. */
    static void ensure(Connection c, String table, String... ddl) throws SQLException {
        if (exists(c, table)) {
            return;
        }
        Transactions.run(c, tx -> {
            try (Statement st = tx.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS phasegate");
                for (String statement : ddl) {
                    st.execute(statement);
                }
            }
        });
    }

    /**
     * Version 1 keyed the ledger and the backfill checkpoints by the object's UID, so a re-created SchemaMigration
     * replayed its script. Version 2 keys them by namespace/name; where one name has rows of several UIDs, the most
     * complete row is kept (done over running, then the newest), since that is what the database went through.
     */
    static void upgrade(Connection c) throws SQLException {
        if (version(c) >= Ledger.VERSION) {
            return;
        }
        Transactions.run(c, tx -> upgradeLocked(tx));
    }

    private static void upgradeLocked(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("LOCK TABLE phasegate.schema_version IN EXCLUSIVE MODE");
            try (ResultSet rs = st.executeQuery("SELECT max(version) FROM phasegate.schema_version")) {
                rs.next();
                if (rs.getInt(1) >= Ledger.VERSION) {
                    return; // another runner upgraded meanwhile
                }
            }
            st.execute("""
                    DELETE FROM phasegate.ledger l USING phasegate.ledger k
                    WHERE l.migration = k.migration AND l.phase = k.phase AND l.direction = k.direction
                      AND l.stmt_index = k.stmt_index
                      AND (k.state = 'done' AND l.state = 'running'
                           OR (l.state = k.state AND (l.started_at, l.ctid) < (k.started_at, k.ctid)))""");
            st.execute("ALTER TABLE phasegate.ledger DROP CONSTRAINT IF EXISTS ledger_pkey");
            st.execute("ALTER TABLE phasegate.ledger ADD PRIMARY KEY (migration, phase, direction, stmt_index)");
            if (exists(c, "phasegate.backfill_checkpoint")) {
                st.execute("""
                        DELETE FROM phasegate.backfill_checkpoint b USING phasegate.backfill_checkpoint k
                        WHERE b.migration = k.migration AND (b.updated_at, b.ctid) < (k.updated_at, k.ctid)""");
                st.execute("ALTER TABLE phasegate.backfill_checkpoint DROP CONSTRAINT IF EXISTS"
                        + " backfill_checkpoint_pkey");
                st.execute("ALTER TABLE phasegate.backfill_checkpoint ADD PRIMARY KEY (migration)");
            }
            st.execute("UPDATE phasegate.schema_version SET version = " + Ledger.VERSION);
        }
    }

    static int version(Connection c) throws SQLException {
        if (!exists(c, "phasegate.schema_version")) {
            return Ledger.VERSION;
        }
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0) FROM phasegate.schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static boolean exists(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
