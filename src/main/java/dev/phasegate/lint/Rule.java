package dev.phasegate.lint;

/** Every rule the lint knows, by its stable id (what spec.lint.allow names); docs/lint.md explains each. */
public enum Rule {
    INDEX_NOT_CONCURRENT("index-not-concurrent"),
    DROP_INDEX_NOT_CONCURRENT("drop-index-not-concurrent"),
    REINDEX_NOT_CONCURRENT("reindex-not-concurrent"),
    CONCURRENTLY_IN_TRANSACTION("concurrently-in-transaction"),
    CONSTRAINT_NOT_VALID("constraint-not-valid"),
    VALIDATE_SAME_TRANSACTION("validate-same-transaction"),
    SET_NOT_NULL_SCAN("set-not-null-scan"),
    COLUMN_TYPE_REWRITE("column-type-rewrite"),
    VOLATILE_DEFAULT("volatile-default"),
    UNIQUE_WITHOUT_INDEX("unique-without-index"),
    IDENTITY_COLUMN_REWRITE("identity-column-rewrite"),
    RENAME_COLUMN("rename-column"),
    RENAME_TABLE("rename-table"),
    DROP_DATABASE("drop-database"),
    TRUNCATE("truncate"),
    LOCK_TABLE("lock-table"),
    TABLE_REWRITE("table-rewrite"),
    TIMEOUT_SETTING("timeout-setting"),
    TRANSACTION_CONTROL("transaction-control"),
    SCRIPT_REFUSED("script-refused"),
    DO_BLOCK_UNCHECKED("do-block-unchecked"),
    DML_IN_SCHEMA_PHASE("dml-in-schema-phase"),
    EXPAND_DROPS("expand-drops"),
    EXPAND_TYPE_CHANGE("expand-type-change"),
    EXPAND_NOT_NULL("expand-not-null"),
    CLEANUP_ADDITIVE("cleanup-additive"),
    CLEANUP_DROPS_EXPAND_OBJECT("cleanup-drops-expand-object");

    private final String id;

    Rule(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The rule with this id, or null. */
    public static Rule byId(String id) {
        for (Rule r : values()) {
            if (r.id.equals(id)) {
                return r;
            }
        }
        return null;
    }
}
