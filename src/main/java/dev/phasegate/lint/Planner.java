package dev.phasegate.lint;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.postgres.sql.AlterActions.Action;
import dev.phasegate.postgres.sql.AlterActions.Constraint;
import dev.phasegate.postgres.sql.StatementDetails;
import dev.phasegate.postgres.sql.StatementKind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The plan of a migration: for each statement the lock it takes, the work it does under it, and how long that
 * takes on this database. Durations are rough: the table's size from pg_class divided by an assumed throughput per
 * kind of work, stated next to each estimate. Pure, like the rules.
 */
public final class Planner {

    /** Kinds of work under the lock, strongest last, with the throughput assumed for the estimate (MB/s). */
    enum Work {
        NONE("-", 0), CATALOG("catalog only", 0), ROWS("writes rows", 20), SCAN("reads every row", 200),
        INDEX_BUILD("builds an index", 40), REWRITE("rewrites the table", 50);

        final String text;
        final int megabytesPerSecond;

        Work(String text, int megabytesPerSecond) {
            this.text = text;
            this.megabytesPerSecond = megabytesPerSecond;
        }
    }

    /** PostgreSQL's table lock modes, weakest first. */
    private static final List<String> LOCKS = List.of("-", "ACCESS SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE",
            "SHARE", "SHARE ROW EXCLUSIVE", "ACCESS EXCLUSIVE");

    private Planner() {
    }

    public static List<PlanEntry> plan(String expandSql, String cleanupSql, CatalogFacts catalog,
            LintThresholds thresholds) {
        return plan(expandSql, cleanupSql, null, catalog, thresholds);
    }

    /** The plan of every statement and, between the expand's and Cleanup's, of the backfill (null: none). */
    public static List<PlanEntry> plan(String expandSql, String cleanupSql, BackfillSpec backfill,
            CatalogFacts catalog, LintThresholds thresholds) {
        List<Finding> findings = Linter.lint(expandSql, cleanupSql, catalog, thresholds);
        List<PlanEntry> out = new ArrayList<>();
        Linter.forEachStatement(expandSql, cleanupSql, catalog, thresholds, new ArrayList<>(),
                c -> out.add(entry(c, findings)));
        if (backfill != null && backfill.table != null) {
            out.add(BackfillPlanner.entry(backfill, expandSql, catalog, thresholds));
        }
        out.sort(Comparator.comparing(PlanEntry::phase)); // stable: statements keep their order
        return out;
    }

    private static PlanEntry entry(LintContext c, List<Finding> findings) {
        String[] lockAndWork = new String[] {"-", Work.NONE.name()};
        Optional<String> table = c.table().or(() -> StatementDetails.dmlTarget(c.statement()))
                .or(() -> c.statement().lockTargets().stream().findFirst());
        classify(c, lockAndWork);
        Work work = Work.valueOf(lockAndWork[1]);
        String size = table.map(t -> c.size(t).description()).orElse("");
        List<String> mine = findings.stream()
                .filter(f -> f.phase() == c.phase() && f.statement() == c.statement().index())
                .map(f -> f.rule() + " " + f.severity()).toList();
        return new PlanEntry(c.phase(), c.statement().index(), c.summary(), lockAndWork[0],
                table.orElse("-"), work.text, size, estimate(c, table, work), mine);
    }

    private static void classify(LintContext c, String[] out) {
        StatementKind kind = c.statement().kind();
        List<String> words = StatementDetails.keywords(c.statement(), 2);
        String first = words.isEmpty() ? "" : words.get(0);
        switch (kind) {
            case CREATE_INDEX -> set(out, "SHARE", Work.INDEX_BUILD);
            case CREATE_INDEX_CONCURRENTLY, REINDEX_CONCURRENTLY -> set(out, "SHARE UPDATE EXCLUSIVE",
                    Work.INDEX_BUILD);
            case DROP_INDEX -> set(out, "ACCESS EXCLUSIVE", Work.CATALOG);
            case DROP_INDEX_CONCURRENTLY, DETACH_PARTITION_CONCURRENTLY -> set(out, "SHARE UPDATE EXCLUSIVE",
                    Work.CATALOG);
            case REINDEX -> set(out, "SHARE", Work.INDEX_BUILD);
            case CLUSTER -> set(out, "ACCESS EXCLUSIVE", Work.REWRITE);
            case VACUUM -> set(out, StatementDetails.mentions(c.statement(), "FULL") ? "ACCESS EXCLUSIVE"
                    : "SHARE UPDATE EXCLUSIVE", StatementDetails.mentions(c.statement(), "FULL") ? Work.REWRITE
                            : Work.SCAN);
            case ALTER_TABLE -> c.actions().forEach(a -> action(c, a, out));
            case DML -> {
                if (first.equals("UPDATE") || first.equals("DELETE") || first.equals("MERGE")) {
                    set(out, "ROW EXCLUSIVE", Work.ROWS);
                } else if (first.equals("INSERT")) {
                    set(out, "ROW EXCLUSIVE", Work.CATALOG);
                }
            }
            case OTHER_DDL -> {
                if (first.equals("TRUNCATE") || first.equals("LOCK") || first.equals("DROP")) {
                    set(out, "ACCESS EXCLUSIVE", Work.CATALOG);
                } else if (first.equals("ANALYZE")) {
                    set(out, "SHARE UPDATE EXCLUSIVE", Work.CATALOG);
                } else if (first.equals("CREATE")) {
                    set(out, c.statement().lockTargets().isEmpty() ? "-" : "SHARE ROW EXCLUSIVE", Work.CATALOG);
                }
            }
            default -> {
            }
        }
    }

