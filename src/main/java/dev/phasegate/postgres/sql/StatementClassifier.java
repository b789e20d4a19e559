package dev.phasegate.postgres.sql;

import java.util.List;
import java.util.Set;

/** Decides a statement's kind and whether it may run in a transaction block, from its leading keywords. */
final class StatementClassifier {

    private static final Set<String> TRANSACTION_CONTROL =
            Set.of("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE");
    /** The bounds phasegate sets on its sessions; a plain SET/RESET of them is undone after the statement. */
    private static final List<String> BOUNDS = List.of("lock_timeout", "statement_timeout",
            "idle_in_transaction_session_timeout", "client_connection_check_interval");
    private static final Set<String> DML = Set.of("INSERT", "UPDATE", "DELETE", "MERGE", "SELECT", "WITH",
            "VALUES", "TABLE", "CALL", "EXPLAIN", "EXECUTE");

    private StatementClassifier() {
    }

    /** Expects the statement's significant tokens, none of them UNTERMINATED; throws {@link Refusal}. */
    static Classification classify(List<Token> significant) {
        Words w = new Words(significant);
        Token first = significant.get(0);
        if (first.isSymbol('(')) {
            return Classification.of(StatementKind.DML, true); // (SELECT ...) UNION ...
        }
        String keyword = first.type() == Token.Type.WORD ? Ascii.toUpperCase(first.text()) : "";
        if (TRANSACTION_CONTROL.contains(keyword) || (keyword.equals("PREPARE") && w.is(1, "TRANSACTION"))) {
            throw transactionControl(keyword);
        }
        if (overridesBounds(significant, keyword)) {
            throw new Refusal(SqlScriptException.Problem.SESSION_BOUNDS_OVERRIDE,
                    "it changes one of phasegate's session bounds (" + String.join(", ", BOUNDS) + ") through "
                            + (keyword.equals("DO") ? "a DO block" : "set_config()") + ", which would take effect"
                            + " while the statement runs, before phasegate could restore it. Remove it: spec.locks"
                            + " sets lock_timeout and statement_timeout for every statement.");
        }
        if (DML.contains(keyword)) {
            return Classification.of(StatementKind.DML, true);
        }
        return switch (keyword) {
            case "CREATE" -> create(w);
            case "DROP" -> drop(w);
            case "ALTER" -> alter(w);
            case "REINDEX" -> IndexStatements.reindex(w);
            case "VACUUM" -> MaintenanceStatements.vacuum(w);
            case "ANALYZE", "ANALYSE" -> MaintenanceStatements.analyze(w);
            case "CLUSTER" -> MaintenanceStatements.cluster(w);
            case "TRUNCATE", "LOCK" -> TableStatements.truncateOrLock(w);
            case "DO" -> Classification.of(StatementKind.DO_BLOCK, !DoBlocks.controlsTransactions(significant));
            case "COPY" -> copy(w);
            case "SET", "RESET" -> Classification.of(StatementKind.SESSION_SETTING, true);
            case "DISCARD" -> Classification.of(StatementKind.SESSION_SETTING, !w.is(1, "ALL"));
            default -> Classification.of(StatementKind.OTHER_DDL, true);
        };
    }

    /**
     * A DO block that names a bound anywhere (SET LOCAL lock_timeout = 0, PERFORM set_config(...)), or any other
     * statement calling set_config with a bound's name. A top-level SET/RESET is allowed: the executor resets the
     * bounds right after it.
     */
    private static boolean overridesBounds(List<Token> significant, String keyword) {
        if (keyword.equals("SET") || keyword.equals("RESET")) {
            return false;
        }
        boolean doBlock = keyword.equals("DO");
        boolean setConfig = significant.stream().anyMatch(t -> t.isWord("set_config"));
        if (!doBlock && !setConfig) {
            return false;
        }
        for (Token t : significant) {
            String text = Ascii.toLowerCase(t.text());
            for (String bound : BOUNDS) {
                if (text.contains(bound)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Classification create(Words w) {
        int at = w.is(1, "OR") && w.is(2, "REPLACE") ? 3 : 1;
        while (w.isAny(at, "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL")) {
            at++;
        }
        if (w.is(at, "INDEX") || (w.is(at, "UNIQUE") && w.is(at + 1, "INDEX"))) {
            return IndexStatements.create(w, at);
        }
        if (w.is(at, "DATABASE")) {
            return Classification.of(StatementKind.CREATE_DATABASE, false);
        }
        if (w.is(at, "TABLESPACE")) {
            return Classification.of(StatementKind.TABLESPACE, false);
        }
        if (w.is(at, "SUBSCRIPTION")) {
            return Classification.of(StatementKind.OTHER_DDL, false); // creates a slot unless create_slot = false
        }
        if (w.is(at, "TABLE")) {
            return TableStatements.create(w);
        }
        return Classification.of(StatementKind.OTHER_DDL, true);
    }

    private static Classification drop(Words w) {
        if (w.is(1, "INDEX")) {
            return IndexStatements.drop(w);
        }
        if (w.is(1, "DATABASE")) {
            return Classification.of(StatementKind.DROP_DATABASE, false);
        }
        if (w.is(1, "TABLESPACE")) {
            return Classification.of(StatementKind.TABLESPACE, false);
        }
        if (w.is(1, "SUBSCRIPTION")) {
            return Classification.of(StatementKind.OTHER_DDL, false); // drops its slot unless slot_name = NONE
        }
        if (w.is(1, "TABLE")) {
            return TableStatements.drop(w);
        }
        return Classification.of(StatementKind.OTHER_DDL, true);
    }

    private static Classification alter(Words w) {
        if (w.is(1, "TABLE")) {
            return TableStatements.alter(w);
        }
        if (w.is(1, "SYSTEM")) {
            return Classification.of(StatementKind.ALTER_SYSTEM, false);
        }
        if (w.is(1, "TABLESPACE")) {
            return Classification.of(StatementKind.TABLESPACE, true);
        }
        if (w.is(1, "DATABASE")) {
            int set = w.find(2, "SET");
            return Classification.of(StatementKind.OTHER_DDL, !(set >= 0 && w.is(set + 1, "TABLESPACE")));
        }
        if (w.is(1, "SUBSCRIPTION")) {
            // refreshing (the default when publications change) copies data and cannot run in a block
            return Classification.of(StatementKind.OTHER_DDL, !w.containsWord("PUBLICATION"));
        }
        return Classification.of(StatementKind.OTHER_DDL, true);
    }

    private static Classification copy(Words w) {
        if (w.containsWord("STDIN") || w.containsWord("STDOUT")) {
            throw new Refusal(SqlScriptException.Problem.CLIENT_COPY,
                    "COPY ... FROM STDIN / TO STDOUT streams data through the client (psql), which phasegate does "
                            + "not do. Load data with INSERT ... VALUES or INSERT ... SELECT, or COPY from a file "
                            + "on the database server.");
        }
        return Classification.of(StatementKind.DML, true);
    }

    private static Refusal transactionControl(String keyword) {
        return new Refusal(SqlScriptException.Problem.TRANSACTION_CONTROL,
                keyword + " controls the transaction, and phasegate owns transaction boundaries: it runs each "
                        + "transactional statement in its own transaction together with its ledger row, and "
                        + "statements such as CREATE INDEX CONCURRENTLY outside any transaction. Remove the explicit "
                        + "BEGIN/COMMIT/ROLLBACK/SAVEPOINT statements from the script.");
    }
}
