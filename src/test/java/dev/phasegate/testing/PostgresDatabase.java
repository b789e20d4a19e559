package dev.phasegate.testing;

import java.sql.Connection;
import java.sql.SQLException;

/** One database on a {@link PostgresCluster}, with the credentials a test uses to reach it. */
public record PostgresDatabase(PostgresCluster cluster, String dbName, String jdbcUrl, String user, String password) {

    public static PostgresDatabase of(PostgresCluster cluster, String dbName) {
        return new PostgresDatabase(cluster, dbName, cluster.jdbcUrl(dbName), cluster.superuser(),
                cluster.superuserPassword());
    }

    public Connection connect() throws SQLException {
        return cluster.connect(dbName, user, password);
    }

    /** The same database reached as another role, e.g. one made with {@link PostgresCluster#createRole}. */
    public PostgresDatabase as(String otherUser, String otherPassword) {
        return new PostgresDatabase(cluster, dbName, jdbcUrl, otherUser, otherPassword);
    }

    @Override
    public String toString() {
        // Records print every component; the password must not end up in test reports.
        return "PostgresDatabase[" + dbName + " at " + jdbcUrl + " as " + user + "]";
    }
}
