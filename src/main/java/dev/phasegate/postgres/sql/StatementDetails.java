package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Small lexical facts about a classified statement that the safety lint asks for; never a literal's content. */
public final class StatementDetails {

    private StatementDetails() {
    }

    /** The leading keywords, upper case, up to n and stopping at the first token that is not a plain word. */
    public static List<String> keywords(SqlStatement s, int n) {
        List<String> out = new ArrayList<>();
        for (Token t : significant(s.text())) {
            if (out.size() == n || t.type() != Token.Type.WORD) {
                break;
            }
            out.add(Ascii.toUpperCase(t.text()));
        }
        return out;
    }

    /** True when the keyword appears as a word anywhere in the statement, outside literals and comments. */
    public static boolean mentions(SqlStatement s, String keyword) {
        return new Words(significant(s.text())).containsWord(keyword);
    }

    /**
     * For a DO block: true when its body mentions the keyword as a word, directly or inside a string the body holds
     * (the usual form of dynamic SQL: {@code EXECUTE 'CREATE INDEX CONCURRENTLY ...'}).
     */
    public static boolean doBodyMentions(SqlStatement s, String keyword) {
        for (Token t : significant(s.text())) {
            if (t.type() == Token.Type.DOLLAR_STRING || t.type() == Token.Type.STRING) {
                for (Token b : significant(DoBlocks.body(t))) {
                    boolean literal = b.type() == Token.Type.STRING || b.type() == Token.Type.DOLLAR_STRING;
                    if (b.isWord(keyword) || literal && new Words(significant(DoBlocks.body(b))).containsWord(keyword)) {
                        return true;
                    }
                }
                return false;
            }
        }
        return false;
    }

    /** The table a CREATE [TEMP|UNLOGGED] TABLE statement creates, as {@link Names} gives it. */
    public static Optional<String> createdTable(SqlStatement s) {
        Words w = new Words(significant(s.text()));
        int at = 1;
        while (w.isAny(at, "GLOBAL", "LOCAL", "TEMP", "TEMPORARY", "UNLOGGED")) {
            at++;
        }
        if (!w.is(0, "CREATE") || !w.is(at, "TABLE")) {
            return Optional.empty();
        }
        return Names.qualified(w.tokens(), w.skipIfExists(at + 1)).map(Names.At::name);
    }

    /**
     * A function a statement creates: its name as {@link Names} gives it, and the volatility it declares, upper case
     * ({@code IMMUTABLE}, {@code STABLE}, or {@code VOLATILE}, PostgreSQL's default when none is declared).
     */
    public record DeclaredFunction(String name, String volatility) {
    }

    /** The function a CREATE [OR REPLACE] FUNCTION statement creates; empty for any other statement. */
    public static Optional<DeclaredFunction> createdFunction(SqlStatement s) {
        Words w = new Words(significant(s.text()));
        int at = w.is(1, "OR") && w.is(2, "REPLACE") ? 3 : 1;
        if (!w.is(0, "CREATE") || !w.is(at, "FUNCTION")) {
            return Optional.empty();
        }
        Optional<Names.At> name = Names.qualified(w.tokens(), at + 1);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        String volatility = "VOLATILE";
        // The body is a string token, so only the statement's own clauses are words here.
        for (int i = name.get().next(); i < w.size(); i++) {
            if (w.isAny(i, "IMMUTABLE", "STABLE", "VOLATILE")) {
                volatility = Ascii.toUpperCase(w.tokens().get(i).text());
            }
        }
        return Optional.of(new DeclaredFunction(name.get().name(), volatility));
    }

    /** The parameter a SET or RESET statement changes, lower case ({@code SET LOCAL lock_timeout = 0}). */
    public static Optional<String> setting(SqlStatement s) {
        Words w = new Words(significant(s.text()));
        if (!w.isAny(0, "SET", "RESET")) {
            return Optional.empty();
        }
        int at = w.isAny(1, "SESSION", "LOCAL") ? 2 : 1;
        return Names.qualified(w.tokens(), at).map(Names.At::name);
    }

    /** The table an UPDATE or DELETE writes ({@code UPDATE [ONLY] t}, {@code DELETE FROM [ONLY] t}). */
    public static Optional<String> dmlTarget(SqlStatement s) {
        Words w = new Words(significant(s.text()));
        int at = w.is(0, "UPDATE") ? 1 : w.is(0, "DELETE") && w.is(1, "FROM") ? 2 : -1;
        if (at < 0) {
            return Optional.empty();
        }
        return Names.qualified(w.tokens(), w.is(at, "ONLY") ? at + 1 : at).map(Names.At::name);
    }

    private static List<Token> significant(String text) {
        return SqlLexer.lex(text).stream().filter(Token::significant).toList();
    }
}