    private static void action(LintContext c, Action a, String[] out) {
        String table = c.table().orElse("");
        switch (a.verb()) {
            case ALTER_TYPE -> set(out, "ACCESS EXCLUSIVE", ColumnRules.rewritesType(c, table, a) ? Work.REWRITE
                    : Work.CATALOG);
            case SET_NOT_NULL -> set(out, "ACCESS EXCLUSIVE", c.facts(table)
                    .map(f -> f.notNullChecked().contains(a.column().orElse(""))).orElse(false) ? Work.CATALOG
                            : Work.SCAN);
            case ADD_COLUMN -> set(out, "ACCESS EXCLUSIVE", addColumnWork(c, a));
            case ADD_CONSTRAINT -> {
                if (a.constraint() == Constraint.FOREIGN_KEY) {
                    set(out, "SHARE ROW EXCLUSIVE", a.notValid() ? Work.CATALOG : Work.SCAN);
                } else if (a.constraint() == Constraint.UNIQUE || a.constraint() == Constraint.PRIMARY_KEY
                        || a.constraint() == Constraint.EXCLUDE) {
                    set(out, "ACCESS EXCLUSIVE", a.usingIndex() ? Work.CATALOG : Work.INDEX_BUILD);
                } else {
                    set(out, "ACCESS EXCLUSIVE", a.notValid() ? Work.CATALOG : Work.SCAN);
                }
            }
            case VALIDATE_CONSTRAINT -> set(out, "SHARE UPDATE EXCLUSIVE", Work.SCAN);
            case TABLE_REWRITE -> set(out, "ACCESS EXCLUSIVE", Work.REWRITE);
            case ATTACH_PARTITION -> set(out, "SHARE UPDATE EXCLUSIVE", Work.SCAN);
            default -> set(out, "ACCESS EXCLUSIVE", Work.CATALOG);
        }
    }

    private static Work addColumnWork(LintContext c, Action a) {
        String type = a.type().orElse("").trim().toLowerCase(Locale.ROOT);
        boolean fills = type.endsWith("serial") || a.identity() || a.generatedStored()
                || ColumnRules.volatileCall(c, a).isPresent();
        if (fills) {
            return Work.REWRITE;
        }
        return a.constraint() == Constraint.UNIQUE || a.constraint() == Constraint.PRIMARY_KEY ? Work.INDEX_BUILD
                : a.constraint() == Constraint.FOREIGN_KEY ? Work.SCAN : Work.CATALOG;
    }

    /** Keeps the strongest lock and the heaviest work seen so far (an ALTER TABLE has several actions). */
    private static void set(String[] out, String lock, Work work) {
        if (LOCKS.indexOf(lock) > LOCKS.indexOf(out[0])) {
            out[0] = lock;
        }
        if (work.ordinal() > Work.valueOf(out[1]).ordinal()) {
            out[1] = work.name();
        }
    }

    private static String estimate(LintContext c, Optional<String> table, Work work) {
        if (work == Work.NONE) {
            return "-";
        }
        if (work == Work.CATALOG) {
            return "instant once the lock is granted";
        }
        if (table.isEmpty()) {
            return "unknown (no table named)";
        }
        if (c.isNew(table.get())) {
            return "instant (table created earlier in the script)";
        }
        Optional<TableFacts> facts = c.facts(table.get());
        if (facts.isEmpty()) {
            return "unknown (no size in the catalog)";
        }
        long bytes = facts.get().bytes();
        return duration(seconds(bytes, work)) + " (" + TableSize.bytes(bytes) + " at an assumed "
                + work.megabytesPerSecond + " MB/s)";
    }

    /** Seconds to do the work on this many bytes at its assumed throughput. */
    static double seconds(long bytes, Work work) {
        return bytes / (work.megabytesPerSecond * 1024.0 * 1024.0);
    }

    /** A rough duration in words: {@code under 1 s}, {@code ~40 s}, {@code ~12 min}, {@code ~2.5 h}. */
    static String duration(double seconds) {
        return seconds < 1 ? "under 1 s" : seconds < 120 ? "~" + Math.round(seconds) + " s"
                : seconds < 7200 ? "~" + Math.round(seconds / 60) + " min" : String.format(Locale.ROOT, "~%.1f h",
                        seconds / 3600);
    }
}
