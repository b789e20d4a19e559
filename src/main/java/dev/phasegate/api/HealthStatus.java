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
