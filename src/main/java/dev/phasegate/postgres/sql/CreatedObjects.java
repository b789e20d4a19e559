package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The tables and columns a script creates, read from its text: CREATE TABLE (and its column list), ALTER TABLE ...
 * ADD [COLUMN], RENAME [COLUMN] ... TO and RENAME TO. Lexical and generous: where a statement's effect cannot be read
 * (a DO block, CALL, CREATE TABLE AS, LIKE, INHERITS, PARTITION OF), it may have created anything, so a check that
 * something is missing never fails a migration that would work.
 */
public final class CreatedObjects {

    private static final Set<String> NOT_COLUMNS = Set.of("constraint", "primary", "unique", "check", "foreign",
            "exclude");

    /** Tables created or renamed into place, by name as {@link Names} gives it, with the columns known added. */
    private final Map<String, Set<String>> columnsAdded = new HashMap<>();
    /** Tables whose columns cannot be read from the text (CREATE TABLE AS, LIKE, a renamed table ...). */
    private final Set<String> anyColumn = new HashSet<>();
    private final Set<String> tablesCreated = new HashSet<>();
    /** Tables a statement changes or indexes (ALTER TABLE, CREATE INDEX, foreign keys ...), as {@link Names} gives. */
    private final Set<String> tablesTouched = new HashSet<>();
    private boolean opaque;

    private CreatedObjects() {
    }

    /** Reads a script; one that does not split (reported by the syntax check) counts as opaque. */
    public static CreatedObjects of(String sql) {
        CreatedObjects out = new CreatedObjects();
        if (sql == null || sql.isBlank()) {
            return out;
        }
        List<SqlStatement> statements;
        try {
            statements = SqlScript.parse(sql).statements();
        } catch (SqlScriptException e) {
            out.opaque = true;
            return out;
        }
        for (SqlStatement s : statements) {
            out.read(s);
        }
        return out;
    }

    /** Reads statements already parsed, e.g. those before a given one (the lint asks what came earlier). */
    public static CreatedObjects ofStatements(List<SqlStatement> statements) {
        CreatedObjects out = new CreatedObjects();
        for (SqlStatement s : statements) {
            out.read(s);
        }
        return out;
    }

    /**
     * True when a statement creates (or renames into place) the relation, a name as a statement writes it (the form
     * {@link SqlStatement#tableName()} gives); false when the script is opaque, unlike {@link #createsTable}: the
     * lint must not call a table new only because a DO block might have made it.
     */
    public boolean createsRelation(String scriptName) {
        List<String> wanted = Names.parts(scriptName);
        return tablesCreated.stream().map(Names::parts).anyMatch(created ->
                created.get(created.size() - 1).equals(wanted.get(wanted.size() - 1))
                        && (created.size() == 1 || wanted.size() == 1
                                || created.get(created.size() - 2).equals(wanted.get(wanted.size() - 2))));
    }

    /** True when a statement may have created anything (a DO block, CALL): nothing can be said missing then. */
    public boolean opaque() {
        return opaque;
    }

    /** True when the script creates the table (a name as the spec writes it: parts separated by a dot, as stored). */
    public boolean createsTable(String table) {
        return opaque || tablesCreated.stream().anyMatch(t -> sameTable(t, table));
    }

    /** True when the script adds the column to the table, or creates the table with columns it cannot read. */
    public boolean mayCreateColumn(String table, String column) {
        return mayCreateColumn(t -> sameTable(t, table), column);
    }

    /**
     * As {@link #mayCreateColumn(String, String)}, with the caller deciding which of the script's table names (as
     * statements write them) mean the table, e.g. by resolving both through the search_path.
     */
    public boolean mayCreateColumn(Predicate<String> isTable, String column) {
        if (opaque || anyColumn.stream().anyMatch(isTable)) {
            return true;
        }
        String wanted = Names.ofRaw(column);
        return columnsAdded.entrySet().stream()
                .anyMatch(e -> isTable.test(e.getKey()) && e.getValue().contains(wanted));
    }

    /** The tables created or renamed into place, as statements write them (schema only where written). */
    public Set<String> relations() {
        return Set.copyOf(tablesCreated);
    }

    /**
     * True when a statement may change the table's columns or indexes (or may do anything): what the catalog says
     * of it now may not hold when the backfill starts.
     */
    public boolean touchesTable(String table) {
        return opaque || tablesTouched.stream().anyMatch(t -> sameTable(t, table)) || createsTable(table);
    }

