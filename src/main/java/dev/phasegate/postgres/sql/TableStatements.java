package dev.phasegate.postgres.sql;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** ALTER/CREATE/DROP TABLE, TRUNCATE and LOCK: which tables they lock, and DETACH PARTITION CONCURRENTLY. */
final class TableStatements {

    private TableStatements() {
    }

    /** ALTER TABLE [IF EXISTS] [ONLY] name action [, ...]. */
    static Classification alter(Words w) {
        int at = w.skipIfExists(2);
        at = w.is(at, "ONLY") ? at + 1 : at;
        if (w.is(at, "ALL") && w.is(at + 1, "IN")) {
            return Classification.of(StatementKind.ALTER_TABLE, true); // ALL IN TABLESPACE: tables unknown
        }
        Optional<Names.At> table = Names.qualified(w.tokens(), at);
        Set<String> targets = new LinkedHashSet<>();
        table.ifPresent(t -> targets.add(t.name()));
        targets.addAll(referencedTables(w));
        StatementKind kind = detachesConcurrently(w) ? StatementKind.DETACH_PARTITION_CONCURRENTLY
                : StatementKind.ALTER_TABLE;
        return Classification.of(kind, kind == StatementKind.ALTER_TABLE)
                .withTable(table.map(Names.At::name))
                .withTargets(new ArrayList<>(targets));
    }

    /** CREATE TABLE locks the tables its foreign keys reference and the parent it is a partition of. */
    static Classification create(Words w) {
        return Classification.of(StatementKind.OTHER_DDL, true).withTargets(referencedTables(w));
    }

    /** DROP TABLE [IF EXISTS] name [, ...]. */
    static Classification drop(Words w) {
        return Classification.of(StatementKind.OTHER_DDL, true)
                .withTargets(Names.list(w.tokens(), w.skipIfExists(2)));
    }

    /** TRUNCATE [TABLE] [ONLY] name [, ...] and LOCK [TABLE] [ONLY] name [, ...]: both must run in a block. */
    static Classification truncateOrLock(Words w) {
        int at = w.is(1, "TABLE") ? 2 : 1;
        at = w.is(at, "ONLY") ? at + 1 : at;
        return Classification.of(StatementKind.OTHER_DDL, true).withTargets(Names.list(w.tokens(), at));
    }

    private static boolean detachesConcurrently(Words w) {
        for (int j = 0; j < w.size(); j++) {
            if (w.is(j, "DETACH") && w.is(j + 1, "PARTITION")) {
                Optional<Names.At> partition = Names.qualified(w.tokens(), j + 2);
                if (partition.isPresent() && w.is(partition.get().next(), "CONCURRENTLY")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Targets of REFERENCES, ATTACH/DETACH PARTITION and PARTITION OF, at any depth. */
    private static List<String> referencedTables(Words w) {
        Set<String> names = new LinkedHashSet<>();
        for (int j = 0; j < w.size(); j++) {
            int nameAt = -1;
            if (w.is(j, "REFERENCES")) {
                nameAt = j + 1;
            } else if (w.is(j, "PARTITION") && w.isAny(j - 1, "ATTACH", "DETACH")) {
                nameAt = j + 1;
            } else if (w.is(j, "PARTITION") && w.is(j + 1, "OF")) {
                nameAt = j + 2;
            }
            if (nameAt >= 0) {
                Names.qualified(w.tokens(), nameAt).ifPresent(at -> names.add(at.name()));
            }
        }
        return new ArrayList<>(names);
    }
}
