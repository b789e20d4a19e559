package dev.phasegate.postgres;

import java.time.Duration;

/** The bounds every session of ours carries (rule 1): who we are and how long anything may take. */
public record SessionSettings(String applicationName, Duration lockTimeout, Duration statementTimeout,
        Duration idleInTransactionTimeout) {

    public SessionSettings {
        if (lockTimeout.isZero() || lockTimeout.isNegative()) {
            throw new IllegalArgumentException("lock_timeout must be positive: a zero lock_timeout waits forever");
        }
    }

    public static SessionSettings forMigration(String namespace, String name, Duration lockTimeout,
            Duration statementTimeout) {
        return new SessionSettings(applicationName(namespace, name), lockTimeout, statementTimeout,
                Duration.ofSeconds(30));
    }

    /** application_name is limited to 63 bytes by PostgreSQL; longer names are cut, never rejected. */
    public static String applicationName(String namespace, String name) {
        String full = "phasegate/" + namespace + "/" + name;
        return full.length() > 63 ? full.substring(0, 63) : full;
    }
}
