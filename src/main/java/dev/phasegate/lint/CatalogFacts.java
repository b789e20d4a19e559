package dev.phasegate.lint;

import java.util.Optional;

/**
 * The port through which the lint learns about the live database, so that the rules stay pure functions: read
 * once before linting (see postgres.CatalogFactsReader), or made up in tests.
 */
public interface CatalogFacts {

    /** server_version_num, e.g. 150004; 0 when unknown (the rules then assume the oldest supported behaviour). */
    int serverVersionNum();

    /**
     * The table by name as a statement writes it (the form SqlStatement.tableName() gives); empty when it does not
     * exist or nothing is known of it.
     */
    Optional<TableFacts> table(String name);

    /** True when the catalog was consulted; false for {@link #unknown()}, where every existing table may be big. */
    boolean known();

    /** No database to ask: every table the script does not create counts as existing and of unknown size. */
    static CatalogFacts unknown() {
        return new CatalogSnapshot(0, java.util.Map.of(), false);
    }
}
