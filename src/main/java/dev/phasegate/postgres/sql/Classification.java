package dev.phasegate.postgres.sql;

import java.util.List;
import java.util.Optional;

/** The classifier's verdict on one statement, before it is assembled into a {@link SqlStatement}. */
record Classification(StatementKind kind, boolean transactional, Optional<String> indexName,
        Optional<String> tableName, List<String> lockTargets) {

    Classification {
        lockTargets = List.copyOf(lockTargets);
    }

    static Classification of(StatementKind kind, boolean transactional) {
        return new Classification(kind, transactional, Optional.empty(), Optional.empty(), List.of());
    }

    Classification withIndex(Optional<String> name) {
        return new Classification(kind, transactional, name, tableName, lockTargets);
    }

    Classification withTable(Optional<String> name) {
        return new Classification(kind, transactional, indexName, name, lockTargets);
    }

    Classification withTargets(List<String> targets) {
        return new Classification(kind, transactional, indexName, tableName, targets);
    }
}
