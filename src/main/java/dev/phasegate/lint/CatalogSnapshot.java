package dev.phasegate.lint;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Catalog facts as values: what the reader read from a database, or what a test states.
 *
 * @param searchPath the session's current_schemas(false), see {@link CatalogFacts#searchPath()}
 * @param tables     existing tables by resolved name ({@code schema.table}); a name missing here does not exist
 * @param functions  the volatility of the functions the defaults call, by name as written
 * @param known      false when no database was consulted (see {@link CatalogFacts#unknown()})
 */
public record CatalogSnapshot(int serverVersionNum, List<String> searchPath, Map<String, TableFacts> tables,
        Map<String, Volatility> functions, boolean known) implements CatalogFacts {

    public CatalogSnapshot {
        searchPath = List.copyOf(searchPath);
        tables = Map.copyOf(tables);
        functions = Map.copyOf(functions);
    }

    @Override
    public Optional<TableFacts> table(String qualifiedName) {
        return Optional.ofNullable(tables.get(qualifiedName));
    }

    @Override
    public Optional<Volatility> function(String name) {
        return Optional.ofNullable(functions.get(name));
    }
}
