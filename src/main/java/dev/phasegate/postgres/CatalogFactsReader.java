package dev.phasegate.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phasegate.lint.CatalogLookups;
import dev.phasegate.lint.CatalogSnapshot;
import dev.phasegate.lint.TableFacts;
import dev.phasegate.lint.Volatility;
import dev.phasegate.postgres.sql.Names;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads what the lint needs of the live database in one read-only statement, one round trip: the server version,
 * the session's search_path ({@code current_schemas(false)}), and for each table the migration names, in every
 * schema of the search_path where the name is unqualified, its row and size estimates from pg_class (never a scan,
 * never pg_relation_size, which would lock the table), its valid unique indexes, its validated {@code CHECK (col IS
 * NOT NULL)} constraints and its column types; and the volatility (pg_proc.provolatile) of the functions the new
 * columns' defaults call. Tables are found by name in pg_class and pg_namespace, which takes no lock on the table;
 * the statement locks only catalog tables (AccessShareLock). NOT NULL checks are recognised in the stored expression
 * tree (pg_constraint.conbin), not with pg_get_constraintdef, which opens the table and so would queue behind an
 * ACCESS EXCLUSIVE lock on it. Schema, table and column names come back as stored and are turned into the form
 * statements write them in here ({@code Names.ofRaw}), so that {@code "Orders"} and {@code orders} stay apart.
 */
public final class CatalogFactsReader {

