package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.List;

/** Tokenizer following PostgreSQL's scan.l closely enough to find every statement boundary. */
final class SqlLexer {

    private final String src;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int line = 1;

    private SqlLexer(String src) {
        this.src = src;
    }

    /** Never throws: an unclosed construct becomes one UNTERMINATED token so the caller can name its statement. */
    static List<Token> lex(String src) {
        SqlLexer lexer = new SqlLexer(src);
        lexer.run();
        return List.copyOf(lexer.tokens);
    }

    private void run() {
        while (pos < src.length()) {
            int start = pos;
            Token.Type type = next();
            String text = src.substring(start, pos);
            tokens.add(new Token(type, text, start, line));
            line += newlines(text);
        }
    }

    private Token.Type next() {
        char c = src.charAt(pos);
        if (isSpace(c)) {
            while (pos < src.length() && isSpace(src.charAt(pos))) {
                pos++;
            }
            return Token.Type.WHITESPACE;
        }
        if (c == '-' && peek(1) == '-') {
            int eol = src.indexOf('\n', pos);
            pos = eol < 0 ? src.length() : eol;
            return Token.Type.LINE_COMMENT;
        }
        if (c == '/' && peek(1) == '*') {
            return blockComment();
        }
        if (c == '\'') {
            return quoted('\'', 1, false, Token.Type.STRING);
        }
        if ((c == 'E' || c == 'e') && peek(1) == '\'') {
            return quoted('\'', 2, true, Token.Type.STRING);
        }
        if (c == '"') {
            return quoted('"', 1, false, Token.Type.QUOTED_IDENT);
        }
        if (c == '$') {
            return dollar();
        }
        if (isIdentStart(c)) {
            // '$' continues an identifier (foo$bar$), so a dollar quote can never start inside a word.
            while (pos < src.length() && (isIdentStart(src.charAt(pos)) || Ascii.isDigit(src.charAt(pos))
                    || src.charAt(pos) == '$')) {
                pos++;
            }
            return Token.Type.WORD;
        }
        if (Ascii.isDigit(c)) {
            while (pos < src.length() && isNumberPart(src.charAt(pos))) {
                pos++;
            }
            return Token.Type.NUMBER;
        }
        pos++;
        return Token.Type.SYMBOL;
    }

    private Token.Type blockComment() {
        int depth = 0;
        int p = pos;
        while (p < src.length()) {
            if (src.startsWith("/*", p)) {
                depth++;
                p += 2;
            } else if (src.startsWith("*/", p)) {
                depth--;
                p += 2;
                if (depth == 0) {
                    pos = p;
                    return Token.Type.BLOCK_COMMENT;
                }
            } else {
                p++;
            }
        }
        pos = src.length();
        return Token.Type.UNTERMINATED;
    }

    /** Doubling the quote escapes it everywhere; a backslash escapes only in E'' strings. */
    private Token.Type quoted(char quote, int openLength, boolean backslashEscapes, Token.Type type) {
        int p = pos + openLength;
        while (p < src.length()) {
            char c = src.charAt(p);
            if (backslashEscapes && c == '\\') {
                p += 2;
            } else if (c == quote) {
                if (p + 1 < src.length() && src.charAt(p + 1) == quote) {
                    p += 2;
                } else {
                    pos = p + 1;
                    return type;
                }
            } else {
                p++;
            }
        }
        pos = src.length();
        return Token.Type.UNTERMINATED;
    }

    private Token.Type dollar() {
        if (Ascii.isDigit(peek(1))) {
            pos++;
            while (pos < src.length() && Ascii.isDigit(src.charAt(pos))) {
                pos++;
            }
            return Token.Type.PARAM;
        }
        int p = pos + 1;
        if (p < src.length() && isIdentStart(src.charAt(p))) {
            while (p < src.length() && (isIdentStart(src.charAt(p)) || Ascii.isDigit(src.charAt(p)))) {
                p++;
            }
        }
        if (p >= src.length() || src.charAt(p) != '$') {
            // "$abc" without a closing '$' is no tag; PostgreSQL reports the lone '$' as a syntax error.
            pos++;
            return Token.Type.SYMBOL;
        }
        String delimiter = src.substring(pos, p + 1);
        int close = src.indexOf(delimiter, p + 1);
        if (close < 0) {
            pos = src.length();
            return Token.Type.UNTERMINATED;
        }
        pos = close + delimiter.length();
        return Token.Type.DOLLAR_STRING;
    }

    private char peek(int ahead) {
        int p = pos + ahead;
        return p < src.length() ? src.charAt(p) : '\0';
    }

    private static int newlines(String text) {
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000B';
    }

    /** Non-ASCII characters are identifier characters in PostgreSQL, like its high-bit bytes. */
    static boolean isIdentStart(char c) {
        return Ascii.isLetter(c) || c == '_' || c >= 0x80;
    }

    private static boolean isNumberPart(char c) {
        return Ascii.isLetter(c) || Ascii.isDigit(c) || c == '_' || c == '.';
    }
}
