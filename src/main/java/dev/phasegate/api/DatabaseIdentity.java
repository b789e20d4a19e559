package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * Which database a migration ran on, recorded at first contact: the cluster's system identifier (from pg_control)
 * and the database name. A Secret later pointing elsewhere must block the migration, not run its next phase there.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DatabaseIdentity {
    /** pg_control_system().system_identifier; "unknown" when the role may not read it. */
    public String systemIdentifier;
    public String name;
    public String recordedAt;

    public DatabaseIdentity() {
    }

    public DatabaseIdentity(String systemIdentifier, String name, String recordedAt) {
        this.systemIdentifier = systemIdentifier;
        this.name = name;
        this.recordedAt = recordedAt;
    }

    /** Same cluster and database; an unknown identifier on either side compares by name alone. */
    public boolean sameAs(DatabaseIdentity other) {
        boolean known = !"unknown".equals(systemIdentifier) && !"unknown".equals(other.systemIdentifier);
        return Objects.equals(name, other.name) && (!known || Objects.equals(systemIdentifier,
                other.systemIdentifier));
    }

    public String describe() {
        return "database " + name + " of cluster " + systemIdentifier;
    }
}
