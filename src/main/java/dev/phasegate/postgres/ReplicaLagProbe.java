package dev.phasegate.postgres;

import dev.phasegate.engine.HealthSnapshot.ReplicaLag;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Replay lag read on a replica itself (one statement), for replicas the primary's pg_stat_replication does not show
 * (cascading standbys, replicas of another primary) or shows without lag.
 *
 * <p>Lag is {@code now() - pg_last_xact_replay_timestamp()}, and 0 when everything received has been replayed
 * (receive LSN at or before replay LSN), so an idle primary does not look like lag (as postgres_exporter's
 * {@code pg_replication_lag_seconds}). The replica's clock is compared with the primary's commit timestamps: keep
 * the clocks in sync (NTP). No special privilege is needed.
 */
public final class ReplicaLagProbe {

    public static final String SQL = """
            SELECT pg_is_in_recovery() AS in_recovery,
                   CASE WHEN NOT pg_is_in_recovery() THEN 0
                        WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
                        ELSE greatest(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8, 0)
                   END AS lag,
                   CASE WHEN pg_is_in_recovery()
                        THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 END AS bytes,
                   CASE WHEN NOT pg_is_in_recovery() THEN 'not in recovery'
                        WHEN pg_is_wal_replay_paused() THEN 'replay paused'
                        WHEN pg_last_wal_receive_lsn() IS NULL THEN 'not streaming'
                        ELSE 'replaying' END AS state
            """;

    /** Measures the lag of the replica behind {@code c}; {@code name} is what messages call it. */
    public ReplicaLag probe(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("replica lag probe returned no row");
            }
            boolean inRecovery = rs.getBoolean("in_recovery");
            double lag = rs.getDouble("lag");
            boolean lagKnown = !rs.wasNull();
            double bytes = rs.getDouble("bytes");
            Long bytesBehind = rs.wasNull() ? null : (long) bytes;
            return ReplicaLag.direct(name, lagKnown ? HealthProbe.seconds(lag) : null, bytesBehind,
                    rs.getString("state"), inRecovery);
        }
    }
}
