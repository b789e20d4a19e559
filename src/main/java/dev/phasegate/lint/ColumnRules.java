package dev.phasegate.lint;

import dev.phasegate.postgres.sql.AlterActions;
import dev.phasegate.postgres.sql.AlterActions.Action;
import dev.phasegate.postgres.sql.AlterActions.Verb;
import dev.phasegate.postgres.sql.Names;
import dev.phasegate.postgres.sql.SqlStatement;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Column changes that scan or rewrite the table under ACCESS EXCLUSIVE, and renames that break running code. */
final class ColumnRules {

    /**
     * Without a catalog (or for a function the catalog does not have, e.g. one the script creates): functions known
     * to be volatile. A default calling one is evaluated per row, so the table is rewritten.
     */
    static final Set<String> KNOWN_VOLATILE = Set.of("random", "gen_random_uuid", "uuid_generate_v1",
            "uuid_generate_v1mc", "uuid_generate_v4", "clock_timestamp", "timeofday", "nextval", "setseed");
    /** Functions known not to be: their value is computed once and stored in the catalog (PostgreSQL 11+). */
    static final Set<String> KNOWN_NOT_VOLATILE = Set.of("now", "transaction_timestamp", "statement_timestamp",
            "current_date", "lower", "upper", "coalesce", "concat", "jsonb_build_object", "json_build_object",
            "jsonb_build_array", "json_build_array", "make_interval", "to_jsonb", "array_fill");
    private static final Set<String> SERIAL = Set.of("serial", "bigserial", "smallserial", "serial4", "serial8",
            "serial2");

    private ColumnRules() {
    }

    static void check(LintContext c) {
        if (c.table().isEmpty()) {
            return;
        }
        String table = c.table().get();
        for (Action a : c.actions()) {
            String column = a.column().orElse("?");
            switch (a.verb()) {
                case SET_NOT_NULL -> setNotNull(c, table, column);
                case ALTER_TYPE -> typeChange(c, table, a);
                case ADD_COLUMN -> addColumn(c, table, a);
                case RENAME_COLUMN -> {
                    if (!c.isNew(table)) {
                        c.report(Rule.RENAME_COLUMN, Severity.ERROR, "renaming " + table + "." + column + " breaks"
                                + " every running query that names it, in whichever code version does not know the new"
                                + " name. Add the new column in CompatibleSchema, fill it in the Backfill (and keep it"
                                + " in sync with a trigger), move the code to it, and drop the old one in Cleanup.");
                    }
                }
                case RENAME_TABLE -> {
                    if (!c.isNew(table)) {
                        c.report(Rule.RENAME_TABLE, Severity.ERROR, "renaming " + table + " breaks every running"
                                + " query that names it. Create the new table (or a view with the new name over the"
                                + " old one) in CompatibleSchema, move the code, and drop the old name in Cleanup.");
                    }
                }
                case TABLE_REWRITE -> c.reportCost(Rule.TABLE_REWRITE, table, "SET LOGGED/UNLOGGED, SET TABLESPACE"
                        + " and SET ACCESS METHOD copy the whole table under an ACCESS EXCLUSIVE lock",
                        "Do this in a maintenance window, or build a new table and switch over.");
                default -> {
                }
            }
        }
    }

    private static void setNotNull(LintContext c, String table, String column) {
        boolean checked = c.facts(table).map(f -> f.notNullChecked().contains(column)).orElse(false)
                || checkedEarlier(c, table, column);
        if (checked && c.serverVersion() >= 120000) {
            return;
        }
        c.reportCost(Rule.SET_NOT_NULL_SCAN, table, "SET NOT NULL on " + table + "." + column + " reads every row to"
                + " prove there is no NULL, holding an ACCESS EXCLUSIVE lock (no reads or writes) meanwhile",
                "First ALTER TABLE " + table + " ADD CONSTRAINT " + column + "_not_null CHECK (" + column
                        + " IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT " + column + "_not_null (a scan that lets"
                        + " writes go on), then SET NOT NULL (PostgreSQL 12+ uses the validated check and skips the"
                        + " scan), then drop the check.");
    }

    /** An earlier statement adds CHECK (column IS NOT NULL) validated, or NOT VALID and later validated. */
    private static boolean checkedEarlier(LintContext c, String table, String column) {
        Optional<String> pending = Optional.empty();
        boolean valid = false;
        for (SqlStatement s : c.earlier()) {
            if (!s.tableName().map(n -> c.sameTable(n, table)).orElse(false)) {
                continue;
            }
            for (Action a : AlterActions.of(s)) {
                if (a.verb() == Verb.ADD_CONSTRAINT && a.column().map(column::equals).orElse(false)) {
                    valid |= !a.notValid();
                    pending = a.notValid() ? a.name() : pending;
                } else if (a.verb() == Verb.VALIDATE_CONSTRAINT && pending.isPresent() && pending.equals(a.name())) {
                    valid = true;
                }
            }
        }
        return valid;
    }

