package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits tokens at top-level semicolons the way psql does.
 *
 * <p>A semicolon ends a statement only outside parentheses (CREATE RULE ... DO (a; b)) and outside the
 * BEGIN ATOMIC body of CREATE [OR REPLACE] FUNCTION/PROCEDURE. Unlike psql, a BEGIN counts only when ATOMIC
 * follows (or inside such a body), so a function merely named "begin" cannot swallow the rest of the script.
 */
final class StatementSplitter {

    private final List<Token> tokens;
    private final List<Chunk> chunks = new ArrayList<>();
    private List<Token> current = new ArrayList<>();
    private final List<Token> leadingWords = new ArrayList<>();
    private int parenDepth;
    private int parenLine;
    private int beginDepth;
    private int beginLine;

    private StatementSplitter(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Chunk> split(List<Token> tokens) {
        StatementSplitter splitter = new StatementSplitter(tokens);
        splitter.run();
        return List.copyOf(splitter.chunks);
    }

    private void run() {
        for (int i = 0; i < tokens.size(); i++) {
            Token token = tokens.get(i);
            if (token.isSymbol(';') && parenDepth == 0 && beginDepth == 0) {
                finish(null, 0);
                continue;
            }
            current.add(token);
            if (token.significant() && leadingWords.size() < 4) {
                leadingWords.add(token);
            }
            track(token, i);
        }
        if (parenDepth > 0) {
            finish(Unterminated.PARENTHESIS, parenLine);
        } else if (beginDepth > 0) {
            finish(Unterminated.BEGIN_ATOMIC, beginLine);
        } else {
            finish(null, 0);
        }
    }

    private void track(Token token, int i) {
        if (token.isSymbol('(')) {
            if (parenDepth++ == 0) {
                parenLine = token.line();
            }
        } else if (token.isSymbol(')')) {
            parenDepth = Math.max(0, parenDepth - 1);
        } else if (token.type() == Token.Type.WORD && parenDepth == 0 && inRoutineDefinition()) {
            if (token.isWord("BEGIN") && (beginDepth > 0 || nextSignificant(i).isWord("ATOMIC"))) {
                if (beginDepth++ == 0) {
                    beginLine = token.line();
                }
            } else if (token.isWord("CASE") && beginDepth > 0) {
                beginDepth++; // CASE also closes with END
            } else if (token.isWord("END") && beginDepth > 0) {
                beginDepth--;
            }
        }
    }

    private boolean inRoutineDefinition() {
        if (leadingWords.size() < 2 || !leadingWords.get(0).isWord("CREATE")) {
            return false;
        }
        Token second = leadingWords.get(1);
        if (isRoutineWord(second)) {
            return true;
        }
        return leadingWords.size() >= 4 && second.isWord("OR") && leadingWords.get(2).isWord("REPLACE")
                && isRoutineWord(leadingWords.get(3));
    }

    private static boolean isRoutineWord(Token token) {
        return token.isWord("FUNCTION") || token.isWord("PROCEDURE");
    }

    private Token nextSignificant(int i) {
        for (int j = i + 1; j < tokens.size(); j++) {
            if (tokens.get(j).significant()) {
                return tokens.get(j);
            }
        }
        return new Token(Token.Type.WHITESPACE, "", 0, 0);
    }

    private void finish(Unterminated openConstruct, int openLine) {
        chunks.add(new Chunk(current, openConstruct, openLine));
        current = new ArrayList<>();
        leadingWords.clear();
        parenDepth = 0;
        beginDepth = 0;
    }
}
