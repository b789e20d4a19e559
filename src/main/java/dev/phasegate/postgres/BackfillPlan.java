package dev.phasegate.postgres;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.Reason;
import dev.phasegate.postgres.sql.SqlFragments;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;

/**
 * What a backfill will run, checked against the catalog before any row is touched: the table exists, the key
 * column exists, has a supported type and a unique single-column btree index that can serve range scans, and the
 * spec's SET and WHERE fragments stay in their slots and prepare (so a missing column is reported here, not by the
 * first batch). Holds the session's server-side prepared statements; the spec's fragments only ever reach the
 * server inside PREPARE, never through the driver's parameter parser.
 */
final class BackfillPlan {

    /** Key types the batches can walk: integers, uuid, text and timestamps. */
    static final Set<String> SUPPORTED_TYPES = Set.of("int2", "int4", "int8", "uuid", "text", "varchar",
            "timestamp", "timestamptz");
    private static final Set<String> NUMERIC_TYPES = Set.of("int2", "int4", "int8");
    private static final Pattern PLAN_ROWS = Pattern.compile("rows=(\\d+)");

    /** A problem found before any row was touched. */
    record Problem(Reason reason, String message, boolean retryable) {
    }

    /** Either a plan or the first problem. */
    record Inspection(BackfillPlan plan, Problem problem) {
        static Inspection problem(Reason reason, String message) {
            return new Inspection(null, new Problem(reason, message, false));
        }
    }

    /** Where a pass stands: after {@code key} (exclusive) or from {@code key} (inclusive); no key: at the start. */
    record Cursor(String key, boolean inclusive) {
        static final Cursor START = new Cursor(null, true);

        boolean atStart() {
            return key == null;
        }
    }

    /** The next batch's upper bound, and whether it came from the size (false: the table's last key). */
    record Upper(String key, boolean full) {
    }

    /** What the verification query found still matching the guard. */
    record Remaining(long rows, long nullKeys, String minKey) {
    }

    final String table;
    final String keyColumn;
    final String qTable;
    final String qKey;
    final String keyType;
    final String keyTypeName;
    final boolean keyNotNull;
    private final String set;
    private final String where;

    private BackfillPlan(String table, String keyColumn, String keyType, String keyTypeName, boolean keyNotNull,
            String set, String where) {
        this.table = table;
        this.keyColumn = keyColumn;
        this.qTable = Identifiers.qualified(table);
        this.qKey = Identifiers.quote(keyColumn);
        this.keyType = keyType;
        this.keyTypeName = keyTypeName;
        this.keyNotNull = keyNotNull;
        this.set = set;
        this.where = where;
    }

    boolean numericKey() {
        return NUMERIC_TYPES.contains(keyTypeName);
    }

    // ------------------------------------------------------------------ inspection

    /** Checks the spec against the catalog and prepares the statements; touches no row. */
    static Inspection inspect(Connection c, BackfillSpec spec) throws SQLException {
        return inspect(c, spec, true);
    }

    /**
     * The catalog checks alone, for readers of the table (the consistency check): preparing the UPDATEs would take
     * RowExclusiveLock, which a read-only caller has no business asking for.
     */
    static Inspection inspectForReading(Connection c, BackfillSpec spec) throws SQLException {
        return inspect(c, spec, false);
    }

