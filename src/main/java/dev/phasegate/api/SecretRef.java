package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Names a Secret in the migration's namespace holding the keys jdbcUrl, username and password. */
public class SecretRef {
    @Required
    @Size(max = CelRules.K8S_NAME_MAX)
    @ValidationRule(value = CelRules.K8S_NAME, message = CelRules.K8S_NAME_MESSAGE + " (the Secret's name)")
    @JsonPropertyDescription("Name of a Secret in the same namespace with keys jdbcUrl, username, password.")
    public String name;

    public SecretRef() {
    }

    public SecretRef(String name) {
        this.name = name;
    }
}
