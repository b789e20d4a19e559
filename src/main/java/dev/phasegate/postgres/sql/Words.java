package dev.phasegate.postgres.sql;

import java.util.List;

/** Keyword tests on a statement's significant tokens by position, tolerant of running off the end. */
final class Words {

    private final List<Token> tokens;

    Words(List<Token> tokens) {
        this.tokens = tokens;
    }

    List<Token> tokens() {
        return tokens;
    }

    int size() {
        return tokens.size();
    }

    boolean is(int i, String keyword) {
        return i >= 0 && i < tokens.size() && tokens.get(i).isWord(keyword);
    }

    boolean isAny(int i, String... keywords) {
        for (String keyword : keywords) {
            if (is(i, keyword)) {
                return true;
            }
        }
        return false;
    }

    boolean isSymbol(int i, char symbol) {
        return i >= 0 && i < tokens.size() && tokens.get(i).isSymbol(symbol);
    }

    /** Index just after an optional IF [NOT] EXISTS at i. */
    int skipIfExists(int i) {
        if (is(i, "IF") && is(i + 1, "EXISTS")) {
            return i + 2;
        }
        if (is(i, "IF") && is(i + 1, "NOT") && is(i + 2, "EXISTS")) {
            return i + 3;
        }
        return i;
    }

    /** First index at or after i, at parenthesis depth 0 relative to i, holding the keyword; -1 if none. */
    int find(int i, String keyword) {
        int depth = 0;
        for (int j = i; j < tokens.size(); j++) {
            if (isSymbol(j, '(')) {
                depth++;
            } else if (isSymbol(j, ')')) {
                depth--;
            } else if (depth == 0 && is(j, keyword)) {
                return j;
            }
        }
        return -1;
    }

    /** Token indexes that start a comma-separated element at depth 0 between from (inclusive) and to (exclusive). */
    List<Integer> elementStarts(int from, int to) {
        List<Integer> starts = new java.util.ArrayList<>();
        int depth = 0;
        boolean atStart = true;
        for (int j = from; j < to; j++) {
            if (atStart && depth == 0) {
                starts.add(j);
                atStart = false;
            }
            if (isSymbol(j, '(')) {
                depth++;
            } else if (isSymbol(j, ')')) {
                depth--;
            } else if (depth == 0 && isSymbol(j, ',')) {
                atStart = true;
            }
        }
        return starts;
    }

    boolean containsWord(String keyword) {
        return tokens.stream().anyMatch(token -> token.isWord(keyword));
    }
}
