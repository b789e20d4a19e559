package dev.phasegate.lint;

import java.util.Map;
import java.util.Optional;

/**
 * Catalog facts as values: what the reader read from a database, or what a test states.
 *
 * @param tables existing tables by name as statements write them; a name missing here does not exist
 * @param known  false when no database was consulted (see {@link CatalogFacts#unknown()})
 */
public record CatalogSnapshot(int serverVersionNum, Map<String, TableFacts> tables, boolean known)
        implements CatalogFacts {

    public CatalogSnapshot {
        tables = Map.copyOf(tables);
    }

    @Override
    public Optional<TableFacts> table(String name) {
        return Optional.ofNullable(tables.get(name));
    }
}
