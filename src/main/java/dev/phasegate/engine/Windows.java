package dev.phasegate.engine;

import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.WindowSpec;
import java.util.ArrayList;
import java.util.List;

/** Builds the maintenance windows of a spec. */
final class Windows {
    private Windows() {
    }

    static MaintenanceWindows of(SchemaMigrationSpec spec) {
        if (spec.windows == null || spec.windows.isEmpty()) {
            return MaintenanceWindows.ALWAYS_OPEN;
        }
        List<MaintenanceWindow> list = new ArrayList<>();
        for (WindowSpec w : spec.windows) {
            list.add(of(w));
        }
        return new MaintenanceWindows(list);
    }

    static MaintenanceWindow of(WindowSpec w) {
        if (w == null) {
            throw new IllegalArgumentException("empty window");
        }
        return MaintenanceWindow.of(w.days == null ? List.of() : w.days, w.start, w.end,
                w.timeZone == null ? "UTC" : w.timeZone);
    }
}
