package dev.phasegate.postgres;

import dev.phasegate.postgres.sql.DropTargets;
import dev.phasegate.postgres.sql.SqlScript;
import dev.phasegate.postgres.sql.SqlScriptException;
import dev.phasegate.postgres.sql.SqlStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps an automatic rollback from removing what the migration did not create. Before a phase applies its first
 * statement, the objects its rollbackSql would drop that already exist are recorded (phasegate.preexisting); when
 * the phase then fails, the rollback may run automatically only if none of them pre-existed and every rollback
 * statement could be analysed. Otherwise a person decides (fix the failing statement, or abort).
 */
final class RollbackGuard {
    /** Marks that the capture ran, so "nothing pre-existed" is told apart from "never recorded". */
    private static final String CAPTURED = "captured";

    private RollbackGuard() {
    }

    static void ensure(Connection c) throws SQLException {
        PhasegateSchema.ensure(c, "phasegate.preexisting", """
                CREATE TABLE IF NOT EXISTS phasegate.preexisting (
                  migration   text NOT NULL,
                  phase       text NOT NULL,
                  kind        text NOT NULL,
                  name        text NOT NULL,
                  table_name  text NOT NULL,
                  captured_at timestamptz NOT NULL DEFAULT now(),
                  PRIMARY KEY (migration, phase, kind, name, table_name))""");
    }

    /**
     * Records which of the rollback's targets exist now. Called only while nothing of the phase is journaled, so a
     * repeat after a crash before the first statement records the same facts again.
     */
    static void capture(Connection c, String migration, String phase, String rollbackSql) throws SQLException {
        List<DropTargets.Target> existing = new ArrayList<>();
        for (DropTargets.Target t : targets(rollbackSql)) {
            if (exists(c, t)) {
                existing.add(t);
            }
        }
        Transactions.run(c, tx -> {
            try (PreparedStatement del = tx.prepareStatement(
                    "DELETE FROM phasegate.preexisting WHERE migration = ? AND phase = ?")) {
                del.setString(1, migration);
                del.setString(2, phase);
                del.executeUpdate();
            }
            try (PreparedStatement ins = tx.prepareStatement("INSERT INTO phasegate.preexisting"
                    + " (migration, phase, kind, name, table_name) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                insert(ins, migration, phase, CAPTURED, "", "");
                for (DropTargets.Target t : existing) {
                    insert(ins, migration, phase, t.kind().name(), t.name(), t.table());
                }
                ins.executeBatch();
            }
        });
    }

    /**
     * Why the automatic rollback must not run, or empty when it may: the rollback's targets that existed before the
     * phase started, and rollback statements whose effect cannot be attributed.
     */
    static Optional<String> unsafe(Connection c, String migration, String phase, String rollbackSql)
            throws SQLException {
        SqlScript script;
        try {
            script = SqlScript.parse(rollbackSql);
        } catch (SqlScriptException e) {
            return Optional.of("its rollbackSql cannot be parsed (" + e.getMessage() + ")");
        }
        List<String> problems = new ArrayList<>();
        List<DropTargets.Target> targets = new ArrayList<>();
        for (SqlStatement s : script.statements()) {
            DropTargets.Analysis a = DropTargets.of(s);
            a.opaque().ifPresent(why -> problems.add("rollback " + why));
            targets.addAll(a.targets());
        }
        List<String> recorded = recorded(c, migration, phase);
        if (!recorded.contains(CAPTURED + ":")) {
            problems.add("what existed before the phase started was not recorded (it started under an older"
                    + " phasegate), so the rollback could remove objects the migration did not create");
        }
        List<String> preexisting = new ArrayList<>();
        for (DropTargets.Target t : targets) {
            if (recorded.contains(t.kind().name() + ":" + t.name() + "@" + t.table())) {
                preexisting.add(t.describe());
            }
        }
        if (!preexisting.isEmpty()) {
            problems.add(0, "its rollbackSql would drop " + String.join(", ", preexisting)
                    + ", which existed before this phase started");
        }
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
    }

    /** Forgets the record once the phase is rolled back (a later run captures afresh). */
    static void forget(Connection c, String migration, String phase) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM phasegate.preexisting WHERE migration = ? AND phase = ?")) {
            ps.setString(1, migration);
            ps.setString(2, phase);
            ps.executeUpdate();
        }
    }

    private static List<DropTargets.Target> targets(String rollbackSql) {
        try {
            List<DropTargets.Target> all = new ArrayList<>();
            for (SqlStatement s : SqlScript.parse(rollbackSql).statements()) {
                all.addAll(DropTargets.of(s).targets());
            }
            return all;
        } catch (SqlScriptException e) {
            return List.of(); // reported by unsafe() if the rollback is ever needed
        }
    }

    private static List<String> recorded(Connection c, String migration, String phase) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT kind, name, table_name FROM phasegate.preexisting"
                + " WHERE migration = ? AND phase = ?")) {
            ps.setString(1, migration);
            ps.setString(2, phase);
            try (ResultSet rs = ps.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1).equals(CAPTURED) ? CAPTURED + ":"
                            : rs.getString(1) + ":" + rs.getString(2) + "@" + rs.getString(3));
                }
                return out;
            }
        }
    }

    private static void insert(PreparedStatement ins, String migration, String phase, String kind, String name,
            String table) throws SQLException {
        ins.setString(1, migration);
        ins.setString(2, phase);
        ins.setString(3, kind);
        ins.setString(4, name);
        ins.setString(5, table);
        ins.addBatch();
    }

    /** Catalog lookups only (AccessShare at most, no table scans). */
    static boolean exists(Connection c, DropTargets.Target t) throws SQLException {
        String sql = switch (t.kind()) {
            case TABLE, VIEW, SEQUENCE, INDEX -> "SELECT to_regclass(?) IS NOT NULL";
            case TYPE -> "SELECT to_regtype(?) IS NOT NULL";
            case FUNCTION -> "SELECT EXISTS (SELECT 1 FROM pg_proc p WHERE p.proname = split_part(?, '.', -1)"
                    + " AND (strpos(?, '.') = 0 AND p.pronamespace::regnamespace::text = ANY (current_schemas(true))"
                    + " OR strpos(?, '.') > 0 AND p.pronamespace = to_regnamespace(split_part(?, '.', 1))))";
            case COLUMN -> "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(?)"
                    + " AND attname = ? AND attnum > 0 AND NOT attisdropped)";
            case CONSTRAINT -> "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(?)"
                    + " AND conname = ?)";
            case TRIGGER -> "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(?) AND tgname = ?)";
        };
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            switch (t.kind()) {
                case COLUMN, CONSTRAINT, TRIGGER -> {
                    ps.setString(1, t.table());
                    ps.setString(2, unquote(t.name()));
                }
                case FUNCTION -> {
                    String n = unquote(t.name());
                    for (int i = 1; i <= 4; i++) {
                        ps.setString(i, n);
                    }
                }
                default -> ps.setString(1, t.name());
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Catalog names are stored unquoted; Names keeps quotes only where the name needs them. */
    static String unquote(String name) {
        if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
            return name.substring(1, name.length() - 1).replace("\"\"", "\"");
        }
        return name;
    }
}
