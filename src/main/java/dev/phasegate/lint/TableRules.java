package dev.phasegate.lint;

import dev.phasegate.postgres.sql.StatementDetails;
import dev.phasegate.postgres.sql.StatementKind;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Whole-table operations: TRUNCATE, LOCK, VACUUM FULL, CLUSTER, DROP DATABASE, bulk DML, and session settings. */
final class TableRules {

    /** The session bounds phasegate sets on every statement (see SessionSettings). */
    private static final Set<String> BOUNDS = Set.of("lock_timeout", "statement_timeout",
            "idle_in_transaction_session_timeout", "client_connection_check_interval");

    private TableRules() {
    }

    static void check(LintContext c) {
        StatementKind kind = c.statement().kind();
        List<String> words = StatementDetails.keywords(c.statement(), 2);
        String first = words.isEmpty() ? "" : words.get(0);
        if (kind == StatementKind.DROP_DATABASE) {
            c.report(Rule.DROP_DATABASE, Severity.ERROR, "DROP DATABASE destroys every table of a database and has no"
                    + " place in an application migration. Drop it by hand, outside phasegate, if you mean it.");
        }
        if (first.equals("TRUNCATE")) {
            for (String t : c.statement().lockTargets()) {
                if (!c.isNew(t)) {
                    c.report(Rule.TRUNCATE, Severity.ERROR, "TRUNCATE " + t + " deletes every row at once under an"
                            + " ACCESS EXCLUSIVE lock, and the running code still reads them. Delete rows in batches"
                            + " (spec.backfill with a WHERE), or drop the table in Cleanup once no code uses it.");
                }
            }
        }
        if (first.equals("LOCK")) {
            List<String> fresh = c.statement().lockTargets().stream().filter(c::isNew).toList();
            if (fresh.size() < c.statement().lockTargets().size() || fresh.isEmpty()) {
                c.report(Rule.LOCK_TABLE, Severity.WARNING, "LOCK TABLE holds its lock (ACCESS EXCLUSIVE unless a"
                        + " mode is given) until the statement's transaction ends, and phasegate runs each statement"
                        + " in its own transaction, so it protects nothing. Remove it.");
            }
        }
        if (kind == StatementKind.VACUUM && StatementDetails.mentions(c.statement(), "FULL")
                || kind == StatementKind.CLUSTER) {
            rewrite(c, kind == StatementKind.CLUSTER ? "CLUSTER" : "VACUUM FULL");
        }
        if (kind == StatementKind.SESSION_SETTING) {
            Optional<String> setting = StatementDetails.setting(c.statement());
            if (setting.isPresent() && BOUNDS.contains(setting.get())) {
                c.report(Rule.TIMEOUT_SETTING, Severity.WARNING, "this changes " + setting.get() + ", one of the"
                        + " bounds phasegate sets on every statement and restores right after this one, so it has"
                        + " no effect. Set spec.locks.lockTimeout / statementTimeout instead.");
            }
        }
        if (kind == StatementKind.DO_BLOCK) {
            c.report(Rule.DO_BLOCK_UNCHECKED, Severity.NOTE, "the statements inside a DO block are not linted and"
                    + " run in one transaction; prefer plain statements, which phasegate checks and runs one by one.");
        }
        Optional<String> dml = StatementDetails.dmlTarget(c.statement());
        if (dml.isPresent()) {
            TableSize size = c.size(dml.get());
            Severity severity = size.costSeverity() == Severity.ERROR ? Severity.WARNING : size.costSeverity();
            if (severity != null) {
                c.report(Rule.DML_IN_SCHEMA_PHASE, severity, first + " of " + dml.get() + " in a schema phase runs"
                        + " as one transaction: it locks every row it touches until it ends and bloats the table; "
                        + size.description() + ". Use spec.backfill, which works in small batches paced by the"
                        + " database's health.");
            }
        }
    }

    private static void rewrite(LintContext c, String command) {
        List<String> targets = c.statement().lockTargets();
        if (targets.isEmpty()) {
            c.report(Rule.TABLE_REWRITE, Severity.ERROR, command + " without a table rewrites every table it"
                    + " applies to, each under an ACCESS EXCLUSIVE lock. Name one small table, or use pg_repack.");
        }
        for (String t : targets) {
            c.reportCost(Rule.TABLE_REWRITE, t, command + " rewrites " + t + " under an ACCESS EXCLUSIVE lock (no"
                    + " reads or writes) for the whole copy", "Use pg_repack, which holds the strong lock only for"
                    + " a moment, or leave the table to autovacuum.");
        }
    }
}
