package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the backfill's SET fragment as its assignments ({@code col = expr[, col2 = expr2]}), so the consistency check
 * can compare each target with its expression. Only plain column targets are read: a multi-column assignment, an
 * array element or composite field, or {@code DEFAULT} have no single expression to compare with, and are reported.
 */
public final class SetList {

    /** One assignment: the column as PostgreSQL names it (case-folded unless quoted) and its expression's text. */
    public record Assignment(String column, String expression) {
    }

    /** The assignments, or why the fragment cannot be read as such. */
    public record Parsed(List<Assignment> assignments, String problem) {
        public Optional<String> problemIfAny() {
            return Optional.ofNullable(problem);
        }
    }

    private SetList() {
    }

    public static Parsed parse(String set) {
        Optional<String> lexical = SqlFragments.problem(set);
        if (lexical.isPresent()) {
            return failed("spec.backfill.set " + lexical.get());
        }
        List<Token> tokens = SqlLexer.lex(set);
        List<List<Token>> parts = new ArrayList<>();
        List<Token> current = new ArrayList<>();
        int depth = 0;
        for (Token t : tokens) {
            if (t.isSymbol('(') || t.isSymbol('[')) {
                depth++;
            } else if (t.isSymbol(')') || t.isSymbol(']')) {
                depth--;
            } else if (depth == 0 && t.isSymbol(',')) {
                parts.add(current);
                current = new ArrayList<>();
                continue;
            }
            current.add(t);
        }
        parts.add(current);
        List<Assignment> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            List<Token> significant = parts.get(i).stream().filter(Token::significant).toList();
            String which = parts.size() == 1 ? "" : " (assignment " + (i + 1) + ")";
            if (significant.size() < 3) {
                return failed("spec.backfill.set" + which + " is not of the form column = expression");
            }
            Token target = significant.get(0);
            String column;
            if (target.type() == Token.Type.WORD) {
                column = Ascii.toLowerCase(target.text());
            } else if (target.type() == Token.Type.QUOTED_IDENT) {
                column = target.text().substring(1, target.text().length() - 1).replace("\"\"", "\"");
            } else {
                return failed("spec.backfill.set" + which + " assigns to " + target.text() + "...; the consistency"
                        + " check needs one column per assignment (write (a, b) = (x, y) as a = x, b = y)");
            }
            Token eq = significant.get(1);
            if (!eq.isSymbol('=')) {
                return failed("spec.backfill.set" + which + ": " + target.text() + " is followed by " + eq.text()
                        + ", not '='; the consistency check compares whole columns only (no array elements or"
                        + " composite fields)");
            }
            Token first = significant.get(2);
            String expression = set.substring(first.start(), significant.get(significant.size() - 1).end()).trim();
            if (significant.size() == 3 && first.isWord("DEFAULT")) {
                return failed("spec.backfill.set" + which + " assigns DEFAULT to " + column + "; the consistency"
                        + " check cannot compare with a column default");
            }
            out.add(new Assignment(column, expression));
        }
        return new Parsed(List.copyOf(out), null);
    }

    private static Parsed failed(String problem) {
        return new Parsed(List.of(), problem);
    }
}
