package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The command keyword and first table of another session's statement, e.g. {@code UPDATE orders}; never a literal. */
public final class StatementSummary {

    // Only these are shown as a command: a first word outside the list could be anything, so it becomes "other".
    private static final Set<String> COMMANDS = Set.of("SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "WITH",
            "VALUES", "TABLE", "COPY", "CREATE", "ALTER", "DROP", "TRUNCATE", "LOCK", "VACUUM", "ANALYZE", "CLUSTER",
            "REINDEX", "REFRESH", "GRANT", "REVOKE", "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT",
            "SAVEPOINT", "RELEASE", "PREPARE", "EXECUTE", "DEALLOCATE", "FETCH", "MOVE", "CLOSE", "DECLARE",
            "LISTEN", "NOTIFY", "UNLISTEN", "SET", "RESET", "SHOW", "EXPLAIN", "DO", "CALL", "DISCARD", "CHECKPOINT",
            "COMMENT", "SECURITY", "LOAD", "IMPORT", "REASSIGN");
    private static final Set<String> DML = Set.of("SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE");
    /** DDL whose object kind is worth naming next to the command ({@code ALTER TABLE}, {@code CREATE INDEX}). */
    private static final Set<String> WITH_KIND = Set.of("CREATE", "ALTER", "DROP");
    private static final Set<String> KINDS = Set.of("TABLE", "INDEX", "VIEW", "MATERIALIZED", "SEQUENCE", "SCHEMA",
            "FUNCTION", "PROCEDURE", "TRIGGER", "TYPE", "DOMAIN", "EXTENSION", "ROLE", "USER", "DATABASE", "POLICY",
            "PUBLICATION", "SUBSCRIPTION", "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED");
    /** Words after which the next identifier is a relation. */
    private static final Set<String> BEFORE_RELATION = Set.of("FROM", "INTO", "UPDATE", "TABLE", "JOIN", "ON",
            "TRUNCATE", "LOCK", "VACUUM", "ANALYZE", "COPY", "CLUSTER");
    /** Words between a relation-introducing word and the relation itself. */
    private static final Set<String> NOISE = Set.of("ONLY", "IF", "EXISTS", "NOT", "LATERAL", "TABLE", "VERBOSE",
            "FULL", "FREEZE", "CONCURRENTLY");
    /** Words that end or continue a clause, never a table name. */
    private static final Set<String> NOT_A_NAME = Set.of("SELECT", "WHERE", "SET", "VALUES", "AS", "WITH",
            "DEFAULT", "USING", "GROUP", "ORDER", "LIMIT", "RETURNING", "AND", "OR", "NULL", "TRUE", "FALSE", "CASE",
            "WHEN", "THEN", "ELSE", "END", "IN", "IS", "TO", "BY", "CONFLICT", "DO", "NOTHING");
    /** Longest name kept: a schema-qualified name of two 63-byte identifiers, quoted. */
    private static final int MAX_NAME = 2 * 65 + 1;

    private StatementSummary() {
    }

    /**
     * {@code UPDATE orders}, {@code ALTER TABLE shop.orders}, {@code SELECT}; null for an empty or hidden text
     * ({@code <insufficient privilege>}). Reads identifiers only: strings, numbers, parameters and comments are
     * skipped, so a literal in the text can never reach the result. Works on a truncated text.
     */
    public static String of(String query) {
        if (query == null) {
            return null;
        }
        List<Token> tokens = new ArrayList<>();
        for (Token t : SqlLexer.lex(query)) {
            if (t.significant()) {
                tokens.add(t);
            }
        }
        if (tokens.isEmpty() || tokens.get(0).type() != Token.Type.WORD) {
            return null;
        }
        String command = Ascii.toUpperCase(tokens.get(0).text());
        if (!COMMANDS.contains(command)) {
            return "other";
        }
        int from = 1;
        if (command.equals("WITH")) {
            int main = mainStatementAfterWith(tokens);
            if (main < 0) {
                return "WITH";
            }
            command = Ascii.toUpperCase(tokens.get(main).text());
            from = main + 1;
        } else if (command.equals("EXPLAIN")) {
            return "EXPLAIN";
        } else if (WITH_KIND.contains(command) && from < tokens.size() && tokens.get(from).type() == Token.Type.WORD
                && KINDS.contains(Ascii.toUpperCase(tokens.get(from).text()))) {
            command = command + " " + Ascii.toUpperCase(tokens.get(from).text());
        }
        String relation = relation(tokens, from, BEFORE_RELATION.contains(command));
        return relation == null ? command : command + " " + relation;
    }

    /** The index of the statement a CTE list leads to: the first DML word at depth 0 after a closing parenthesis. */
    private static int mainStatementAfterWith(List<Token> tokens) {
        int depth = 0;
        boolean closed = false;
        for (int i = 1; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.isSymbol('(')) {
                depth++;
            } else if (t.isSymbol(')')) {
                depth--;
                closed = true;
            } else if (depth == 0 && closed && t.type() == Token.Type.WORD
                    && DML.contains(Ascii.toUpperCase(t.text()))) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The first identifier after a word that introduces a relation, at or after {@code start}; with
     * {@code immediate}, the identifier right at {@code start} counts too ({@code TRUNCATE orders}).
     */
    private static String relation(List<Token> tokens, int start, boolean immediate) {
        int i = start;
        if (!immediate) {
            while (i < tokens.size() && !introducesRelation(tokens.get(i))) {
                i++;
            }
            if (i >= tokens.size()) {
                return null;
            }
            i++;
        }
        while (i < tokens.size()) {
            while (i < tokens.size() && tokens.get(i).type() == Token.Type.WORD
                    && NOISE.contains(Ascii.toUpperCase(tokens.get(i).text()))) {
                i++;
            }
            String name = name(tokens, i);
            if (name != null) {
                return name;
            }
            // Not a name (a subquery, a literal, a function argument): look for the next introducing word.
            while (i < tokens.size() && !introducesRelation(tokens.get(i))) {
                i++;
            }
            i++;
        }
        return null;
    }

    private static boolean introducesRelation(Token t) {
        return t.type() == Token.Type.WORD && BEFORE_RELATION.contains(Ascii.toUpperCase(t.text()));
    }

    /** A possibly qualified name starting at {@code i} ({@code shop."Orders"}), or null when none starts there. */
    private static String name(List<Token> tokens, int i) {
        if (i >= tokens.size() || !isIdentifier(tokens.get(i))) {
            return null;
        }
        StringBuilder b = new StringBuilder(tokens.get(i).text());
        while (i + 2 < tokens.size() && tokens.get(i + 1).isSymbol('.') && isIdentifier(tokens.get(i + 2))) {
            b.append('.').append(tokens.get(i + 2).text());
            i += 2;
        }
        String s = b.toString();
        return s.length() > MAX_NAME ? s.substring(0, MAX_NAME) : s;
    }

    private static boolean isIdentifier(Token t) {
        if (t.type() == Token.Type.QUOTED_IDENT) {
            return true;
        }
        return t.type() == Token.Type.WORD && !BEFORE_RELATION.contains(Ascii.toUpperCase(t.text()))
                && !NOT_A_NAME.contains(Ascii.toUpperCase(t.text()));
    }
}
