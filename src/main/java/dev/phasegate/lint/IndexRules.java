package dev.phasegate.lint;

import dev.phasegate.postgres.sql.StatementDetails;
import dev.phasegate.postgres.sql.StatementKind;

/** Index builds, drops and rebuilds that block writes, and CONCURRENTLY where it cannot work. */
final class IndexRules {

    private IndexRules() {
    }

    static void check(LintContext c) {
        StatementKind kind = c.statement().kind();
        String index = c.statement().indexName().orElse("the index");
        if (kind == StatementKind.CREATE_INDEX && c.table().isPresent()) {
            String table = c.table().get();
            c.reportCost(Rule.INDEX_NOT_CONCURRENT, table, "CREATE INDEX without CONCURRENTLY holds a SHARE lock on "
                    + table + " for the whole build, blocking every INSERT, UPDATE and DELETE",
                    "Write CREATE INDEX CONCURRENTLY " + index + " ON " + table + " (...): phasegate runs it outside"
                            + " a transaction and drops an INVALID leftover before a retry.");
        }
        if (kind == StatementKind.DROP_INDEX) {
            c.report(Rule.DROP_INDEX_NOT_CONCURRENT, Severity.WARNING, "DROP INDEX without CONCURRENTLY takes an"
                    + " ACCESS EXCLUSIVE lock on the index's table: while it waits for that lock, every query on the"
                    + " table queues behind it (phasegate's lock_timeout bounds the wait). Write DROP INDEX"
                    + " CONCURRENTLY " + index + ", one index per statement.");
        }
        if (kind == StatementKind.REINDEX) {
            String target = c.table().orElse(c.statement().indexName().orElse("?"));
            String what = "REINDEX without CONCURRENTLY locks out writes to " + target + " (and reads through the"
                    + " index) for the whole rebuild";
            String fix = "Write REINDEX (CONCURRENTLY) or REINDEX ... CONCURRENTLY " + target + ".";
            if (c.table().isPresent()) {
                c.reportCost(Rule.REINDEX_NOT_CONCURRENT, c.table().get(), what, fix);
            } else {
                c.report(Rule.REINDEX_NOT_CONCURRENT, Severity.ERROR, what + ". " + fix);
            }
        }
        if (kind == StatementKind.DO_BLOCK && StatementDetails.doBodyMentions(c.statement(), "CONCURRENTLY")) {
            c.report(Rule.CONCURRENTLY_IN_TRANSACTION, Severity.ERROR, "this DO block mentions CONCURRENTLY, but"
                    + " a DO block always runs inside a transaction, where PostgreSQL refuses CREATE/DROP INDEX"
                    + " CONCURRENTLY and REINDEX CONCURRENTLY. Write the statement at the top level of the script:"
                    + " phasegate runs it outside any transaction.");
        }
    }
}