    private void read(SqlStatement s) {
        s.tableName().ifPresent(tablesTouched::add);
        tablesTouched.addAll(s.lockTargets());
        List<Token> tokens = SqlLexer.lex(s.text()).stream().filter(Token::significant).toList();
        Words w = new Words(tokens);
        if (s.kind() == StatementKind.DO_BLOCK || w.is(0, "CALL") || w.is(0, "EXECUTE")
                || (w.is(0, "SELECT") && w.find(0, "INTO") >= 0)) {
            opaque = true;
        } else if (w.is(0, "CREATE")) {
            createTable(w);
        } else if (w.is(0, "ALTER") && w.is(1, "TABLE")) {
            alterTable(w);
        }
    }

    /** CREATE [GLOBAL | LOCAL] [TEMP | TEMPORARY | UNLOGGED] TABLE [IF NOT EXISTS] name ( columns ) | AS | OF. */
    private void createTable(Words w) {
        int at = 1;
        while (w.isAny(at, "GLOBAL", "LOCAL", "TEMP", "TEMPORARY", "UNLOGGED")) {
            at++;
        }
        if (!w.is(at, "TABLE")) {
            return;
        }
        Optional<Names.At> name = Names.qualified(w.tokens(), w.skipIfExists(at + 1));
        if (name.isEmpty()) {
            return;
        }
        String table = name.get().name();
        tablesCreated.add(table);
        int open = name.get().next();
        if (!w.isSymbol(open, '(')) {
            anyColumn.add(table); // AS query, OF type, PARTITION OF parent: columns come from elsewhere
            return;
        }
        int close = Names.skipParenthesized(w.tokens(), open);
        for (int element : w.elementStarts(open + 1, close - 1)) {
            if (w.is(element, "LIKE")) {
                anyColumn.add(table);
            } else if (!isConstraint(w, element)) {
                Names.qualified(w.tokens(), element).ifPresent(c -> columnsAdded
                        .computeIfAbsent(table, k -> new HashSet<>()).add(c.name()));
            }
        }
        if (w.find(close, "INHERITS") >= 0) {
            anyColumn.add(table);
        }
    }

    /** ALTER TABLE [IF EXISTS] [ONLY] name action [, ...]: ADD [COLUMN] [IF NOT EXISTS] c, RENAME ... TO. */
    private void alterTable(Words w) {
        int at = w.skipIfExists(2);
        at = w.is(at, "ONLY") ? at + 1 : at;
        Optional<Names.At> name = Names.qualified(w.tokens(), at);
        if (name.isEmpty()) {
            return;
        }
        String table = name.get().name();
        for (int action : w.elementStarts(name.get().next(), w.size())) {
            if (w.is(action, "ADD") && !isConstraint(w, action + 1)) {
                int column = w.skipIfExists(w.is(action + 1, "COLUMN") ? action + 2 : action + 1);
                Names.qualified(w.tokens(), column).ifPresent(c -> columnsAdded
                        .computeIfAbsent(table, k -> new HashSet<>()).add(c.name()));
            } else if (w.is(action, "RENAME") && w.is(action + 1, "TO")) {
                Names.qualified(w.tokens(), action + 2).ifPresent(n -> {
                    String renamed = schemaOf(table) + n.name();
                    tablesCreated.add(renamed);
                    anyColumn.add(renamed);
                });
            } else if (w.is(action, "RENAME") && !w.is(action + 1, "CONSTRAINT")) {
                int to = w.find(action, "TO");
                if (to > 0) {
                    Names.qualified(w.tokens(), to + 1).ifPresent(c -> columnsAdded
                            .computeIfAbsent(table, k -> new HashSet<>()).add(c.name()));
                }
            }
        }
    }

    private static boolean isConstraint(Words w, int i) {
        return i < w.size() && w.tokens().get(i).type() == Token.Type.WORD
                && NOT_COLUMNS.contains(Ascii.toLowerCase(w.tokens().get(i).text()));
    }

    private static String schemaOf(String table) {
        List<Token> parts = SqlLexer.lex(table);
        Token lastDot = null;
        for (Token p : parts) {
            if (p.isSymbol('.')) {
                lastDot = p;
            }
        }
        return lastDot == null ? "" : table.substring(0, lastDot.end());
    }

    /**
     * A name from a script (schema only where written) against the spec's table (raw parts, as stored): the same
     * table when the last parts match and, where both name a schema, the schemas too. Generous on purpose: the
     * script's unqualified name may resolve through the search_path to the spec's schema.
     */
    private static boolean sameTable(String scriptName, String specTable) {
        List<String> script = Names.parts(scriptName);
        String[] raw = specTable.split("\\.", 2);
        String specName = Names.ofRaw(raw[raw.length - 1]);
        if (!script.get(script.size() - 1).equals(specName)) {
            return false;
        }
        return script.size() == 1 || raw.length == 1 || script.get(script.size() - 2).equals(Names.ofRaw(raw[0]));
    }
}
