package dev.phasegate.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phasegate.lint.CatalogSnapshot;
import dev.phasegate.lint.TableFacts;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads what the lint needs of the live database in one read-only statement, one round trip: the server version and,
 * for each table the migration names, its row and size estimates from pg_class (never a scan, never
 * pg_relation_size, which would lock the table), its valid unique indexes, its validated {@code CHECK (col IS NOT
 * NULL)} constraints and its column types. Tables are resolved with to_regclass, which takes no lock; the statement
 * locks only catalog tables (AccessShareLock). NOT NULL checks are recognised in the stored expression tree
 * (pg_constraint.conbin), not with pg_get_constraintdef, which opens the table and so would queue behind an ACCESS
 * EXCLUSIVE lock on it.
 */
public final class CatalogFactsReader {

    /** Short bounds of its own, so that a reviewer's dry run never waits long on a busy catalog. */
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(1);
    static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(10);

    /** Parameter: the table names (text[]), as statements write them. */
    public static final String SQL = """
            WITH n AS (
                SELECT t, to_regclass(t) AS r FROM unnest(?::text[]) AS t
            )
            SELECT current_setting('server_version_num')::int AS version,
                   (SELECT coalesce(json_agg(json_build_object(
                        'name', n.t,
                        'rows', c.reltuples,
                        'bytes', c.relpages::bigint * current_setting('block_size')::bigint,
                        'uniques', (SELECT coalesce(json_agg(json_build_object(
                                        'name', i.indexrelid::regclass::text,
                                        'columns', (SELECT coalesce(json_agg(quote_ident(a.attname) ORDER BY k.ord),
                                                                    '[]'::json)
                                                    FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                                                    JOIN pg_attribute a
                                                      ON a.attrelid = i.indrelid AND a.attnum = k.attnum))),
                                        '[]'::json)
                                    FROM pg_index i
                                    WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid
                                      AND i.indpred IS NULL AND i.indexprs IS NULL),
                        'checks', (SELECT coalesce(json_agg(quote_ident(a.attname)), '[]'::json)
                                   FROM pg_constraint k
                                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
                                   WHERE k.conrelid = c.oid AND k.contype = 'c' AND k.convalidated
                                     AND cardinality(k.conkey) = 1
                                     AND k.conbin::text ~ '^\\{NULLTEST :arg \\{VAR [^{}]*\\} :nulltesttype 1 '),
                        'columns', (SELECT coalesce(json_object_agg(quote_ident(a.attname),
                                                                    format_type(a.atttypid, a.atttypmod)), '{}'::json)
                                    FROM pg_attribute a
                                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))), '[]'::json)
                    FROM n JOIN pg_class c ON c.oid = n.r
                    WHERE c.relkind IN ('r', 'p', 'm'))::text AS tables
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    private CatalogFactsReader() {
    }

    /** Opens a session of its own with short bounds, reads, and closes it. */
    public static CatalogSnapshot read(ConnectionSettings db, String applicationName, Collection<String> tables)
            throws SQLException {
        SessionSettings bounds = new SessionSettings(applicationName, LOCK_TIMEOUT, STATEMENT_TIMEOUT,
                Duration.ofSeconds(30));
        try (Connection c = Sessions.open(db, bounds)) {
            return read(c, tables);
        }
    }

    /** Reads on a session the caller has bounded (lock_timeout, statement_timeout). */
    public static CatalogSnapshot read(Connection c, Collection<String> tables) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL)) {
            // to_regclass raises (not returns null) on a name of three or more parts; such a table stays unknown.
            ps.setArray(1, c.createArrayOf("text", tables.stream().filter(CatalogFactsReader::atMostTwoParts)
                    .toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new CatalogSnapshot(rs.getInt("version"), parse(rs.getString("tables")), true);
            }
        }
    }

    /** True for {@code t} and {@code s.t}: at most one dot outside double quotes. */
    static boolean atMostTwoParts(String name) {
        int dots = 0;
        boolean quoted = false;
        for (char ch : name.toCharArray()) {
            quoted ^= ch == '"';
            dots += !quoted && ch == '.' ? 1 : 0;
        }
        return dots <= 1;
    }

    private static Map<String, TableFacts> parse(String json) throws SQLException {
        Map<String, TableFacts> out = new HashMap<>();
        try {
            for (JsonNode t : JSON.readTree(json)) {
                List<TableFacts.UniqueIndex> uniques = new ArrayList<>();
                for (JsonNode u : t.get("uniques")) {
                    List<String> columns = new ArrayList<>();
                    u.get("columns").forEach(col -> columns.add(col.asText()));
                    uniques.add(new TableFacts.UniqueIndex(u.get("name").asText(), columns));
                }
                Set<String> checked = new HashSet<>();
                t.get("checks").forEach(col -> checked.add(col.asText()));
                Map<String, String> columns = new HashMap<>();
                t.get("columns").fields().forEachRemaining(e -> columns.put(e.getKey(), e.getValue().asText()));
                out.put(t.get("name").asText(), new TableFacts(t.get("rows").asDouble(), t.get("bytes").asLong(),
                        uniques, checked, columns));
            }
        } catch (IOException e) {
            throw new SQLException("catalog facts: unreadable JSON from the server", e);
        }
        return out;
    }
}
