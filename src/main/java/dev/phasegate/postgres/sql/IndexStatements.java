package dev.phasegate.postgres.sql;

import java.util.List;
import java.util.Optional;

/** CREATE INDEX, DROP INDEX and REINDEX, whose names the executor needs for cleanup and lock avoidance. */
final class IndexStatements {

    private IndexStatements() {
    }

    /** CREATE [UNIQUE] INDEX [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] table ...; i is at UNIQUE/INDEX. */
    static Classification create(Words w, int i) {
        int at = w.is(i, "UNIQUE") ? i + 2 : i + 1;
        boolean concurrent = w.is(at, "CONCURRENTLY");
        at = w.skipIfExists(concurrent ? at + 1 : at);
        Optional<String> name = Optional.empty();
        if (!w.is(at, "ON")) {
            Optional<Names.At> read = Names.qualified(w.tokens(), at);
            name = read.map(Names.At::name);
            at = read.map(Names.At::next).orElse(at);
        }
        Optional<String> table = Optional.empty();
        if (w.is(at, "ON")) {
            at = w.is(at + 1, "ONLY") ? at + 2 : at + 1;
            table = Names.qualified(w.tokens(), at).map(Names.At::name);
        }
        if (concurrent && name.isEmpty()) {
            String example = table.orElse("orders");
            throw new Refusal(SqlScriptException.Problem.UNNAMED_CONCURRENT_INDEX,
                    "CREATE INDEX CONCURRENTLY has no index name. When a concurrent build fails or is cancelled, "
                            + "PostgreSQL leaves an INVALID index behind, and phasegate must know its name to drop it "
                            + "before retrying. Name the index, e.g. CREATE INDEX CONCURRENTLY "
                            + example.replace('.', '_').replace("\"", "") + "_<columns>_idx ON " + example
                            + " (...).");
        }
        StatementKind kind = concurrent ? StatementKind.CREATE_INDEX_CONCURRENTLY : StatementKind.CREATE_INDEX;
        return Classification.of(kind, !concurrent).withIndex(name).withTable(table)
                .withTargets(table.map(List::of).orElse(List.of()));
    }

    /** DROP INDEX [CONCURRENTLY] [IF EXISTS] name [, ...] [CASCADE | RESTRICT]. */
    static Classification drop(Words w) {
        boolean concurrent = w.is(2, "CONCURRENTLY");
        List<String> names = Names.list(w.tokens(), w.skipIfExists(concurrent ? 3 : 2));
        if (concurrent && names.size() > 1) {
            throw new Refusal(SqlScriptException.Problem.MULTIPLE_DROP_CONCURRENTLY,
                    "DROP INDEX CONCURRENTLY can drop only one index per statement (PostgreSQL rejects a list); "
                            + "write one DROP INDEX CONCURRENTLY statement for each of " + String.join(", ", names)
                            + ".");
        }
        StatementKind kind = concurrent ? StatementKind.DROP_INDEX_CONCURRENTLY : StatementKind.DROP_INDEX;
        Optional<String> name = names.size() == 1 ? Optional.of(names.get(0)) : Optional.empty();
        return Classification.of(kind, !concurrent).withIndex(name).withTargets(names);
    }

    /** REINDEX [(options)] {INDEX | TABLE | SCHEMA | DATABASE | SYSTEM} [CONCURRENTLY] [name]. */
    static Classification reindex(Words w) {
        int at = 1;
        boolean concurrent = false;
        if (w.isSymbol(at, '(')) {
            int end = Names.skipParenthesized(w.tokens(), at);
            for (int j = at; j < end; j++) {
                if (w.is(j, "CONCURRENTLY") && !(j + 1 < end && isFalse(w.tokens().get(j + 1)))) {
                    concurrent = true;
                }
            }
            at = end;
        }
        boolean onIndex = w.is(at, "INDEX");
        boolean onTable = w.is(at, "TABLE");
        at++;
        if (w.is(at, "CONCURRENTLY")) {
            concurrent = true;
            at++;
        }
        Optional<String> name = Names.qualified(w.tokens(), at).map(Names.At::name);
        List<String> targets = onIndex || onTable ? name.map(List::of).orElse(List.of()) : List.of();
        Classification result = concurrent
                ? Classification.of(StatementKind.REINDEX_CONCURRENTLY, false)
                // REINDEX SCHEMA/DATABASE/SYSTEM commit per table, so PostgreSQL refuses them in a block
                : Classification.of(StatementKind.REINDEX, onIndex || onTable);
        return result.withIndex(onIndex ? name : Optional.empty())
                .withTable(onTable ? name : Optional.empty())
                .withTargets(targets);
    }

    private static boolean isFalse(Token value) {
        String text = value.type() == Token.Type.STRING ? value.text().replace("'", "") : value.text();
        return value.type() != Token.Type.SYMBOL
                && (Ascii.equalsIgnoreCase(text, "false") || Ascii.equalsIgnoreCase(text, "off")
                        || text.equals("0"));
    }
}
