package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads (possibly schema-qualified) object names from significant tokens.
 *
 * <p>Names come out in the form PostgreSQL stores and {@code ::regclass} accepts: unquoted parts folded to
 * lower case, quoted parts unquoted when that means the same (lower case, identifier-like), else kept quoted.
 * So {@code Public."Orders"} and {@code public."Orders"} give the same name, and the name matches pg_class.
 */
public final class Names {

    private static final Pattern SIMPLE = Pattern.compile("[a-z_][a-z0-9_$]*");

    private Names() {
    }

    /** A name and the index of the first token after it. */
    record At(String name, int next) {
    }

    static Optional<At> qualified(List<Token> tokens, int i) {
        if (!isPart(tokens, i)) {
            return Optional.empty();
        }
        StringBuilder name = new StringBuilder(part(tokens.get(i)));
        int next = i + 1;
        while (next + 1 < tokens.size() && tokens.get(next).isSymbol('.') && isPart(tokens, next + 1)) {
            name.append('.').append(part(tokens.get(next + 1)));
            next += 2;
        }
        return Optional.of(new At(name.toString(), next));
    }

    /** A comma-separated list of names, each optionally followed by a parenthesized column list. */
    static List<String> list(List<Token> tokens, int i) {
        List<String> names = new ArrayList<>();
        int next = i;
        while (true) {
            Optional<At> at = qualified(tokens, next);
            if (at.isEmpty()) {
                return names;
            }
            names.add(at.get().name());
            next = skipParenthesized(tokens, at.get().next());
            if (next >= tokens.size() || !tokens.get(next).isSymbol(',')) {
                return names;
            }
            next++;
        }
    }

    /** Index after a parenthesized group starting at i, or i when there is none. */
    static int skipParenthesized(List<Token> tokens, int i) {
        if (i >= tokens.size() || !tokens.get(i).isSymbol('(')) {
            return i;
        }
        int depth = 0;
        for (int j = i; j < tokens.size(); j++) {
            if (tokens.get(j).isSymbol('(')) {
                depth++;
            } else if (tokens.get(j).isSymbol(')') && --depth == 0) {
                return j + 1;
            }
        }
        return tokens.size();
    }

    /** One part of a name as stored in the catalog (no quotes, case kept), in the form {@link #qualified} gives. */
    public static String ofRaw(String stored) {
        return SIMPLE.matcher(stored).matches() ? stored : "\"" + stored.replace("\"", "\"\"") + "\"";
    }

    /** The dot-separated parts of a name in the form {@link #qualified} gives, each still in that form. */
    public static List<String> parts(String name) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (Token t : SqlLexer.lex(name)) {
            if (t.isSymbol('.')) {
                out.add(current.toString());
                current.setLength(0);
            } else {
                current.append(t.text());
            }
        }
        out.add(current.toString());
        return out;
    }

    private static boolean isPart(List<Token> tokens, int i) {
        return i < tokens.size()
                && (tokens.get(i).type() == Token.Type.WORD || tokens.get(i).type() == Token.Type.QUOTED_IDENT);
    }

    private static String part(Token token) {
        if (token.type() == Token.Type.WORD) {
            return Ascii.toLowerCase(token.text());
        }
        String raw = token.text();
        String unquoted = raw.substring(1, raw.length() - 1).replace("\"\"", "\"");
        return SIMPLE.matcher(unquoted).matches() ? unquoted : raw;
    }
}
