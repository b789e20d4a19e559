package dev.phasegate.postgres;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillSync;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.postgres.sql.SetList;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The optional sync trigger ({@code spec.backfill.sync: Trigger}): a BEFORE INSERT OR UPDATE row trigger that sets
 * every target of spec.backfill.set from its expression, evaluated over the row being written, so a row old code
 * updates after new code cannot keep a stale new column. Its statements are added to the phases' own scripts, so they
 * run through the executor like any DDL (lock_timeout, retries, ledger): created after CompatibleSchema's statements,
 * dropped before Cleanup's (the function reads the old columns Cleanup drops) and before CompatibleSchema's
 * rollbackSql. Its name derives from the table and set, so phasegate recognises its own trigger after a crash.
 */
public final class SyncTrigger {
    private static final String TAG = "$phasegate_sync$";

    private SyncTrigger() {
    }

    /** True when the spec asks for the trigger. */
    public static boolean wanted(SchemaMigrationSpec spec) {
        return spec != null && spec.backfill != null && spec.backfill.sync == BackfillSync.Trigger;
    }

    /** Why the trigger cannot be built from this spec, if it cannot. */
    public static Optional<String> problem(BackfillSpec b) {
        SetList.Parsed parsed = SetList.parse(b.set);
        if (parsed.problem() != null) {
            return Optional.of("spec.backfill.sync: Trigger cannot be built: " + parsed.problem());
        }
        if (b.set.contains(TAG)) {
            return Optional.of("spec.backfill.sync: Trigger: spec.backfill.set contains " + TAG
                    + ", the quote of the trigger's function");
        }
        try {
            Identifiers.qualified(b.table);
        } catch (IllegalArgumentException e) {
            return Optional.of("spec.backfill.table: " + e.getMessage());
        }
        return Optional.empty();
    }

    /** phasegate_sync_ and 12 hex digits of the table and set: stable across restarts, new when set changes. */
    public static String name(BackfillSpec b) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((b.table + "\u0000" + b.set)
                    .getBytes(StandardCharsets.UTF_8));
            return "phasegate_sync_" + HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** The function lives beside the table: the migration role may create there, and it goes with the schema. */
    static String function(BackfillSpec b) {
        int dot = b.table.indexOf('.');
        String q = Identifiers.quote(name(b));
        return dot < 0 ? q : Identifiers.quote(b.table.substring(0, dot)) + "." + q;
    }

    /** Statements that create (or, after a crash, replace) the function and the trigger. */
    public static String createSql(BackfillSpec b) {
        List<SetList.Assignment> targets = SetList.parse(b.set).assignments();
        String table = Identifiers.qualified(b.table);
        StringBuilder select = new StringBuilder();
        StringBuilder into = new StringBuilder();
        for (SetList.Assignment a : targets) {
            select.append(select.length() == 0 ? "" : ", ").append("(").append(a.expression()).append("\n)");
            into.append(into.length() == 0 ? "" : ", ").append("NEW.").append(Identifiers.quote(a.column()));
        }
        // The expressions name the row's columns unqualified, as in set; NEW.* gives them those names.
        String values = "SELECT " + select + " INTO " + into + " FROM (SELECT NEW.*) AS phasegate_row";
        // Evaluated once on a real row before the trigger exists: an expression that fails fails the phase, not
        // every write of the application.
        return "SELECT " + select + " FROM (SELECT * FROM " + table + " LIMIT 1) AS phasegate_row;\n"
                + "CREATE OR REPLACE FUNCTION " + function(b) + "() RETURNS trigger LANGUAGE plpgsql AS " + TAG + "\n"
                + "BEGIN\n  " + values + ";\n  RETURN NEW;\nEND\n" + TAG + ";\n"
                + "CREATE OR REPLACE TRIGGER " + Identifiers.quote(name(b)) + " BEFORE INSERT OR UPDATE ON " + table
                + " FOR EACH ROW EXECUTE FUNCTION " + function(b) + "();\n";
    }

    /** Statements that drop the trigger and its function; no-ops when they are gone. */
    public static String dropSql(BackfillSpec b) {
        return "DROP TRIGGER IF EXISTS " + Identifiers.quote(name(b)) + " ON " + Identifiers.qualified(b.table)
                + ";\nDROP FUNCTION IF EXISTS " + function(b) + "();\n";
    }

    /** The script a phase's step runs: its own SQL with the trigger's statements where they belong. */
    public static String script(SchemaMigrationSpec spec, PhaseName phase, boolean rollback, String sql) {
        if (!wanted(spec) || problem(spec.backfill).isPresent()) {
            return sql;
        }
        if (phase == PhaseName.CompatibleSchema && !rollback) {
            return sql + "\n;\n" + createSql(spec.backfill);
        }
        if ((phase == PhaseName.CompatibleSchema && rollback) || (phase == PhaseName.Cleanup && !rollback)) {
            return dropSql(spec.backfill) + ";\n" + sql;
        }
        return sql;
    }
}
