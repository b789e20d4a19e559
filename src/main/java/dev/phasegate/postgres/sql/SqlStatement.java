package dev.phasegate.postgres.sql;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One statement of a migration script, classified.
 *
 * @param index         1-based position among the script's non-empty statements
 * @param line          1-based line of the statement's first token in the script
 * @param text          the statement as written, without its trailing {@code ;}, leading and trailing comments
 * @param normalized    comments outside literals removed, whitespace runs outside literals collapsed to one space;
 *                      what the ledger checksums, so reformatting a script does not make it "changed"
 * @param kind          what it does
 * @param transactional false if PostgreSQL refuses to run it inside a transaction block
 * @param indexName     for index statements (CREATE/DROP/REINDEX INDEX), the index name
 * @param tableName     for CREATE INDEX, REINDEX TABLE and ALTER TABLE, the table name
 * @param lockTargets   best effort, see {@link #lockTargets()}
 */
public record SqlStatement(
        int index,
        int line,
        String text,
        String normalized,
        StatementKind kind,
        boolean transactional,
        Optional<String> indexName,
        Optional<String> tableName,
        List<String> lockTargets) {

    public SqlStatement {
        if (index < 1) {
            throw new IllegalArgumentException("index is 1-based: " + index);
        }
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(normalized, "normalized");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(indexName, "indexName");
        Objects.requireNonNull(tableName, "tableName");
        lockTargets = List.copyOf(lockTargets);
    }

    /**
     * Relations (tables, or indexes for DROP/REINDEX INDEX) this statement takes a lock on that conflicts
     * with a running CREATE INDEX CONCURRENTLY, so the executor can hold it back while one of ours runs.
     * Names are as in {@link Names}: lower-cased unless quoted, schema kept only where written.
     *
     * <p>Covered: ALTER TABLE (the table, REFERENCES targets, ATTACH/DETACH PARTITION partitions),
     * CREATE TABLE (REFERENCES and PARTITION OF targets), CREATE [UNIQUE] INDEX [CONCURRENTLY] (the table),
     * DROP INDEX and REINDEX (the named index or table), DROP TABLE, TRUNCATE, LOCK, VACUUM, ANALYZE, CLUSTER.
     * Not covered: anything inside DO blocks, functions, triggers or rules; objects reached through views,
     * foreign-key cascades or inheritance; search_path resolution (orders and public.orders differ here);
     * statements such as CREATE TRIGGER, ALTER INDEX or COMMENT. Empty means "none known", not "none".
     */
    @Override
    public List<String> lockTargets() {
        return lockTargets;
    }

    /**
     * {@link #indexName()} in a form that finds the index without relying on search_path: for CREATE INDEX the
     * name is prefixed with the table's schema when the statement names one, because PostgreSQL always creates
     * the index in its table's schema and does not accept a qualified name there.
     */
    public Optional<String> qualifiedIndexName() {
        boolean creates = kind == StatementKind.CREATE_INDEX || kind == StatementKind.CREATE_INDEX_CONCURRENTLY;
        if (indexName.isEmpty() || !creates || tableName.isEmpty()) {
            return indexName;
        }
        List<Token> parts = SqlLexer.lex(tableName.get());
        Token lastDot = null;
        for (Token part : parts) {
            if (part.isSymbol('.')) {
                lastDot = part;
            }
        }
        return lastDot == null ? indexName
                : Optional.of(tableName.get().substring(0, lastDot.start()) + "." + indexName.get());
    }

    /** SHA-256 of {@link #normalized()} (UTF-8), lower-case hex. */
    public String checksum() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(normalized.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }
}
