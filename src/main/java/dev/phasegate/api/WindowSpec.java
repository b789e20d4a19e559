package dev.phasegate.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** A weekly maintenance window; phases start only inside one. */
public class WindowSpec {
    @Size(max = 7)
    @ValidationRule(value = "self.all(d, d.lowerAscii() in ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'monday',"
            + " 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'])",
            message = "use Mon, Tue, Wed, Thu, Fri, Sat, Sun or full names such as Monday")
    @JsonPropertyDescription("Days the window starts on (Mon..Sun); empty means every day.")
    // Each at most 9 characters (wednesday) and at most 7 of them, so the API server can bound the rule's cost.
    public List<@Size(max = 9) String> days = new ArrayList<>();

    @Required
    @Pattern("^([01][0-9]|2[0-3]):[0-5][0-9]$")
    @JsonPropertyDescription("Local start time HH:mm.")
    public String start;

    @Required
    @Pattern("^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")
    @JsonPropertyDescription("Local end time HH:mm; an end at or before start crosses midnight.")
    public String end;

    @JsonPropertyDescription("IANA time zone, e.g. Europe/Berlin. Default UTC.")
    public String timeZone = "UTC";

    public WindowSpec() {
    }

    public WindowSpec(List<String> days, String start, String end, String timeZone) {
        this.days = days;
        this.start = start;
        this.end = end;
        this.timeZone = timeZone;
    }
}
