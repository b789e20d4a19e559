package dev.phasegate.postgres.sql;

/** What a migration statement does, as far as locking and transaction handling care. */
public enum StatementKind {
    /** CREATE [UNIQUE] INDEX CONCURRENTLY: outside a transaction; leaves an INVALID index behind when it fails. */
    CREATE_INDEX_CONCURRENTLY,
    /** DROP INDEX CONCURRENTLY: outside a transaction, one index per statement. */
    DROP_INDEX_CONCURRENTLY,
    /** REINDEX ... CONCURRENTLY (keyword or option form): outside a transaction. */
    REINDEX_CONCURRENTLY,
    /** ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY: outside a transaction (FINALIZE is ALTER_TABLE). */
    DETACH_PARTITION_CONCURRENTLY,
    /** VACUUM in any form: outside a transaction. */
    VACUUM,
    /** CREATE DATABASE: outside a transaction. */
    CREATE_DATABASE,
    /** DROP DATABASE: outside a transaction. */
    DROP_DATABASE,
    /** ALTER SYSTEM: outside a transaction. */
    ALTER_SYSTEM,
    /** CREATE/DROP TABLESPACE (outside a transaction) and ALTER TABLESPACE (transactional). */
    TABLESPACE,
    /**
     * Plain CREATE [UNIQUE] INDEX: transactional, but holds a SHARE lock on the table for the whole build,
     * blocking every INSERT/UPDATE/DELETE; only safe on a table that is new or tiny.
     */
    CREATE_INDEX,
    /** Plain DROP INDEX: transactional; takes ACCESS EXCLUSIVE on the index's table. */
    DROP_INDEX,
    /** Plain REINDEX: INDEX/TABLE transactional, SCHEMA/DATABASE/SYSTEM outside a transaction. */
    REINDEX,
    /** CLUSTER: with a table transactional, without one (every clustered table) outside a transaction. */
    CLUSTER,
    /** ALTER TABLE other than DETACH PARTITION CONCURRENTLY. */
    ALTER_TABLE,
    /** DO block: transactional unless its body issues COMMIT or ROLLBACK (procedural transaction control). */
    DO_BLOCK,
    /** INSERT, UPDATE, DELETE, MERGE, SELECT, WITH, VALUES, TABLE, COPY (server-side files), CALL, EXPLAIN. */
    DML,
    /** SET, RESET, DISCARD: change the session our own timeouts live in (DISCARD ALL outside a transaction). */
    SESSION_SETTING,
    /** BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE, PREPARE TRANSACTION. */
    TRANSACTION_CONTROL,
    /** Everything else (mostly DDL: CREATE TABLE/FUNCTION/TRIGGER, ALTER TYPE ... ADD VALUE, COMMENT, GRANT). */
    OTHER_DDL;

    /**
     * The CONCURRENTLY forms: they take a table lock first, then wait for older transactions to end, and leave
     * something half-done (an INVALID index, a pending detach) when cancelled in those later waits.
     */
    public boolean concurrent() {
        return this == CREATE_INDEX_CONCURRENTLY || this == DROP_INDEX_CONCURRENTLY || this == REINDEX_CONCURRENTLY
                || this == DETACH_PARTITION_CONCURRENTLY;
    }
}
