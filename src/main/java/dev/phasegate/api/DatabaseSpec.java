package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** Where the migration runs: the primary, and optionally replicas whose lag gates the work. */
public class DatabaseSpec {
    @Required
    @JsonPropertyDescription("Secret with the primary's jdbcUrl, username and password.")
    public SecretRef secretRef;

    @Size(max = CelRules.MAX_ITEMS)
    @JsonPropertyDescription("Replicas to read replay lag from directly (in addition to pg_stat_replication).")
    public List<ReplicaSpec> replicas = new ArrayList<>();
}
