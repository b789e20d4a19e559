package dev.phasegate.postgres.sql;

import java.util.List;

/**
 * The tokens of one statement as split, before classification.
 *
 * @param openConstruct a parenthesis or BEGIN ATOMIC body still open at end of input, or null
 * @param openLine      line where that construct was opened
 */
record Chunk(List<Token> tokens, Unterminated openConstruct, int openLine) {

    Chunk {
        tokens = List.copyOf(tokens);
    }

    List<Token> significant() {
        return tokens.stream().filter(Token::significant).toList();
    }

    boolean isEmpty() {
        return openConstruct == null && tokens.stream().noneMatch(Token::significant);
    }
}
