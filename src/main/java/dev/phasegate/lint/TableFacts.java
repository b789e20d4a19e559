package dev.phasegate.lint;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the catalog says of one table the migration names.
 *
 * @param rows           pg_class.reltuples, the planner's row estimate; negative when never analysed
 * @param bytes          pg_class.relpages times the block size: the size as of the last VACUUM/ANALYZE
 * @param uniqueIndexes  its valid unique indexes (including the primary key)
 * @param notNullChecked columns with a validated {@code CHECK (col IS NOT NULL)}
 * @param columnTypes    column name to {@code format_type()} text, e.g. {@code character varying(20)}
 */
public record TableFacts(double rows, long bytes, List<UniqueIndex> uniqueIndexes, Set<String> notNullChecked,
        Map<String, String> columnTypes) {

    /** A valid unique index and its key columns, in order (expression columns are left out). */
    public record UniqueIndex(String name, List<String> columns) {
        public UniqueIndex {
            columns = List.copyOf(columns);
        }
    }

    public TableFacts {
        uniqueIndexes = List.copyOf(uniqueIndexes);
        notNullChecked = Set.copyOf(notNullChecked);
        columnTypes = Map.copyOf(columnTypes);
    }

    /** An existing unique index on exactly these columns (any order), if there is one. */
    public Optional<UniqueIndex> uniqueIndexOn(List<String> columns) {
        return uniqueIndexes.stream()
                .filter(i -> i.columns().size() == columns.size() && Set.copyOf(i.columns()).containsAll(columns))
                .findFirst();
    }
}
