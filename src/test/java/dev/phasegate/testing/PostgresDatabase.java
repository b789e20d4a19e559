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
    /** Runs one statement as the test's own user (fixtures, assertions): no phasegate session settings. */
    public void execute(String sql) throws SQLException {
        try (Connection c = connect(); java.sql.Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The first column of the first row of a query, e.g. a count. */
    public long count(String query) throws SQLException {
        try (Connection c = connect(); java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The column names of a table, in no particular order. */
    public java.util.List<String> columns(String table) throws SQLException {
        try (Connection c = connect(); java.sql.PreparedStatement s = c.prepareStatement(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?")) {
            s.setString(1, table);
            try (java.sql.ResultSet rs = s.executeQuery()) {
                java.util.List<String> cols = new java.util.ArrayList<>();
                while (rs.next()) {
                    cols.add(rs.getString(1));
                }
                return cols;
            }
        }
    }

    public PostgresDatabase as(String otherUser, String otherPassword) {
        return new PostgresDatabase(cluster, dbName, jdbcUrl, otherUser, otherPassword);
    }

    @Override
    public String toString() {
        // Records print every component; the password must not end up in test reports.
        return "PostgresDatabase[" + dbName + " at " + jdbcUrl + " as " + user + "]";
    }
}
