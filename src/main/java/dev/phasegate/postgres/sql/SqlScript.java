package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A migration script split into classified statements; parse it once, before anything runs. */
public final class SqlScript {

    private final List<SqlStatement> statements;

    private SqlScript(List<SqlStatement> statements) {
        this.statements = List.copyOf(statements);
    }

    /**
     * Splits and classifies a script. Empty and comment-only input gives an empty script.
     *
     * @throws SqlScriptException if a construct is unterminated or a statement is one phasegate refuses to run
     */
    public static SqlScript parse(String text) {
        Objects.requireNonNull(text, "text");
        // A byte-order mark would glue itself to the first keyword and hide e.g. a CONCURRENTLY from us.
        String source = text.startsWith("\uFEFF") ? text.substring(1) : text;
        List<SqlStatement> statements = new ArrayList<>();
        for (Chunk chunk : StatementSplitter.split(SqlLexer.lex(source))) {
            if (!chunk.isEmpty()) {
                statements.add(StatementBuilder.build(statements.size() + 1, source, chunk));
            }
        }
        return new SqlScript(statements);
    }

    public List<SqlStatement> statements() {
        return statements;
    }

    public int size() {
        return statements.size();
    }

    public boolean isEmpty() {
        return statements.isEmpty();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SqlScript script && script.statements.equals(statements);
    }

    @Override
    public int hashCode() {
        return statements.hashCode();
    }

    @Override
    public String toString() {
        return "SqlScript" + statements;
    }
}
