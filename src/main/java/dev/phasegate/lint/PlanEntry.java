package dev.phasegate.lint;

import dev.phasegate.api.PhaseName;
import java.util.List;

/**
 * What one statement will do to the database, for a reviewer: the lock it takes and on what, the work it does under
 * that lock, the table's size, a rough duration and how it was estimated, and the lint findings. The backfill has one
 * entry (phase Backfill, statement 1) for all its batches.
 *
 * @param lock     the strongest table lock it takes, e.g. {@code ACCESS EXCLUSIVE}; {@code -} for none
 * @param work     e.g. {@code rewrites the table}, {@code catalog only}
 * @param size     the table's rows and size as the catalog estimates them, or why unknown
 * @param estimate e.g. {@code ~40 s (2.0 GB at an assumed 50 MB/s)}
 */
public record PlanEntry(PhaseName phase, int statement, String summary, String lock, String table, String work,
        String size, String estimate, List<String> findings) {

    public PlanEntry {
        findings = List.copyOf(findings);
    }
}