    private static Inspection inspect(Connection c, BackfillSpec spec, boolean prepare) throws SQLException {
        String table = spec.table;
        String key = spec.keyColumn;
        String qualified;
        try {
            qualified = Identifiers.qualified(table);
            Identifiers.quote(key);
        } catch (IllegalArgumentException | NullPointerException e) {
            return Inspection.problem(Reason.InvalidSpec, "spec.backfill: " + e.getMessage());
        }
        for (String[] f : new String[][] {{"set", spec.set}, {"where", spec.where}}) {
            Optional<String> p = SqlFragments.problem(f[1]);
            if (p.isPresent()) {
                return Inspection.problem(Reason.InvalidSpec, "spec.backfill." + f[0] + " " + p.get());
            }
        }
        long relid;
        String relkind;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT c.oid::bigint, c.relkind::text FROM pg_class c WHERE c.oid = to_regclass(?)")) {
            ps.setString(1, qualified);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Inspection.problem(Reason.InvalidSpec, "spec.backfill.table: table " + table
                            + " does not exist (looked up as " + qualified + " in the search_path of "
                            + "the migration role); create it in spec.compatibleSchema or fix the name");
                }
                relid = rs.getLong(1);
                relkind = rs.getString(2);
            }
        }
        if (!relkind.equals("r") && !relkind.equals("p")) {
            return Inspection.problem(Reason.InvalidSpec, "spec.backfill.table: " + table + " is not a table"
                    + " (relkind " + relkind + "); a backfill updates a table or a partitioned table");
        }
        int attnum;
        String typeName;
        String typeSql;
        boolean notNull;
        long collation;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT a.attnum, t.typname::text, format_type(a.atttypid, NULL), a.attnotnull, a.attcollation::bigint
                FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                WHERE a.attrelid = ?::oid AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped""")) {
            ps.setLong(1, relid);
            ps.setString(2, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Inspection.problem(Reason.InvalidSpec, "spec.backfill.keyColumn: column " + key
                            + " does not exist in table " + table);
                }
                attnum = rs.getInt(1);
                typeName = rs.getString(2);
                typeSql = rs.getString(3);
                notNull = rs.getBoolean(4);
                collation = rs.getLong(5);
            }
        }
        if (!SUPPORTED_TYPES.contains(typeName)) {
            return Inspection.problem(Reason.Unsupported, "spec.backfill.keyColumn: column " + key + " has type "
                    + typeSql + "; keyset batches support integer, bigint, smallint, uuid, text, varchar and"
                    + " timestamp keys");
        }
        Optional<Inspection> index = checkIndex(c, relid, table, key, attnum, collation);
        if (index.isPresent()) {
            return index.get();
        }
        BackfillPlan plan = new BackfillPlan(table, key, typeSql, typeName, notNull, spec.set, spec.where);
        if (!prepare) {
            return new Inspection(plan, null);
        }
        Optional<Problem> prepared = plan.prepare(c);
        if (prepared.isPresent()) {
            return new Inspection(null, prepared.get());
        }
        return new Inspection(plan, null);
    }

    /** The key column needs a valid, unique, non-partial btree index of its own with the default operator class. */
    private static Optional<Inspection> checkIndex(Connection c, long relid, String table, String key, int attnum,
            long collation) throws SQLException {
        record Index(String name, boolean unique, boolean primary, int keyColumns, int firstColumn, boolean partial,
                boolean expression, boolean valid, String method, boolean defaultOpclass, long collation,
                List<String> columns) {
        }
        List<Index> indexes = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT ic.relname::text, i.indisunique, i.indisprimary, i.indnkeyatts::int, i.indkey[0]::int,
                       i.indpred IS NOT NULL, i.indexprs IS NOT NULL, i.indisvalid, am.amname::text,
                       coalesce((SELECT o.opcdefault FROM pg_opclass o WHERE o.oid = i.indclass[0]), false),
                       coalesce(i.indcollation[0], 0)::bigint,
                       ARRAY(SELECT a.attname::text FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY k(n, o)
                             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)
                FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
                WHERE i.indrelid = ?::oid ORDER BY i.indisprimary DESC, ic.relname""")) {
            ps.setLong(1, relid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String[] cols = (String[]) rs.getArray(12).getArray();
                    indexes.add(new Index(rs.getString(1), rs.getBoolean(2), rs.getBoolean(3), rs.getInt(4),
                            rs.getInt(5), rs.getBoolean(6), rs.getBoolean(7), rs.getBoolean(8), rs.getString(9),
                            rs.getBoolean(10), rs.getLong(11), List.of(cols)));
                }
            }
        }
        List<String> unusable = new ArrayList<>();
        for (Index i : indexes) {
            if (i.firstColumn() != attnum || i.keyColumns() != 1 || !i.unique()) {
                continue;
            }
            String why = !i.valid() ? "is invalid (a failed concurrent build)"
                    : i.partial() ? "is partial (has a WHERE clause)"
                    : !i.method().equals("btree") ? "is a " + i.method() + " index, not btree"
                    : !i.defaultOpclass() ? "uses a non-default operator class, so it cannot serve key ranges"
                    : i.collation() != collation ? "uses another collation than the column" : null;
            if (why == null) {
                return Optional.empty();
            }
            unusable.add("unique index " + i.name() + " " + why);
        }
        for (Index i : indexes) {
            if (i.primary() && i.keyColumns() > 1) {
                return Optional.of(Inspection.problem(Reason.Unsupported, "spec.backfill.keyColumn: table " + table
                        + " has a composite primary key (" + String.join(", ", i.columns()) + ") and no unique"
                        + " index on " + key + " alone; keyset batches over composite keys are not supported yet"
                        + " (add a unique single-column key and name it in keyColumn)"));
            }
        }
        if (!unusable.isEmpty()) {
            return Optional.of(Inspection.problem(Reason.InvalidSpec, "spec.backfill.keyColumn: " + key
                    + " has no usable unique index: " + String.join("; ", unusable)));
        }
        for (Index i : indexes) {
            if (i.firstColumn() == attnum && !i.expression()) {
                return Optional.of(Inspection.problem(Reason.InvalidSpec, "spec.backfill.keyColumn: " + key
                        + " is not unique (index " + i.name() + " on (" + String.join(", ", i.columns())
                        + ") is not a unique index on that column alone); batches walk a unique key"
                        + " so that every row falls in exactly one batch"));
            }
        }
        return Optional.of(Inspection.problem(Reason.InvalidSpec, "spec.backfill.keyColumn: " + key
                + " is not indexed; batches walk the key through a unique index (a range without an index is a"
                + " sequential scan per batch): use the primary key or add a unique index on " + key));
    }

    // ------------------------------------------------------------------ statements

    private static final String UPDATE_GT = "phasegate_backfill_update_gt";
    private static final String UPDATE_GE = "phasegate_backfill_update_ge";
    private static final String GUARD_GT = "phasegate_backfill_guard_gt";
    private static final String GUARD_GE = "phasegate_backfill_guard_ge";
    private static final String REMAINING = "phasegate_backfill_remaining";
    private static final String MATCHING = "phasegate_backfill_matching";
    private static final String NULL_KEYS = "phasegate_backfill_null_keys";

    /** PREPAREs every statement that contains a fragment; a failure names the fragment at fault. */
    private Optional<Problem> prepare(Connection c) throws SQLException {
        // The guard alone first, so that an error in it is not blamed on the SET list.
        Optional<Problem> p = prepareOne(c, "spec.backfill.where", "PREPARE " + MATCHING + " AS SELECT 1 FROM "
                + qTable + " WHERE (" + where + "\n)");
        if (p.isPresent()) {
            return p;
        }
        String range = " WHERE " + qKey + " %s $1 AND " + qKey + " <= $2 AND (" + where + "\n)";
        String params = "(" + keyType + ", " + keyType + ")";
        for (String[] s : new String[][] {{UPDATE_GT, ">"}, {UPDATE_GE, ">="}}) {
            p = prepareOne(c, "spec.backfill.set", "PREPARE " + s[0] + params + " AS UPDATE " + qTable + " SET "
                    + set + "\n" + range.formatted(s[1]));
            if (p.isPresent()) {
                return p;
            }
        }
        for (String[] s : new String[][] {{GUARD_GT, ">"}, {GUARD_GE, ">="}}) {
            // Rows of this transaction's own UPDATE that still match the guard: the SET does not clear it.
            p = prepareOne(c, "spec.backfill.where", "PREPARE " + s[0] + params + " AS SELECT count(*) FROM "
                    + qTable + range.formatted(s[1]) + " AND xmin::text::bigint = txid_current() % 4294967296");
            if (p.isPresent()) {
                return p;
            }
        }
        // OFFSET 0 keeps min() from becoming an ordered index walk that visits every done row.
        // uuid has no min(); its text form in the C collation sorts like the uuid itself.
        String min = keyTypeName.equals("uuid") ? "min(k::text COLLATE \"C\")" : "min(k)::text";
        p = prepareOne(c, "spec.backfill.where", "PREPARE " + REMAINING + " AS SELECT count(*), count(*) FILTER"
                + " (WHERE k IS NULL), " + min + " FROM (SELECT " + qKey + " AS k FROM " + qTable + " WHERE ("
                + where + "\n) OFFSET 0) s");
        if (p.isPresent()) {
            return p;
        }
        if (!keyNotNull) {
            p = prepareOne(c, "spec.backfill.where", "PREPARE " + NULL_KEYS + " AS SELECT EXISTS (SELECT 1 FROM "
                    + qTable + " WHERE " + qKey + " IS NULL AND (" + where + "\n))");
            if (p.isPresent()) {
                return p;
            }
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("EXECUTE " + NULL_KEYS)) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return Optional.of(new Problem(Reason.InvalidSpec, "spec.backfill.keyColumn: rows that match the"
                            + " guard have a NULL " + keyColumn + "; key ranges never reach them. Give them a key,"
                            + " or make " + keyColumn + " NOT NULL", false));
                }
            }
        }
        return Optional.empty();
    }

    static Optional<Problem> prepareOne(Connection c, String field, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
            return Optional.empty();
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            // Syntax errors, missing columns, type mismatches: the spec is wrong and retrying will not help.
            if (state.startsWith("42") && !state.equals("42501") || state.startsWith("22")) {
                return Optional.of(new Problem(Reason.SqlError, field + " does not prepare: "
                        + SqlFailure.serverText(e) + " (SQLSTATE " + state + "); no row was touched", false));
            }
            throw e;
        }
    }

    /** The key {@code size} keys on from the cursor, or the table's last key when fewer remain; null at the end. */
    Upper upper(Connection c, Cursor from, int size, StepControl control) throws SQLException {
        String cond = qKey + (from.inclusive() ? " >= " : " > ") + "?::" + keyType;
        // An ordered walk of the key index (index-only where the visibility map allows), never a LIMIT inside
        // the UPDATE: that can flip to a sequential scan at large sizes.
        String sql = "SELECT (SELECT " + qKey + " FROM " + qTable + " WHERE " + cond + " ORDER BY " + qKey
                + " OFFSET ? LIMIT 1)::text";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, from.key());
            ps.setLong(2, Math.max(0, size - 1));
            control.running(ps);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String key = rs.getString(1);
                if (key != null) {
                    return new Upper(key, true);
                }
            }
        } finally {
            control.running(null);
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT " + qKey + " FROM " + qTable + " WHERE "
                + cond + " ORDER BY " + qKey + " DESC LIMIT 1)::text")) {
            ps.setString(1, from.key());
            control.running(ps);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String key = rs.getString(1);
                return key == null ? null : new Upper(key, false);
            }
        } finally {
            control.running(null);
        }
    }

    /** Runs one batch's UPDATE in the caller's transaction; returns the rows it updated. */
    long update(Connection c, Cursor from, String upper, StepControl control) throws SQLException {
        String name = from.inclusive() ? UPDATE_GE : UPDATE_GT;
        try (Statement s = c.createStatement()) {
            control.running(s);
            return s.executeLargeUpdate("EXECUTE " + name + "(" + literal(c, from.key()) + ", " + literal(c, upper)
                    + ")");
        } finally {
            control.running(null);
        }
    }

    /** Rows this transaction updated in the range that still match the guard (should be none). */
    long stillMatching(Connection c, Cursor from, String upper, StepControl control) throws SQLException {
        String name = from.inclusive() ? GUARD_GE : GUARD_GT;
        try (Statement s = c.createStatement()) {
            control.running(s);
            try (ResultSet rs = s.executeQuery("EXECUTE " + name + "(" + literal(c, from.key()) + ", "
                    + literal(c, upper) + ")")) {
                rs.next();
                return rs.getLong(1);
            }
        } finally {
            control.running(null);
        }
    }

    /** The verification query: rows anywhere in the table that still match the guard. */
    Remaining remaining(Connection c, StepControl control) throws SQLException {
        try (Statement s = c.createStatement()) {
            control.running(s);
            try (ResultSet rs = s.executeQuery("EXECUTE " + REMAINING)) {
                rs.next();
                return new Remaining(rs.getLong(1), rs.getLong(2), rs.getString(3));
            }
        } finally {
            control.running(null);
        }
    }

    /** The planner's estimate of rows matching the guard, for progress before the key range says more. */
    long guardEstimate(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("EXPLAIN EXECUTE " + MATCHING)) {
            if (rs.next()) {
                Matcher m = PLAN_ROWS.matcher(rs.getString(1));
                if (m.find()) {
                    return Long.parseLong(m.group(1));
                }
            }
            return -1;
        }
    }

    /** pg_class.reltuples of the table (its partitions summed), or -1 when never analyzed. */
    long reltuples(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT sum(greatest(c.reltuples, 0))::bigint,"
                + " bool_and(c.reltuples < 0) FROM pg_class c WHERE c.relkind <> 'p' AND c.oid IN"
                + " (SELECT to_regclass(?) UNION ALL SELECT relid FROM pg_partition_tree(to_regclass(?)))")) {
            ps.setString(1, qTable);
            ps.setString(2, qTable);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getBoolean(2)) {
                    return -1;
                }
                return rs.getLong(1);
            }
        }
    }

    /** First and last key as text (index endpoints, cheap; uuid has no min/max), or nulls for an empty table. */
    String[] keyBounds(Connection c) throws SQLException {
        String k = qKey;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT (SELECT " + k + " FROM " + qTable
                + " WHERE " + k + " IS NOT NULL ORDER BY " + k + " LIMIT 1)::text, (SELECT " + k + " FROM " + qTable
                + " WHERE " + k + " IS NOT NULL ORDER BY " + k + " DESC LIMIT 1)::text")) {
            rs.next();
            return new String[] {rs.getString(1), rs.getString(2)};
        }
    }

    static String literal(Connection c, String value) throws SQLException {
        return "'" + c.unwrap(PGConnection.class).escapeLiteral(value) + "'";
    }
}
