package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** The SQL safety lint's overrides: there is no switch to turn it off, only rules allowed one by one with a reason. */
public class LintSpec {
    @Size(max = CelRules.MAX_ITEMS)
    @JsonPropertyDescription("Rules whose ERROR findings may run anyway, each with the reason; allowed findings stay"
            + " visible in status.lint and in Events.")
    public List<LintAllow> allow = new ArrayList<>();
}
