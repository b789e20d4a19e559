package dev.phasegate.postgres.sql;

import java.util.List;

/** Looks inside a DO block's body for COMMIT/ROLLBACK, which only work when the block runs outside a transaction. */
final class DoBlocks {

    private DoBlocks() {
    }

    /** Best effort: a body in an E'' string or built dynamically is assumed not to control transactions. */
    static boolean controlsTransactions(List<Token> significant) {
        for (Token token : significant) {
            if (token.type() == Token.Type.DOLLAR_STRING || token.type() == Token.Type.STRING) {
                return issuesCommitOrRollback(body(token));
            }
        }
        return false;
    }

    /** The text inside a DO body's string literal: dollar tags or quotes removed; empty for an E'' string. */
    static String body(Token literal) {
        String text = literal.text();
        if (literal.type() == Token.Type.DOLLAR_STRING) {
            int tagEnd = text.indexOf('$', 1) + 1;
            return text.substring(tagEnd, text.length() - tagEnd);
        }
        if (text.charAt(0) != '\'') {
            return ""; // E'...' body: rare, and unescaping it is not worth a misreading
        }
        return text.substring(1, text.length() - 1).replace("''", "'");
    }

    private static boolean issuesCommitOrRollback(String body) {
        List<Token> tokens = SqlLexer.lex(body).stream().filter(Token::significant).toList();
        for (int i = 0; i < tokens.size(); i++) {
            Token token = tokens.get(i);
            boolean onCommit = token.isWord("COMMIT") && i > 0 && tokens.get(i - 1).isWord("ON");
            if ((token.isWord("COMMIT") && !onCommit) || token.isWord("ROLLBACK")) {
                return true;
            }
        }
        return false;
    }
}
