package dev.phasegate.lint;

import dev.phasegate.postgres.sql.AlterActions.Action;
import dev.phasegate.postgres.sql.AlterActions.Verb;
import dev.phasegate.postgres.sql.DropTargets;
import dev.phasegate.postgres.sql.StatementDetails;
import dev.phasegate.postgres.sql.StatementKind;
import java.util.List;
import java.util.Set;

/**
 * What no static linter can know: the expand phase runs while the old code is still serving, so it must be
 * backwards compatible; destructive changes belong in Cleanup; additions in Cleanup come too late for the new code.
 */
final class PhaseRules {

    /** Objects whose DROP breaks code still using them. */
    private static final Set<String> DROPPED_OBJECTS = Set.of("TABLE", "VIEW", "MATERIALIZED", "SEQUENCE", "TYPE",
            "FUNCTION", "PROCEDURE", "SCHEMA", "DOMAIN");

    private PhaseRules() {
    }

    static void check(LintContext c) {
        if (c.expand()) {
            expand(c);
        } else if (c.cleanup()) {
            cleanup(c);
        }
    }

    private static void expand(LintContext c) {
        List<String> words = StatementDetails.keywords(c.statement(), 2);
        if (words.size() == 2 && words.get(0).equals("DROP") && DROPPED_OBJECTS.contains(words.get(1))) {
            List<String> old = c.statement().lockTargets().isEmpty() ? List.of("?")
                    : c.statement().lockTargets().stream().filter(t -> !c.isNew(t)).toList();
            if (!old.isEmpty()) {
                c.report(Rule.EXPAND_DROPS, Severity.ERROR, "DROP " + words.get(1) + " in CompatibleSchema removes"
                        + " what the old code, still running during this phase, may use. Move it to spec.cleanup.sql,"
                        + " which runs after the new code is deployed.");
            }
        }
        if (c.table().isEmpty() || c.isNew(c.table().get())) {
            return;
        }
        String table = c.table().get();
        for (Action a : c.actions()) {
            String column = table + "." + a.column().orElse("?");
            if (a.verb() == Verb.DROP_COLUMN) {
                c.report(Rule.EXPAND_DROPS, Severity.ERROR, "dropping " + column + " in CompatibleSchema breaks the"
                        + " old code, which still reads and writes it during this phase. Move the DROP COLUMN to"
                        + " spec.cleanup.sql.");
            } else if (a.verb() == Verb.ALTER_TYPE && ColumnRules.rewritesType(c, table, a)) {
                c.report(Rule.EXPAND_TYPE_CHANGE, Severity.ERROR, "changing the type of " + column + " in"
                        + " CompatibleSchema can break the old code's reads and writes (casts, lengths, ranges). Add a"
                        + " new column of the new type instead, fill it with spec.backfill, and drop the old one in"
                        + " Cleanup.");
            } else if (a.verb() == Verb.SET_NOT_NULL) {
                c.report(Rule.EXPAND_NOT_NULL, Severity.ERROR, "SET NOT NULL on " + column + " in CompatibleSchema"
                        + " makes the old code's inserts that leave it empty fail. Backfill it, then set NOT NULL in"
                        + " Cleanup, once only the new code writes.");
            } else if (a.verb() == Verb.ADD_COLUMN && a.notNull() && !a.hasDefault() && !a.identity()
                    && !a.generatedStored()) {
                c.report(Rule.EXPAND_NOT_NULL, Severity.ERROR, "adding " + column + " as NOT NULL without a default"
                        + " makes every INSERT of the old code fail (and fails at once if the table has rows). Add it"
                        + " nullable or with a DEFAULT, backfill it, and set NOT NULL in Cleanup.");
            }
        }
    }

    private static void cleanup(LintContext c) {
        StatementKind kind = c.statement().kind();
        boolean createsTable = StatementDetails.createdTable(c.statement()).isPresent();
        boolean addsColumn = c.actions().stream().anyMatch(a -> a.verb() == Verb.ADD_COLUMN);
        boolean createsIndex = kind == StatementKind.CREATE_INDEX || kind == StatementKind.CREATE_INDEX_CONCURRENTLY;
        if (createsTable || addsColumn || createsIndex) {
            c.report(Rule.CLEANUP_ADDITIVE, Severity.WARNING, "Cleanup runs after the new code is deployed, so an"
                    + " addition here comes too late for that code to use. Move it to spec.compatibleSchema.sql"
                    + " unless it only serves a later release.");
        }
        for (DropTargets.Target t : DropTargets.of(c.statement()).targets()) {
            boolean fromExpand = !c.expandCreates().opaque() && switch (t.kind()) {
                case TABLE -> c.createdByExpand(t.name());
                case COLUMN -> c.expandCreates().mayCreateColumn(n -> c.sameTable(n, t.table()), t.name());
                default -> false;
            };
            if (fromExpand) {
                c.report(Rule.CLEANUP_DROPS_EXPAND_OBJECT, Severity.WARNING, "Cleanup drops " + t.describe()
                        + ", which this migration's CompatibleSchema creates: the migration adds and removes the same"
                        + " thing, and the new code that was meant to use it loses it. Check whether Cleanup should"
                        + " drop the old object instead.");
            }
        }
    }
}
