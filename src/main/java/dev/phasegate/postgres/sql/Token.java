package dev.phasegate.postgres.sql;

/** One lexical unit of a script, with its offset and line in the source. */
record Token(Type type, String text, int start, int line) {

    /** Lexical categories; only what splitting and classification need to tell apart. */
    enum Type {
        WORD, QUOTED_IDENT, STRING, DOLLAR_STRING, NUMBER, PARAM, SYMBOL,
        WHITESPACE, LINE_COMMENT, BLOCK_COMMENT,
        /** A quote, comment or dollar body still open at end of input; its text is the rest of the input. */
        UNTERMINATED
    }

    int end() {
        return start + text.length();
    }

    /** Whitespace and comments are insignificant: PostgreSQL treats a comment as whitespace. */
    boolean significant() {
        return type != Type.WHITESPACE && type != Type.LINE_COMMENT && type != Type.BLOCK_COMMENT;
    }

    boolean isWord(String keyword) {
        return type == Type.WORD && Ascii.equalsIgnoreCase(text, keyword);
    }

    boolean isSymbol(char symbol) {
        return type == Type.SYMBOL && text.length() == 1 && text.charAt(0) == symbol;
    }
}
