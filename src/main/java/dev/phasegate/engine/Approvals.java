package dev.phasegate.engine;

import dev.phasegate.api.PhaseName;
import java.util.Map;
import java.util.Optional;

/**
 * What the migration's annotations say about approvals this round: its namespace and name (for the commands in messages), the
 * spec generation now, the author the admission policy recorded (null when the policy is not installed) and each
 * phase's approval annotation as written.
 */
public record Approvals(String namespace, String migration, long generation, Optional<String> author,
        Map<PhaseName, String> written) {

    public Approvals {
        written = Map.copyOf(written);
    }

    public static Approvals none() {
        return new Approvals("", "", 0, Optional.empty(), Map.of());
    }

    public Optional<String> writtenFor(PhaseName p) {
        return Optional.ofNullable(written.get(p));
    }
}
