package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** The last database health snapshot: measured values, never credentials. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HealthStatus {
    public String checkedAt;
    public String gate;
    public String oldestTransactionAge;
    public String idleInTransactionAge;
    public String replicationLag;
    public String laggingReplica;
    public Double connectionUsage;
    public Integer blockedQueries;
    public Blocker blocker;
    /**
     * Set while the migration only waits (a window, a minimum wait, an approval): it is not probed then, so the
     * values above are as of checkedAt. Probing resumes shortly before the migration may act.
     */
    public String notProbedSince;

    /** A copy that says the values are no longer being refreshed, since the given time (kept if already set). */
    public HealthStatus notProbed(String since) {
        HealthStatus c = new HealthStatus();
        c.checkedAt = checkedAt;
        c.gate = gate;
        c.oldestTransactionAge = oldestTransactionAge;
        c.idleInTransactionAge = idleInTransactionAge;
        c.replicationLag = replicationLag;
        c.laggingReplica = laggingReplica;
        c.connectionUsage = connectionUsage;
        c.blockedQueries = blockedQueries;
        c.blocker = blocker;
        c.notProbedSince = notProbedSince != null ? notProbedSince : since;
        return c;
    }

    /** The worst session in the way: who it is and what it runs, as a command and a table, never its literals. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Blocker {
        public Integer pid;
        public String user;
        public String applicationName;
        public String state;
        public String age;
        /** The command and first table of its statement, e.g. {@code UPDATE orders}. */
        public String statement;
        /** Its statement's text (200 characters); only when the operator sets phasegate.health.show-query-text. */
        public String query;
    }
}
