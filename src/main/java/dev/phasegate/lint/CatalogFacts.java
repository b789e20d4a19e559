package dev.phasegate.lint;

import java.util.List;
import java.util.Optional;

/**
 * The port through which the lint learns about the live database, so that the rules stay pure functions: read
 * once before linting (see postgres.CatalogFactsReader), or made up in tests.
 */
public interface CatalogFacts {

    /** server_version_num, e.g. 150004; 0 when unknown (the rules then assume the oldest supported behaviour). */
    int serverVersionNum();

    /**
     * The session's {@code current_schemas(false)}: the schemas of its search_path that exist, in order, each in the
     * form statements write names ({@code public}, {@code "Shop"}). An unqualified table is created in the first and
     * found in the first that has it. {@code [public]} when no database was consulted.
     */
    List<String> searchPath();

    /**
     * The table by its resolved name, {@code schema.table} (each part in the form SqlStatement.tableName() gives);
     * empty when it does not exist or nothing is known of it. The lint resolves names as written into this form
     * through {@link #searchPath()}.
     */
    Optional<TableFacts> table(String qualifiedName);

    /**
     * The volatility pg_proc records for a function, by name as a default calls it (unqualified names resolved
     * through the session's search_path, pg_catalog first); empty when the catalog does not have it.
     */
    Optional<Volatility> function(String name);

    /** True when the catalog was consulted; false for {@link #unknown()}, where every existing table may be big. */
    boolean known();

    /** No database to ask: every table the script does not create counts as existing and of unknown size. */
    static CatalogFacts unknown() {
        return new CatalogSnapshot(0, List.of("public"), java.util.Map.of(), java.util.Map.of(), false);
    }
}
