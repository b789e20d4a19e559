package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The actions of an ALTER TABLE statement, read from its tokens for the safety lint: which column or constraint each
 * one touches and the clauses that decide its lock and cost (NOT VALID, USING INDEX, a default's function calls).
 * Lexical and best effort: an action it cannot read comes out as {@link Verb#OTHER}.
 */
public final class AlterActions {

    /** What an action does. */
    public enum Verb {
        ADD_COLUMN, DROP_COLUMN, ALTER_TYPE, SET_NOT_NULL, DROP_NOT_NULL, SET_DEFAULT, DROP_DEFAULT, ADD_IDENTITY,
        ADD_CONSTRAINT, VALIDATE_CONSTRAINT, DROP_CONSTRAINT, RENAME_COLUMN, RENAME_TABLE, RENAME_CONSTRAINT,
        /** SET LOGGED/UNLOGGED, SET TABLESPACE, SET ACCESS METHOD: each copies the whole table. */
        TABLE_REWRITE,
        ATTACH_PARTITION, OTHER
    }

    /** The kind of constraint an ADD CONSTRAINT or an added column's definition carries. */
    public enum Constraint { NONE, CHECK, UNIQUE, PRIMARY_KEY, FOREIGN_KEY, EXCLUDE }

    /**
     * One action.
     *
     * @param column       the column added, dropped, altered or renamed; for a CHECK of the form
     *                     {@code (col IS NOT NULL)}, that column
     * @param name         the constraint's name (ADD/VALIDATE/DROP CONSTRAINT), or the new name of a RENAME
     * @param type         the type text of ADD COLUMN and ALTER ... TYPE, as written
     * @param defaultCalls names of the functions the column default calls (as {@link Names} gives them), e.g.
     *                     {@code random}, {@code shop.next_code}
     * @param hasDefault   ADD COLUMN with a DEFAULT clause, or SET DEFAULT
     * @param columns      the column list of a UNIQUE, PRIMARY KEY or FOREIGN KEY table constraint
     */
    public record Action(Verb verb, Optional<String> column, Optional<String> name, Optional<String> type,
            boolean hasDefault, List<String> defaultCalls, Constraint constraint, boolean notValid, boolean notNull,
            boolean identity, boolean generatedStored, boolean usingIndex, boolean usingExpression,
            List<String> columns) {

        public Action {
            defaultCalls = List.copyOf(defaultCalls);
            columns = List.copyOf(columns);
        }
    }

    /** Words that end a column's type and start its constraints. */
    private static final Set<String> COLUMN_CLAUSES = Set.of("CONSTRAINT", "NOT", "NULL", "DEFAULT", "CHECK",
            "UNIQUE", "PRIMARY", "REFERENCES", "GENERATED", "COLLATE", "DEFERRABLE", "INITIALLY", "COMPRESSION",
            "STORAGE");

    private AlterActions() {
    }

    /** The actions of an ALTER TABLE statement; empty for any other statement. */
    public static List<Action> of(SqlStatement s) {
        List<Token> tokens = SqlLexer.lex(s.text()).stream().filter(Token::significant).toList();
        Words w = new Words(tokens);
        if (!w.is(0, "ALTER") || !w.is(1, "TABLE")) {
            return List.of();
        }
        int at = w.skipIfExists(2);
        at = w.is(at, "ONLY") ? at + 1 : at;
        Optional<Names.At> table = Names.qualified(tokens, at);
        if (table.isEmpty()) {
            return List.of();
        }
        int first = w.isSymbol(table.get().next(), '*') ? table.get().next() + 1 : table.get().next();
        List<Integer> starts = w.elementStarts(first, w.size());
        List<Action> out = new ArrayList<>();
        for (int i = 0; i < starts.size(); i++) {
            int end = i + 1 < starts.size() ? starts.get(i + 1) - 1 : w.size();
            out.add(new Reader(s.text(), new Words(tokens.subList(starts.get(i), end))).action());
        }
        return out;
    }

    /** Reads one action, its tokens starting at index 0. */
    private static final class Reader {
        private final String text;
        private final Words w;

        Reader(String text, Words w) {
            this.text = text;
            this.w = w;
        }

        Action action() {
            if (w.is(0, "ADD")) {
                return add();
            }
            if (w.is(0, "DROP")) {
                if (w.is(1, "CONSTRAINT")) {
                    return simple(Verb.DROP_CONSTRAINT, Optional.empty(), name(w.skipIfExists(2)));
                }
                return simple(Verb.DROP_COLUMN, name(w.skipIfExists(w.is(1, "COLUMN") ? 2 : 1)), Optional.empty());
            }
            if (w.is(0, "ALTER")) {
                return alterColumn(w.is(1, "COLUMN") ? 2 : 1);
            }
            if (w.is(0, "VALIDATE") && w.is(1, "CONSTRAINT")) {
                return simple(Verb.VALIDATE_CONSTRAINT, Optional.empty(), name(2));
            }
            if (w.is(0, "RENAME")) {
                return rename();
            }
            if (w.is(0, "SET") && (w.isAny(1, "LOGGED", "UNLOGGED", "TABLESPACE")
                    || (w.is(1, "ACCESS") && w.is(2, "METHOD")))) {
                return simple(Verb.TABLE_REWRITE, Optional.empty(), Optional.empty());
            }
            if (w.is(0, "ATTACH") && w.is(1, "PARTITION")) {
                return simple(Verb.ATTACH_PARTITION, Optional.empty(), name(2));
            }
            return simple(Verb.OTHER, Optional.empty(), Optional.empty());
        }

        private Action add() {
            int at = w.is(1, "CONSTRAINT") ? 3 : 1;
            Constraint c = constraintAt(at);
            if (c != Constraint.NONE) {
                Optional<String> name = w.is(1, "CONSTRAINT") ? name(2) : Optional.empty();
                boolean usingIndex = w.find(at, "USING") >= 0 && w.is(w.find(at, "USING") + 1, "INDEX");
                int open = c == Constraint.PRIMARY_KEY || c == Constraint.FOREIGN_KEY ? at + 2 : at + 1;
                Optional<String> checked = c == Constraint.CHECK ? notNullCheck(at + 1) : Optional.empty();
                return new Action(Verb.ADD_CONSTRAINT, checked, name, Optional.empty(), false, List.of(), c,
                        notValid(), false, false, false, usingIndex, false, columnList(open));
            }
            int col = w.skipIfExists(w.is(1, "COLUMN") ? 2 : 1);
            Optional<Names.At> column = Names.qualified(w.tokens(), col);
            int typeStart = column.map(Names.At::next).orElse(col);
            int typeEnd = typeStart;
            while (typeEnd < w.size() && !isClause(typeEnd)) {
                typeEnd = w.isSymbol(typeEnd, '(') ? Names.skipParenthesized(w.tokens(), typeEnd) : typeEnd + 1;
            }
            int def = w.find(typeEnd, "DEFAULT");
            List<String> calls = def < 0 ? List.of() : calls(def + 1, clauseEnd(def + 1));
            boolean notNull = hasNotNull(typeEnd) || w.find(typeEnd, "PRIMARY") >= 0;
            int generated = w.find(typeEnd, "GENERATED");
            boolean identity = generated >= 0 && w.find(generated, "IDENTITY") >= 0;
            boolean stored = generated >= 0 && w.find(generated, "STORED") >= 0;
            Constraint inline = w.find(typeEnd, "REFERENCES") >= 0 ? Constraint.FOREIGN_KEY
                    : w.find(typeEnd, "PRIMARY") >= 0 ? Constraint.PRIMARY_KEY
                    : w.find(typeEnd, "UNIQUE") >= 0 ? Constraint.UNIQUE
                    : w.find(typeEnd, "CHECK") >= 0 ? Constraint.CHECK : Constraint.NONE;
            return new Action(Verb.ADD_COLUMN, column.map(Names.At::name), Optional.empty(),
                    slice(typeStart, typeEnd), def >= 0, calls, inline, notValid(), notNull, identity, stored, false,
                    false, List.of());
        }

        private Action alterColumn(int at) {
            Optional<String> column = name(at);
            int i = at + 1;
            if (w.is(i, "TYPE") || (w.is(i, "SET") && w.is(i + 1, "DATA") && w.is(i + 2, "TYPE"))) {
                int typeStart = w.is(i, "TYPE") ? i + 1 : i + 3;
                int using = w.find(typeStart, "USING");
                int collate = w.find(typeStart, "COLLATE");
                int typeEnd = collate >= 0 ? collate : using >= 0 ? using : w.size();
                return new Action(Verb.ALTER_TYPE, column, Optional.empty(), slice(typeStart, typeEnd), false,
                        List.of(), Constraint.NONE, false, false, false, false, false, using >= 0, List.of());
            }
            if (w.is(i, "SET") && w.is(i + 1, "NOT") && w.is(i + 2, "NULL")) {
                return simple(Verb.SET_NOT_NULL, column, Optional.empty());
            }
            if (w.is(i, "DROP") && w.is(i + 1, "NOT") && w.is(i + 2, "NULL")) {
                return simple(Verb.DROP_NOT_NULL, column, Optional.empty());
            }
            if (w.is(i, "SET") && w.is(i + 1, "DEFAULT")) {
                return new Action(Verb.SET_DEFAULT, column, Optional.empty(), Optional.empty(), true,
                        calls(i + 2, w.size()), Constraint.NONE, false, false, false, false, false, false, List.of());
            }
            if (w.is(i, "DROP") && w.is(i + 1, "DEFAULT")) {
                return simple(Verb.DROP_DEFAULT, column, Optional.empty());
            }
            if (w.is(i, "ADD") && w.is(i + 1, "GENERATED")) {
                return simple(Verb.ADD_IDENTITY, column, Optional.empty());
            }
            return simple(Verb.OTHER, column, Optional.empty());
        }

        private Action rename() {
            if (w.is(1, "TO")) {
                return simple(Verb.RENAME_TABLE, Optional.empty(), name(2));
            }
            if (w.is(1, "CONSTRAINT")) {
                return simple(Verb.RENAME_CONSTRAINT, name(2), name(w.find(2, "TO") + 1));
            }
            int to = w.find(1, "TO");
            return simple(Verb.RENAME_COLUMN, name(w.is(1, "COLUMN") ? 2 : 1), to < 0 ? Optional.empty() : name(to + 1));
        }

        private Constraint constraintAt(int at) {
            if (w.is(at, "CHECK")) {
                return Constraint.CHECK;
            }
            if (w.is(at, "UNIQUE")) {
                return Constraint.UNIQUE;
            }
            if (w.is(at, "PRIMARY") && w.is(at + 1, "KEY")) {
                return Constraint.PRIMARY_KEY;
            }
            if (w.is(at, "FOREIGN") && w.is(at + 1, "KEY")) {
                return Constraint.FOREIGN_KEY;
            }
            return w.is(at, "EXCLUDE") ? Constraint.EXCLUDE : Constraint.NONE;
        }

        /** The column of a check that is exactly {@code col IS NOT NULL}, however parenthesized. */
        private Optional<String> notNullCheck(int open) {
            int end = Names.skipParenthesized(w.tokens(), open);
            int from = open;
            int to = end;
            while (from < to && w.isSymbol(from, '(') && w.isSymbol(to - 1, ')')) {
                from++;
                to--;
            }
            Optional<Names.At> col = Names.qualified(w.tokens(), from);
            if (col.isPresent() && col.get().next() + 3 == to && w.is(col.get().next(), "IS")
                    && w.is(col.get().next() + 1, "NOT") && w.is(col.get().next() + 2, "NULL")) {
                return col.map(Names.At::name);
            }
            return Optional.empty();
        }

        private List<String> columnList(int open) {
            if (!w.isSymbol(open, '(')) {
                return List.of();
            }
            return Names.list(w.tokens(), open + 1);
        }

        private boolean notValid() {
            for (int j = 0; j + 1 < w.size(); j++) {
                if (w.is(j, "NOT") && w.is(j + 1, "VALID")) {
                    return true;
                }
            }
            return false;
        }

        private boolean hasNotNull(int from) {
            for (int j = from; j + 1 < w.size(); j++) {
                if (w.is(j, "NOT") && w.is(j + 1, "NULL")) {
                    return true;
                }
            }
            return false;
        }

        private boolean isClause(int i) {
            return i < w.size() && w.tokens().get(i).type() == Token.Type.WORD
                    && COLUMN_CLAUSES.contains(Ascii.toUpperCase(w.tokens().get(i).text()));
        }

        private int clauseEnd(int from) {
            int j = from;
            while (j < w.size() && !isClause(j)) {
                j = w.isSymbol(j, '(') ? Names.skipParenthesized(w.tokens(), j) : j + 1;
            }
            return j;
        }

        /**
         * Function names called between from and to, at any depth: a (possibly schema-qualified, possibly quoted)
         * name followed by an opening parenthesis, in the form {@link Names} gives ({@code shop.next_code}).
         */
        private List<String> calls(int from, int to) {
            List<String> names = new ArrayList<>();
            int j = from;
            while (j < to) {
                Optional<Names.At> name = Names.qualified(w.tokens(), j);
                if (name.isEmpty()) {
                    j++;
                    continue;
                }
                if (name.get().next() < to && w.isSymbol(name.get().next(), '(')) {
                    names.add(name.get().name());
                }
                j = name.get().next();
            }
            return names;
        }

        private Optional<String> name(int at) {
            return Names.qualified(w.tokens(), at).map(Names.At::name);
        }

        private Optional<String> slice(int from, int to) {
            if (from >= to || to > w.size()) {
                return Optional.empty();
            }
            return Optional.of(text.substring(w.tokens().get(from).start(), w.tokens().get(to - 1).end()));
        }

        private static Action simple(Verb verb, Optional<String> column, Optional<String> name) {
            return new Action(verb, column, name, Optional.empty(), false, List.of(), Constraint.NONE, false, false,
                    false, false, false, false, List.of());
        }
    }
}
