package dev.phasegate.postgres;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.postgres.sql.CreatedObjects;
import dev.phasegate.postgres.sql.SetList;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Before the first phase applies anything: the backfill's table, key column and the columns its set assigns must
 * exist in the live catalog, or be created by a phase that runs before the backfill (read from that script's text);
 * and when that script leaves the table alone, the key column must already have the type and unique index the
 * backfill walks. Otherwise the migration would run its expand and wait out its code rollout only to fail at the
 * backfill.
 */
public final class BackfillTargets {

    private BackfillTargets() {
    }

    /**
     * The first thing missing, as a message naming the spec field; empty when everything is there or will be.
     *
     * @param earlierField the spec field of the script that runs before the backfill (for the message)
     * @param earlierSql   that script, or null
     */
    public static Optional<String> firstMissing(Connection c, BackfillSpec b, String earlierField,
            String earlierSql) throws SQLException {
        if (b == null || b.table == null || b.table.isBlank() || b.keyColumn == null || b.keyColumn.isBlank()) {
            return Optional.empty(); // the spec validator reports missing fields
        }
        String qualified;
        try {
            qualified = Identifiers.qualified(b.table);
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // the spec validator reports bad names
        }
        CreatedObjects earlier = CreatedObjects.of(earlierSql);
        Optional<Long> relid = relid(c, qualified);
        if (relid.isEmpty()) {
            if (earlier.createsTable(b.table)) {
                return Optional.empty(); // its columns come with it; the backfill checks them when it starts
            }
            return Optional.of("spec.backfill.table: table " + b.table + " does not exist (looked up as " + qualified
                    + " in the search_path of the migration role) and " + earlierText(earlierField, earlierSql)
                    + " does not create it. Create it there or fix the name");
        }
        List<String[]> columns = new ArrayList<>();
        columns.add(new String[] {"spec.backfill.keyColumn", b.keyColumn, "the key column"});
        SetList.Parsed set = SetList.parse(b.set == null ? "" : b.set);
        if (set.problemIfAny().isEmpty()) {
            set.assignments().forEach(a -> columns.add(new String[] {"spec.backfill.set", a.column(),
                    "a column set assigns"}));
        }
        for (String[] col : columns) {
            if (!hasColumn(c, relid.get(), col[1]) && !earlier.mayCreateColumn(b.table, col[1])) {
                return Optional.of(col[0] + ": column " + col[1] + " (" + col[2] + ") does not exist in table "
                        + b.table + " and " + earlierText(earlierField, earlierSql) + " does not add it. Add it"
                        + " there or fix the name");
            }
        }
        if (earlier.touchesTable(b.table)) {
            return Optional.empty(); // an index or type the expand adds would make today's answer wrong
        }
        BackfillPlan.Inspection inspection = BackfillPlan.inspectForReading(c, b);
        return inspection.problem() == null ? Optional.empty() : Optional.of(inspection.problem().message());
    }

    private static String earlierText(String field, String sql) {
        return sql == null || sql.isBlank() ? "no phase before the backfill (" + field + ")" : field;
    }

    private static Optional<Long> relid(Connection c, String qualified) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?)::oid::bigint")) {
            ps.setString(1, qualified);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long oid = rs.getLong(1);
                return rs.wasNull() ? Optional.empty() : Optional.of(oid);
            }
        }
    }

    private static boolean hasColumn(Connection c, long relid, String column) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_attribute WHERE attrelid = ?::oid"
                + " AND attname = ? AND attnum > 0 AND NOT attisdropped")) {
            ps.setLong(1, relid);
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
