package dev.phasegate.postgres.sql;

import java.util.List;

/** Turns a split chunk into a {@link SqlStatement}, or into the {@link SqlScriptException} that names it. */
final class StatementBuilder {

    private static final int EXCERPT_LENGTH = 60;

    private StatementBuilder() {
    }

    static SqlStatement build(int index, String source, Chunk chunk) {
        List<Token> significant = chunk.significant();
        Token first = significant.get(0);
        Token last = significant.get(significant.size() - 1);
        String text = source.substring(first.start(), last.end());
        String where = "Statement " + index + " (line " + first.line() + ": " + excerpt(text) + "): ";
        checkTerminated(index, chunk, last, where);
        checkNoMetaCommand(index, significant, where);
        Classification c;
        try {
            c = StatementClassifier.classify(significant);
        } catch (Refusal refusal) {
            throw new SqlScriptException(refusal.problem(), index, first.line(), where + refusal.getMessage());
        }
        return new SqlStatement(index, first.line(), text, normalize(chunk.tokens(), first, last), c.kind(),
                c.transactional(), c.indexName(), c.tableName(), c.lockTargets());
    }

    /** Comments count as whitespace in PostgreSQL, so both collapse to one space; literals stay byte for byte. */
    static String normalize(List<Token> tokens, Token first, Token last) {
        StringBuilder out = new StringBuilder();
        boolean gap = false;
        for (Token token : tokens) {
            if (token.start() < first.start() || token.start() > last.start()) {
                continue;
            }
            if (!token.significant()) {
                gap = true;
                continue;
            }
            if (gap) {
                out.append(' ');
                gap = false;
            }
            out.append(token.text());
        }
        return out.toString();
    }

    private static void checkTerminated(int index, Chunk chunk, Token last, String where) {
        if (last.type() == Token.Type.UNTERMINATED) {
            throw unterminated(index, last.line(), where, Unterminated.of(last.text()));
        }
        if (chunk.openConstruct() != null) {
            throw unterminated(index, chunk.openLine(), where, chunk.openConstruct());
        }
    }

    private static SqlScriptException unterminated(int index, int line, String where, Unterminated open) {
        return new SqlScriptException(SqlScriptException.Problem.UNTERMINATED, index, line,
                where + "the " + open.what() + " opened at line " + line + " is never closed, so the rest of the "
                        + "script would be read as part of this statement; " + open.fix() + ".");
    }

    /** A backslash is never SQL outside a literal; it is psql syntax such as \set, \i or the \. ending COPY data. */
    private static void checkNoMetaCommand(int index, List<Token> significant, String where) {
        for (int i = 0; i < significant.size(); i++) {
            Token token = significant.get(i);
            if (token.isSymbol('\\')) {
                Token next = i + 1 < significant.size() ? significant.get(i + 1) : token;
                String command = next != token && next.start() == token.end() ? "\\" + next.text() : "\\";
                throw new SqlScriptException(SqlScriptException.Problem.PSQL_META_COMMAND, index, token.line(),
                        where + command + " at line " + token.line() + " is a psql meta-command, not SQL, and "
                                + "phasegate sends statements straight to the server. Remove it (for \\i, put the "
                                + "included file's statements in the script instead).");
            }
        }
    }

    private static String excerpt(String text) {
        String flat = text.replaceAll("\\s+", " ");
        return flat.length() <= EXCERPT_LENGTH ? flat : flat.substring(0, EXCERPT_LENGTH) + "...";
    }
}
