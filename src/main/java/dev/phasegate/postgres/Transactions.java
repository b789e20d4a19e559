package dev.phasegate.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/** Runs work in one transaction on an autocommit session, restoring autocommit afterwards, rolled back on error. */
final class Transactions {
    private Transactions() {
    }

    /** The work done inside the transaction. */
    interface Work {
        void run(Connection c) throws SQLException;
    }

    static void run(Connection c, Work work) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            work.run(c);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