    /** Short bounds of its own, so that a reviewer's dry run never waits long on a busy catalog. */
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(1);
    static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Parameters: the table names (text[]) and the function names (text[]), as statements write them. Names of
     * three or more parts are left out (unknown). An unqualified function is looked up like PostgreSQL does:
     * in the first schema of current_schemas(true) (pg_catalog first unless the search_path places it) that has a
     * function of that name; of its overloads, the most volatile counts, since the lint cannot tell which one the
     * call picks.
     */
    public static final String SQL = """
            WITH path AS (
                SELECT s, ord FROM unnest(current_schemas(false)) WITH ORDINALITY AS p(s, ord)
            ), wanted AS (
                SELECT DISTINCT CASE WHEN cardinality(w.p) = 2 THEN w.p[1] ELSE path.s END AS nsp,
                       w.p[cardinality(w.p)] AS rel
                FROM (SELECT parse_ident(t) AS p FROM unnest(?::text[]) AS t) w
                LEFT JOIN path ON cardinality(w.p) = 1
                WHERE cardinality(w.p) IN (1, 2)
            ), fpath AS (
                SELECT s, ord FROM unnest(current_schemas(true)) WITH ORDINALITY AS p(s, ord)
                WHERE s NOT LIKE 'pg\\_temp%'
            ), procs AS (
                SELECT DISTINCT ON (w.f) w.f, max(pr.provolatile::text) AS v
                FROM (SELECT f, parse_ident(f) AS p FROM unnest(?::text[]) AS f) w
                LEFT JOIN fpath ON cardinality(w.p) = 1
                JOIN pg_namespace fn ON fn.nspname = CASE WHEN cardinality(w.p) = 2 THEN w.p[1] ELSE fpath.s END
                JOIN pg_proc pr ON pr.pronamespace = fn.oid AND pr.proname = w.p[cardinality(w.p)]
                                AND pr.prokind = 'f'
                WHERE cardinality(w.p) IN (1, 2)
                GROUP BY w.f, fpath.ord
                ORDER BY w.f, fpath.ord
            )
            SELECT current_setting('server_version_num')::int AS version,
                   (SELECT coalesce(json_agg(s ORDER BY ord), '[]'::json) FROM path)::text AS search_path,
                   (SELECT coalesce(json_object_agg(f, v), '{}'::json) FROM procs)::text AS functions,
                   (SELECT coalesce(json_agg(json_build_object(
                        'schema', wanted.nsp,
                        'name', c.relname,
                        'rows', c.reltuples,
                        'bytes', c.relpages::bigint * current_setting('block_size')::bigint,
                        'uniques', (SELECT coalesce(json_agg(json_build_object(
                                        'name', i.indexrelid::regclass::text,
                                        'columns', (SELECT coalesce(json_agg(a.attname ORDER BY k.ord),
                                                                    '[]'::json)
                                                    FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                                                    JOIN pg_attribute a
                                                      ON a.attrelid = i.indrelid AND a.attnum = k.attnum))),
                                        '[]'::json)
                                    FROM pg_index i
                                    WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid
                                      AND i.indpred IS NULL AND i.indexprs IS NULL),
                        'checks', (SELECT coalesce(json_agg(a.attname), '[]'::json)
                                   FROM pg_constraint k
                                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
                                   WHERE k.conrelid = c.oid AND k.contype = 'c' AND k.convalidated
                                     AND cardinality(k.conkey) = 1
                                     AND k.conbin::text ~ '^\\{NULLTEST :arg \\{VAR [^{}]*\\} :nulltesttype 1 '),
                        'columns', (SELECT coalesce(json_object_agg(a.attname,
                                                                    format_type(a.atttypid, a.atttypmod)), '{}'::json)
                                    FROM pg_attribute a
                                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))), '[]'::json)
                    FROM wanted
                    JOIN pg_namespace n ON n.nspname = wanted.nsp
                    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = wanted.rel
                    WHERE c.relkind IN ('r', 'p', 'm'))::text AS tables
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    private CatalogFactsReader() {
    }

    /** Opens a session of its own with short bounds, reads, and closes it. */
    public static CatalogSnapshot read(ConnectionSettings db, String applicationName, CatalogLookups lookups)
            throws SQLException {
        SessionSettings bounds = new SessionSettings(applicationName, LOCK_TIMEOUT, STATEMENT_TIMEOUT,
                Duration.ofSeconds(30));
        try (Connection c = Sessions.open(db, bounds)) {
            return read(c, lookups);
        }
    }

    /** Reads on a session the caller has bounded (lock_timeout, statement_timeout). */
    public static CatalogSnapshot read(Connection c, CatalogLookups lookups) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL)) {
            ps.setArray(1, c.createArrayOf("text", lookups.tables().toArray()));
            ps.setArray(2, c.createArrayOf("text", lookups.functions().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new CatalogSnapshot(rs.getInt("version"), searchPath(rs.getString("search_path")),
                        parse(rs.getString("tables")), functions(rs.getString("functions")), true);
            }
        }
    }

    /** Schema names as stored, in the form statements write them ({@code "Shop"} for Shop). */
    private static List<String> searchPath(String json) throws SQLException {
        List<String> out = new ArrayList<>();
        readJson(json).forEach(s -> out.add(Names.ofRaw(s.asText())));
        return out;
    }

    private static Map<String, Volatility> functions(String json) throws SQLException {
        Map<String, Volatility> out = new HashMap<>();
        readJson(json).fields().forEachRemaining(e -> out.put(e.getKey(), Volatility.ofCode(e.getValue().asText())));
        return out;
    }

    private static JsonNode readJson(String json) throws SQLException {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new SQLException("catalog facts: unreadable JSON from the server", e);
        }
    }

    private static Map<String, TableFacts> parse(String json) throws SQLException {
        Map<String, TableFacts> out = new HashMap<>();
        for (JsonNode t : readJson(json)) {
            List<TableFacts.UniqueIndex> uniques = new ArrayList<>();
            for (JsonNode u : t.get("uniques")) {
                List<String> columns = new ArrayList<>();
                u.get("columns").forEach(col -> columns.add(Names.ofRaw(col.asText())));
                uniques.add(new TableFacts.UniqueIndex(u.get("name").asText(), columns));
            }
            Set<String> checked = new HashSet<>();
            t.get("checks").forEach(col -> checked.add(Names.ofRaw(col.asText())));
            Map<String, String> columns = new HashMap<>();
            t.get("columns").fields().forEachRemaining(e -> columns.put(Names.ofRaw(e.getKey()),
                    e.getValue().asText()));
            String name = Names.ofRaw(t.get("schema").asText()) + "." + Names.ofRaw(t.get("name").asText());
            out.put(name, new TableFacts(t.get("rows").asDouble(), t.get("bytes").asLong(), uniques, checked,
                    columns));
        }
        return out;
    }
}
