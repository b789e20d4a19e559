package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a rollback statement removes: the objects it drops, by kind and name, or the fact that it removes data in a
 * way that cannot be attributed to objects (DELETE, TRUNCATE, a DO block, DROP SCHEMA ...). The executor compares
 * this with what existed before the phase ran, so that an automatic rollback never removes what the migration did
 * not create.
 */
public final class DropTargets {

    /** Kinds of objects a rollback may drop and the catalog can tell apart. */
    public enum Kind { TABLE, VIEW, SEQUENCE, INDEX, TYPE, FUNCTION, TRIGGER, COLUMN, CONSTRAINT }

    /**
     * One dropped object. {@code name} and {@code table} are in the form {@code ::regclass} accepts (see Names);
     * {@code table} is set for columns, constraints and triggers, empty otherwise.
     */
    public record Target(Kind kind, String name, String table) {
        public String describe() {
            return switch (kind) {
                case COLUMN -> "column " + table + "." + name;
                case CONSTRAINT -> "constraint " + name + " on " + table;
                case TRIGGER -> "trigger " + name + " on " + table;
                default -> kind.name().toLowerCase(java.util.Locale.ROOT) + " " + name;
            };
        }
    }

    /** A statement's analysis: the targets, or why it cannot be analysed (empty when it can). */
    public record Analysis(List<Target> targets, Optional<String> opaque) {
    }

    private DropTargets() {
    }

    public static Analysis of(SqlStatement s) {
        List<Token> tokens = SqlLexer.lex(s.text()).stream().filter(Token::significant).toList();
        Words w = new Words(tokens);
        switch (s.kind()) {
            case SESSION_SETTING, CREATE_INDEX, CREATE_INDEX_CONCURRENTLY, REINDEX, REINDEX_CONCURRENTLY, VACUUM,
                    TRANSACTION_CONTROL -> {
                return none();
            }
            case DROP_INDEX, DROP_INDEX_CONCURRENTLY -> {
                return dropList(w, Kind.INDEX, w.is(2, "CONCURRENTLY") ? 3 : 2);
            }
            case ALTER_TABLE -> {
                return alterTable(w);
            }
            case OTHER_DDL -> {
                return otherDdl(w);
            }
            default -> {
                return opaque(s, "it may remove data that existed before the migration (" + firstWords(w) + ")");
            }
        }
    }

    private static Analysis otherDdl(Words w) {
        if (w.is(0, "TRUNCATE")) {
            return new Analysis(List.of(), Optional.of("TRUNCATE removes rows that may predate the migration"));
        }
        if (!w.is(0, "DROP")) {
            return none(); // CREATE, COMMENT, GRANT, ALTER TYPE ...: nothing is removed
        }
        if (w.is(1, "TABLE")) {
            return dropList(w, Kind.TABLE, 2);
        }
        if (w.is(1, "VIEW")) {
            return dropList(w, Kind.VIEW, 2);
        }
        if (w.is(1, "MATERIALIZED") && w.is(2, "VIEW")) {
            return dropList(w, Kind.VIEW, 3);
        }
        if (w.is(1, "SEQUENCE")) {
            return dropList(w, Kind.SEQUENCE, 2);
        }
        if (w.is(1, "TYPE")) {
            return dropList(w, Kind.TYPE, 2);
        }
        if (w.isAny(1, "FUNCTION", "PROCEDURE")) {
            return dropList(w, Kind.FUNCTION, 2);
        }
        if (w.is(1, "TRIGGER")) {
            int at = w.skipIfExists(2);
            Optional<Names.At> name = Names.qualified(w.tokens(), at);
            if (name.isPresent() && w.is(name.get().next(), "ON")) {
                Optional<Names.At> table = Names.qualified(w.tokens(), name.get().next() + 1);
                if (table.isPresent()) {
                    return new Analysis(List.of(new Target(Kind.TRIGGER, name.get().name(), table.get().name())),
                            Optional.empty());
                }
            }
        }
        return new Analysis(List.of(), Optional.of(firstWords(w) + " is not a drop phasegate can attribute"));
    }

    /** ALTER TABLE t DROP [COLUMN] [IF EXISTS] c, DROP CONSTRAINT [IF EXISTS] k, ...; other actions remove nothing. */
    private static Analysis alterTable(Words w) {
        int at = w.skipIfExists(2);
        at = w.is(at, "ONLY") ? at + 1 : at;
        Optional<Names.At> table = Names.qualified(w.tokens(), at);
        if (table.isEmpty()) {
            return new Analysis(List.of(), Optional.of(firstWords(w) + " names no table phasegate can read"));
        }
        List<Target> targets = new ArrayList<>();
        int depth = 0;
        for (int j = table.get().next(); j < w.size(); j++) {
            if (w.isSymbol(j, '(')) {
                depth++;
            } else if (w.isSymbol(j, ')')) {
                depth--;
            }
            boolean startsAction = depth == 0 && (j == table.get().next() || w.isSymbol(j - 1, ','));
            if (!startsAction || !w.is(j, "DROP")) {
                continue;
            }
            if (w.is(j + 1, "CONSTRAINT")) {
                Names.qualified(w.tokens(), w.skipIfExists(j + 2)).ifPresent(n ->
                        targets.add(new Target(Kind.CONSTRAINT, n.name(), table.get().name())));
            } else {
                int c = w.is(j + 1, "COLUMN") ? j + 2 : j + 1;
                Names.qualified(w.tokens(), w.skipIfExists(c)).ifPresent(n ->
                        targets.add(new Target(Kind.COLUMN, n.name(), table.get().name())));
            }
        }
        return new Analysis(targets, Optional.empty());
    }

    private static Analysis dropList(Words w, Kind kind, int at) {
        List<Target> targets = new ArrayList<>();
        for (String name : Names.list(w.tokens(), w.skipIfExists(at))) {
            targets.add(new Target(kind, name, ""));
        }
        if (targets.isEmpty()) {
            return new Analysis(List.of(), Optional.of(firstWords(w) + " names nothing phasegate can read"));
        }
        return new Analysis(targets, Optional.empty());
    }

    private static Analysis none() {
        return new Analysis(List.of(), Optional.empty());
    }

    private static Analysis opaque(SqlStatement s, String why) {
        return new Analysis(List.of(), Optional.of("statement " + s.index() + ": " + why));
    }

    /** The first keywords, never literals: enough to name the statement in a message. */
    private static String firstWords(Words w) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(3, w.size()); i++) {
            Token t = w.tokens().get(i);
            if (t.type() != Token.Type.WORD) {
                break;
            }
            sb.append(sb.length() == 0 ? "" : " ").append(t.text().toUpperCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }
}