    private static void typeChange(LintContext c, String table, Action a) {
        String column = a.column().orElse("?");
        String to = a.type().orElse("?");
        if (!rewritesType(c, table, a)) {
            return;
        }
        c.reportCost(Rule.COLUMN_TYPE_REWRITE, table, "changing " + table + "." + column + " to " + to + " rewrites"
                + " the table and all its indexes under an ACCESS EXCLUSIVE lock" + (c.facts(table).isEmpty() ? ""
                        : " (from " + c.facts(table).get().columnTypes().get(column) + ")"),
                "Add a new column of the new type in CompatibleSchema, fill it with spec.backfill (and a trigger for"
                        + " new writes), switch the code, and drop the old column in Cleanup.");
    }

    /** True unless the catalog shows the change is one PostgreSQL makes without a rewrite. */
    static boolean rewritesType(LintContext c, String table, Action a) {
        if (a.usingExpression()) {
            return true;
        }
        String from = c.facts(table).map(f -> f.columnTypes().get(a.column().orElse(""))).orElse(null);
        return from == null || a.type().isEmpty() || TypeChanges.rewrites(from, a.type().get());
    }

    private static void addColumn(LintContext c, String table, Action a) {
        String column = a.column().orElse("?");
        String type = a.type().orElse("").trim().toLowerCase(Locale.ROOT);
        if (SERIAL.contains(type) || a.identity() || a.generatedStored()) {
            c.reportCost(Rule.IDENTITY_COLUMN_REWRITE, table, "adding " + column + " as " + (a.generatedStored()
                    ? "a stored generated column" : SERIAL.contains(type) ? type : "an identity column")
                    + " fills every existing row, rewriting " + table + " under an ACCESS EXCLUSIVE lock",
                    "Add a plain nullable column, set its default (nextval of a new sequence, or the expression) for"
                            + " new rows, fill the old rows with spec.backfill, then add the constraint you need.");
            return;
        }
        if (!a.hasDefault()) {
            return;
        }
        Optional<String> volatileCall = volatileCall(c, a);
        Optional<String> unknown = a.defaultCalls().stream().filter(f -> volatility(c, f).isEmpty()).findFirst();
        String fix = "Add the column without a default (or with a constant one), then SET DEFAULT for new rows in a"
                + " separate statement, and fill existing rows with spec.backfill.";
        if (volatileCall.isPresent() || c.serverVersion() < 110000) {
            c.reportCost(Rule.VOLATILE_DEFAULT, table, "adding " + column + " with " + volatileCall
                    .map(f -> "a volatile default (" + f + "() is " + volatility(c, f).orElseThrow().source()
                            + ", so it is evaluated for each row)")
                    .orElse("a default on PostgreSQL before 11")
                    + " rewrites " + table + " under an ACCESS EXCLUSIVE lock", fix);
        } else if (unknown.isPresent() && !c.isNew(table)) {
            c.report(Rule.VOLATILE_DEFAULT, Severity.WARNING, "the default of " + column + " calls " + unknown.get()
                    + "(), which the lint cannot classify: if it is volatile, PostgreSQL rewrites " + table + " under"
                    + " an ACCESS EXCLUSIVE lock. " + fix);
        }
    }

    /** The first volatile function the column's default calls: adding it then fills (rewrites) every row. */
    static Optional<String> volatileCall(LintContext c, Action a) {
        return a.defaultCalls().stream()
                .filter(f -> volatility(c, f).map(k -> k.volatility() == Volatility.VOLATILE).orElse(false))
                .findFirst();
    }

    /** A function's volatility and who says so, for the message. */
    record KnownVolatility(Volatility volatility, String source) {
    }

    /**
     * A function's volatility: as declared by an earlier statement of the migration, else pg_proc's when the
     * catalog has the function, else the fixed lists (by its name without schema); empty when none knows it.
     */
    static Optional<KnownVolatility> volatility(LintContext c, String function) {
        List<String> parts = Names.parts(function);
        String bare = parts.get(parts.size() - 1);
        return c.declaredVolatility(function).map(v -> new KnownVolatility(v, "declared " + v + " by this migration"))
                .or(() -> c.catalogVolatility(function).map(v -> new KnownVolatility(v, v + " in pg_proc")))
                .or(() -> KNOWN_VOLATILE.contains(bare)
                        ? Optional.of(new KnownVolatility(Volatility.VOLATILE, "known to be volatile"))
                        : KNOWN_NOT_VOLATILE.contains(bare)
                                ? Optional.of(new KnownVolatility(Volatility.STABLE, "known not to be volatile"))
                                : Optional.empty());
    }
}
