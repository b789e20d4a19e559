package dev.phasegate.lint;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.Durations;
import dev.phasegate.api.PhaseName;
import dev.phasegate.postgres.sql.CreatedObjects;
import dev.phasegate.postgres.sql.Names;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The plan line of spec.backfill: the rows to touch (pg_class's estimate of the table), the batches at the starting
 * batchSize, and the time: the table's size at the throughput assumed for row writes, plus the fixed pause after
 * each batch when spec.backfill.pauseBetweenBatches sets one. Adaptive pacing (the default) waits as long as the
 * application's latency needs, which nothing before the run can know, so the estimate is then the unpaced time.
 */
final class BackfillPlanner {

    /** Each batch is one short UPDATE transaction: row locks on its rows, ROW EXCLUSIVE on the table. */
    static final String LOCK = "ROW EXCLUSIVE";
    static final String WORK = "writes rows in batches";

    private BackfillPlanner() {
    }

    /** The name to look the backfill's table up by, in the form statements write names. */
    static String table(BackfillSpec b) {
        // spec.backfill.table holds raw parts (phasegate quotes each itself), e.g. Shop.Orders is "Shop"."Orders".
        int dot = b.table.indexOf('.');
        return dot < 0 ? Names.ofRaw(b.table)
                : Names.ofRaw(b.table.substring(0, dot)) + "." + Names.ofRaw(b.table.substring(dot + 1));
    }

    static PlanEntry entry(BackfillSpec b, String expandSql, CatalogFacts catalog, LintThresholds thresholds) {
        String table = table(b);
        CreatedObjects expand = CreatedObjects.of(expandSql);
        // The backfill runs after the expand: a table it creates exists by then, and shadows others of that name.
        Set<String> created = expand.opaque() ? Set.of() : Resolver.created(catalog, expand);
        String resolved = new Resolver(catalog, created).resolve(table);
        String size = TableSize.of(table, resolved, false, false, catalog, thresholds).description();
        Optional<TableFacts> facts = catalog.known() ? catalog.table(resolved) : Optional.empty();
        int batch = b.batchSize == null ? new BackfillSpec().batchSize : b.batchSize;
        String estimate = facts.map(f -> estimate(b, f, batch))
                .orElse("unknown (no size in the catalog); batches of " + batch);
        return new PlanEntry(PhaseName.Backfill, 1, "BACKFILL " + table, LOCK, table, WORK, size, estimate,
                List.of());
    }

    private static String estimate(BackfillSpec b, TableFacts f, int batch) {
        double unpaced = Planner.seconds(f.bytes(), Planner.Work.ROWS);
        String how = TableSize.bytes(f.bytes()) + " at an assumed " + Planner.Work.ROWS.megabytesPerSecond + " MB/s";
        long batches = f.rows() < 0 ? -1 : Math.max(1, ((long) f.rows() + batch - 1) / batch);
        String rows = batches < 0 ? "rows unknown (never analysed), batches of " + batch
                : String.format(Locale.ROOT, "up to ~%,d rows in ~%,d batches of %d", (long) f.rows(), batches, batch);
        if (b.pauseBetweenBatches == null || !Durations.isValid(b.pauseBetweenBatches)) {
            return rows + ": " + Planner.duration(unpaced) + " unpaced (" + how
                    + "); adaptive pacing slows it when the app's latency rises";
        }
        Duration pause = Durations.parse(b.pauseBetweenBatches);
        if (batches < 0) {
            return rows + ": " + Planner.duration(unpaced) + " unpaced (" + how + "), plus "
                    + b.pauseBetweenBatches + " after each batch";
        }
        double total = unpaced + batches * (pause.toNanos() / 1e9);
        return rows + ": " + Planner.duration(total) + " (" + how + ", plus " + b.pauseBetweenBatches
                + " after each of the " + String.format(Locale.ROOT, "%,d", batches) + " batches)";
    }
}
