package dev.phasegate.postgres;

import dev.phasegate.engine.HealthSnapshot;
import dev.phasegate.engine.HealthSnapshot.AutovacuumRun;
import dev.phasegate.engine.HealthSnapshot.Blocker;
import dev.phasegate.engine.HealthSnapshot.Oldest;
import dev.phasegate.engine.HealthSnapshot.ReplicaLag;
import dev.phasegate.postgres.sql.StatementSummary;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The database health snapshot in one statement, one round trip (section 2 of the research notes).
 *
 * <p>It reads only statistics views and {@code pg_locks} ({@code AccessShareLock} on catalog views, no lock on the
 * migration's tables: they are resolved with {@code to_regclass}, which takes none) and calls
 * {@code pg_blocking_pids()} for at most three waiters, and only when some session waits on the migration's tables.
 * Run it on an autocommit session so it never holds a snapshot that CREATE INDEX CONCURRENTLY would wait for.
 *
 * <p><b>Privileges:</b> the role needs {@code pg_monitor} (precisely: {@code pg_read_all_stats}, which pg_monitor
 * includes). Without it, pg_stat_activity hides other roles' sessions ({@code '<insufficient privilege>'}, no
 * transaction start, no state) and the WAL sender statistics hide the replication lag; the snapshot then says so
 * ({@link HealthSnapshot#readAllStats()} false) and {@code HealthPolicy} keeps the gate closed.
 *
 * <p>Needs PostgreSQL 14 or newer ({@code pg_locks.waitstart}, {@code starts_with}).
 */
public final class HealthProbe {

    /** The probe's only statement; parameters: the migration tables (text[]), our application_name prefix. */
    public static final String SQL = """
            WITH n AS (
                SELECT t, to_regclass(t)::oid AS r FROM unnest(?::text[]) AS t
            ), p AS (
                SELECT ?::text AS prefix,
                       ARRAY(SELECT r FROM n WHERE r IS NOT NULL) AS rels,
                       ARRAY(SELECT t FROM n WHERE r IS NULL) AS missing,
                       (SELECT oid FROM pg_database WHERE datname = current_database()) AS db,
                       now() AS ts
            ), a AS MATERIALIZED (
                SELECT s.pid, s.leader_pid, s.usename::text AS usename, s.application_name, s.state, s.backend_type,
                       s.xact_start, s.state_change, s.backend_xmin, left(s.query, 1000) AS query,
                       s.datname IS NOT DISTINCT FROM current_database() AS here,
                       starts_with(coalesce(s.application_name, ''), p.prefix) AS ours,
                       s.backend_type = 'autovacuum worker' AS autovacuum,
                       coalesce(s.query LIKE '%to prevent wraparound%', false) AS wraparound,
                       coalesce(s.query = '<insufficient privilege>', false) AS hidden,
                       greatest(extract(epoch FROM p.ts - s.xact_start)::float8, 0) AS xact_age,
                       greatest(extract(epoch FROM p.ts - s.state_change)::float8, 0) AS state_age
                FROM pg_stat_activity s CROSS JOIN p
                WHERE s.pid <> pg_backend_pid()
            ), c AS MATERIALIZED (
                SELECT * FROM a
                WHERE here AND NOT ours AND leader_pid IS NULL AND xact_start IS NOT NULL
                  AND backend_type IS DISTINCT FROM 'walsender' AND (NOT autovacuum OR wraparound)
            ), l AS MATERIALIZED (
                SELECT l.pid, l.granted, l.relation, l.waitstart
                FROM pg_locks l CROSS JOIN p
                WHERE l.locktype IN ('relation', 'tuple') AND l.database = p.db AND l.relation = ANY (p.rels)
            ), w AS MATERIALIZED (
                SELECT l.pid, min(l.waitstart) AS waitstart
                FROM l JOIN a ON a.pid = l.pid
                WHERE NOT l.granted AND NOT a.ours
                GROUP BY l.pid
            ), lb AS (
                SELECT DISTINCT b.pid
                FROM (SELECT pid FROM w ORDER BY waitstart NULLS LAST LIMIT 3) x
                     CROSS JOIN LATERAL unnest(pg_blocking_pids(x.pid)) AS b(pid)
            ), r AS (
                -- pg_stat_replication without its second pass over every backend: names come from a.
                SELECT coalesce(nullif(a.application_name, ''), 'pid ' || ws.pid) AS name,
                       extract(epoch FROM ws.replay_lag)::float8 AS lag,
                       CASE WHEN pg_is_in_recovery() THEN NULL
                            ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), ws.replay_lsn)::float8 END AS bytes,
                       ws.state
                FROM pg_stat_get_wal_senders() ws LEFT JOIN a ON a.pid = ws.pid
            ), av AS (
                SELECT DISTINCT ON (a.pid) a.pid, l.relation::regclass::text AS tbl, a.wraparound, a.xact_age, a.query
                FROM a JOIN l ON l.pid = a.pid AND l.granted
                WHERE a.autovacuum
                ORDER BY a.pid, l.relation
            )
            SELECT current_user::text AS role,
                   pg_has_role('pg_read_all_stats', 'USAGE') AS read_all_stats,
                   (SELECT count(*) FROM a WHERE hidden)::int AS hidden,
                   pg_is_in_recovery() AS in_recovery,
                   (SELECT ARRAY[pid::text, usename, application_name, state, xact_age::text, query]
                      FROM c ORDER BY xact_start, pid LIMIT 1) AS oldest_tx,
                   (SELECT ARRAY[pid::text, usename, application_name, state, xact_age::text, query]
                      FROM c WHERE backend_xmin IS NOT NULL ORDER BY xact_start, pid LIMIT 1) AS oldest_snapshot,
                   coalesce((SELECT max(age(backend_xmin)) FROM c), 0)::bigint AS snapshot_xid_age,
                   (SELECT ARRAY[pid::text, usename, application_name, state, xact_age::text, query]
                      FROM c WHERE pid IN (SELECT pid FROM l WHERE granted)
                      ORDER BY xact_start, pid LIMIT 1) AS table_tx,
                   (SELECT ARRAY[pid::text, usename, application_name, state, state_age::text, query]
                      FROM c WHERE state LIKE 'idle in transaction%' ORDER BY state_change, pid LIMIT 1) AS idle_tx,
                   (SELECT count(*) FROM w)::int AS waiters,
                   (SELECT max(greatest(extract(epoch FROM p.ts - w.waitstart)::float8, 0))
                      FROM w CROSS JOIN p) AS longest_wait,
                   (SELECT ARRAY[a.pid::text, a.usename, a.application_name, a.state, a.xact_age::text, a.query]
                      FROM a JOIN lb ON lb.pid = a.pid
                      ORDER BY (a.pid IN (SELECT pid FROM w)), a.xact_start NULLS LAST, a.pid LIMIT 1) AS lock_blocker,
                   ARRAY(SELECT ARRAY[name, lag::text, bytes::text, state] FROM r ORDER BY name) AS replication,
                   (SELECT count(*) FROM a WHERE backend_type = 'client backend')::int + 1 AS connections_used,
                   current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
                       - coalesce(current_setting('reserved_connections', true)::int, 0) AS connections_usable,
                   ARRAY(SELECT ARRAY[pid::text, tbl, wraparound::text, xact_age::text, query] FROM av
                          ORDER BY wraparound DESC, xact_age DESC) AS autovacuum,
                   (SELECT missing FROM p) AS missing_tables
            """;

    private static final String HIDDEN = "<insufficient privilege>";
    private static final String AUTOVACUUM_PREFIX = "autovacuum: ";

    /** Longest query text kept when the operator shows query texts. */
    static final int QUERY_TEXT_MAX = 200;

    private final Clock clock;
    private final boolean showQueryText;

    /**
     * @param showQueryText keep other sessions' query texts in the snapshot; they can carry those sessions' data
     *                      (literals in a WHERE clause), so by default a snapshot names only each statement's
     *                      command and table and the text is dropped here, before it reaches status or Events
     */
    public HealthProbe(Clock clock, boolean showQueryText) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.showQueryText = showQueryText;
    }

    public HealthProbe(Clock clock) {
        this(clock, false);
    }

    public HealthProbe() {
        this(Clock.systemUTC());
    }

    /**
     * Takes one snapshot. Executes exactly one statement on {@code c} and leaves the session as it found it.
     *
     * @param ourPrefix application_name prefix of our own sessions, e.g. {@code phasegate/}; they are not counted
     * @param tables    the migration's tables as text {@code to_regclass} resolves ({@code orders},
     *                  {@code shop."Orders"}); may be empty; tables that do not exist are reported, not an error
     */
    public HealthSnapshot probe(Connection c, String ourPrefix, List<String> tables) throws SQLException {
        if (ourPrefix == null || ourPrefix.isEmpty()) {
            throw new IllegalArgumentException("an empty application_name prefix would count every session as ours");
        }
        Instant checkedAt = clock.instant();
        try (PreparedStatement ps = c.prepareStatement(SQL)) {
            ps.setArray(1, c.createArrayOf("text", tables.toArray(new String[0])));
            ps.setString(2, ourPrefix);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("health probe returned no row");
                }
                return read(rs, checkedAt);
            }
        }
    }

    private HealthSnapshot read(ResultSet rs, Instant checkedAt) throws SQLException {
        HealthSnapshot.Builder b = HealthSnapshot.builder(checkedAt)
                .role(rs.getString("role"))
                .visibility(rs.getBoolean("read_all_stats"), rs.getInt("hidden"))
                .inRecovery(rs.getBoolean("in_recovery"))
                .oldestTransaction(oldest(rs, "oldest_tx"))
                .oldestSnapshot(oldest(rs, "oldest_snapshot"), rs.getLong("snapshot_xid_age"))
                .tableTransaction(oldest(rs, "table_tx"))
                .idleInTransaction(oldest(rs, "idle_tx"));
        double longest = rs.getDouble("longest_wait");
        b.lockWaiters(rs.getInt("waiters"), seconds(rs.wasNull() ? 0 : longest),
                blocker(strings(rs.getArray("lock_blocker"))));

        List<ReplicaLag> replicas = new ArrayList<>();
        for (String[] row : rows(rs.getArray("replication"))) {
            Duration lag = row[1] == null ? Duration.ZERO : seconds(Double.parseDouble(row[1]));
            Long bytes = row[2] == null ? null : (long) Double.parseDouble(row[2]);
            replicas.add(ReplicaLag.streaming(row[0], lag, bytes, row[3]));
        }
        b.replicas(replicas);
        b.connections(rs.getInt("connections_used"), rs.getInt("connections_usable"));

        List<AutovacuumRun> runs = new ArrayList<>();
        for (String[] row : rows(rs.getArray("autovacuum"))) {
            runs.add(new AutovacuumRun(row[1], Integer.parseInt(row[0]), "true".equals(row[2]),
                    row[3] == null ? Duration.ZERO : seconds(Double.parseDouble(row[3])), autovacuumStatement(row[4])));
        }
        b.autovacuum(runs);
        String[] missing = strings(rs.getArray("missing_tables"));
        b.unresolvedTables(missing == null ? List.of() : Arrays.asList(missing));
        return b.build();
    }

    private Oldest oldest(ResultSet rs, String column) throws SQLException {
        Blocker blocker = blocker(strings(rs.getArray(column)));
        return blocker == null ? Oldest.NONE : Oldest.of(blocker);
    }

    private Blocker blocker(String[] row) {
        if (row == null || row.length < 6 || row[0] == null) {
            return null;
        }
        String query = row[5];
        String text = showQueryText && query != null && !query.equals(HIDDEN)
                ? query.substring(0, Math.min(query.length(), QUERY_TEXT_MAX)) : null;
        return new Blocker(Integer.parseInt(row[0]), row[1], row[2], row[3],
                row[4] == null ? Duration.ZERO : seconds(Double.parseDouble(row[4])), StatementSummary.of(query),
                text);
    }

    /** {@code autovacuum: VACUUM ANALYZE public.orders (to prevent wraparound)} becomes {@code VACUUM public.orders}. */
    static String autovacuumStatement(String query) {
        if (query == null) {
            return null;
        }
        String q = query.startsWith(AUTOVACUUM_PREFIX) ? query.substring(AUTOVACUUM_PREFIX.length()) : query;
        return StatementSummary.of(q);
    }

    private static String[] strings(Array a) throws SQLException {
        if (a == null) {
            return null;
        }
        Object o = a.getArray();
        return o instanceof String[] s ? s : null;
    }

    /** A text[][] column; an empty array comes back one-dimensional. */
    private static String[][] rows(Array a) throws SQLException {
        if (a == null) {
            return new String[0][];
        }
        Object o = a.getArray();
        return o instanceof String[][] rows ? rows : new String[0][];
    }

    static Duration seconds(double s) {
        if (!(s > 0)) {
            return Duration.ZERO;
        }
        return Duration.ofNanos(Math.round(s * 1_000_000_000d));
    }
}
