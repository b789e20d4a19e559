package dev.phasegate.postgres.sql;

import java.util.List;
import java.util.Optional;

/** VACUUM, ANALYZE and CLUSTER: maintenance commands with table lists and transaction rules of their own. */
final class MaintenanceStatements {

    private MaintenanceStatements() {
    }

    /** VACUUM [(options)] [FULL] [FREEZE] [VERBOSE] [ANALYZE] [table [(columns)], ...]. */
    static Classification vacuum(Words w) {
        return Classification.of(StatementKind.VACUUM, false).withTargets(tables(w));
    }

    /** ANALYZE [(options)] [VERBOSE] [table [(columns)], ...]: unlike VACUUM, fine inside a transaction. */
    static Classification analyze(Words w) {
        return Classification.of(StatementKind.OTHER_DDL, true).withTargets(tables(w));
    }

    /** CLUSTER [(options)] [VERBOSE] [table [USING index]]; without a table it commits per table. */
    static Classification cluster(Words w) {
        int at = Names.skipParenthesized(w.tokens(), 1);
        at = w.is(at, "VERBOSE") ? at + 1 : at;
        Optional<String> table = Names.qualified(w.tokens(), at).map(Names.At::name);
        return Classification.of(StatementKind.CLUSTER, table.isPresent())
                .withTable(table)
                .withTargets(table.map(List::of).orElse(List.of()));
    }

    private static List<String> tables(Words w) {
        int at = Names.skipParenthesized(w.tokens(), 1);
        while (w.isAny(at, "FULL", "FREEZE", "VERBOSE", "ANALYZE", "ANALYSE")) {
            at++;
        }
        return Names.list(w.tokens(), at);
    }
}
