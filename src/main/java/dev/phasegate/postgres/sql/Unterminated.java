package dev.phasegate.postgres.sql;

/** Names an unclosed construct and its fix, for error messages. */
record Unterminated(String what, String fix) {

    static final Unterminated PARENTHESIS = new Unterminated("parenthesis", "add the missing )");
    static final Unterminated BEGIN_ATOMIC =
            new Unterminated("BEGIN ATOMIC body", "end the body with END before the statement's final ;");

    /** From the text of an UNTERMINATED token, i.e. how the construct starts. */
    static Unterminated of(String rest) {
        if (rest.startsWith("/*")) {
            return new Unterminated("block comment",
                    "add the closing */ (block comments nest: each /* needs its own */)");
        }
        if (rest.startsWith("\"")) {
            return new Unterminated("quoted identifier", "add the closing \" (write a \" inside it as \"\")");
        }
        if (rest.startsWith("'")) {
            return new Unterminated("string literal", "add the closing ' (write a ' inside a string as '')");
        }
        if (rest.startsWith("E'") || rest.startsWith("e'")) {
            return new Unterminated("E'' string", "add the closing ' (in an E'' string a backslash escapes the next "
                    + "character, so \\' does not close it)");
        }
        String tag = rest.substring(0, rest.indexOf('$', 1) + 1);
        return new Unterminated("dollar quote " + tag, "close the body with the same " + tag);
    }
}
