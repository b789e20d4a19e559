package dev.phasegate.lint;

import dev.phasegate.postgres.sql.AlterActions.Action;
import dev.phasegate.postgres.sql.AlterActions.Constraint;
import dev.phasegate.postgres.sql.AlterActions.Verb;
import java.util.List;
import java.util.Optional;

/** Constraints added in a way that scans the table or builds an index under a lock that blocks the application. */
final class ConstraintRules {

    private ConstraintRules() {
    }

    static void check(LintContext c) {
        if (c.table().isEmpty()) {
            return;
        }
        String table = c.table().get();
        List<Action> actions = c.actions();
        for (Action a : actions) {
            if (a.verb() == Verb.ADD_CONSTRAINT) {
                added(c, table, a);
            } else if (a.verb() == Verb.ADD_COLUMN && a.constraint() == Constraint.FOREIGN_KEY) {
                c.reportCost(Rule.CONSTRAINT_NOT_VALID, table, "a column added with REFERENCES is checked against"
                        + " the referenced table at once, reading all of " + table + " under a SHARE ROW EXCLUSIVE"
                        + " lock on both tables", "Add the column without REFERENCES, then ALTER TABLE " + table
                        + " ADD CONSTRAINT ... FOREIGN KEY (" + a.column().orElse("col") + ") REFERENCES ... NOT"
                        + " VALID, then VALIDATE CONSTRAINT in a separate statement.");
            } else if (a.verb() == Verb.ADD_COLUMN && (a.constraint() == Constraint.UNIQUE
                    || a.constraint() == Constraint.PRIMARY_KEY)) {
                c.reportCost(Rule.UNIQUE_WITHOUT_INDEX, table, "a column added with UNIQUE or PRIMARY KEY builds its"
                        + " index while holding an ACCESS EXCLUSIVE lock on " + table, "Add the column, CREATE UNIQUE"
                        + " INDEX CONCURRENTLY on it, then ADD CONSTRAINT ... UNIQUE USING INDEX.");
            }
        }
        boolean addsNotValid = actions.stream().anyMatch(a -> a.verb() == Verb.ADD_CONSTRAINT && a.notValid());
        if (addsNotValid && actions.stream().anyMatch(a -> a.verb() == Verb.VALIDATE_CONSTRAINT)) {
            c.report(Rule.VALIDATE_SAME_TRANSACTION, Severity.ERROR, "the constraint is added NOT VALID and validated"
                    + " in the same ALTER TABLE, so the validating scan runs under the ACCESS EXCLUSIVE lock the add"
                    + " takes and NOT VALID gains nothing. Put VALIDATE CONSTRAINT in a statement of its own: phasegate"
                    + " runs each statement in its own transaction, and VALIDATE alone takes only SHARE UPDATE"
                    + " EXCLUSIVE, which lets reads and writes go on.");
        }
    }

    private static void added(LintContext c, String table, Action a) {
        String name = a.name().orElse("...");
        switch (a.constraint()) {
            case CHECK, FOREIGN_KEY -> {
                if (!a.notValid()) {
                    boolean fk = a.constraint() == Constraint.FOREIGN_KEY;
                    c.reportCost(Rule.CONSTRAINT_NOT_VALID, table, "ADD CONSTRAINT " + name + (fk ? " FOREIGN KEY"
                            : " CHECK") + " without NOT VALID checks every existing row while holding "
                            + (fk ? "a SHARE ROW EXCLUSIVE lock on both tables (no writes)" : "an ACCESS EXCLUSIVE lock"
                                    + " on " + table + " (no reads or writes)"),
                            "Add it with NOT VALID (new rows are checked at once), then ALTER TABLE " + table
                                    + " VALIDATE CONSTRAINT " + name + " in a separate statement; it scans under a"
                                    + " lock that lets reads and writes go on.");
                }
            }
            case UNIQUE, PRIMARY_KEY -> {
                if (!a.usingIndex()) {
                    String kind = a.constraint() == Constraint.UNIQUE ? "UNIQUE" : "PRIMARY KEY";
                    Optional<TableFacts.UniqueIndex> existing = c.facts(table)
                            .flatMap(f -> f.uniqueIndexOn(a.columns()));
                    String fix = existing.map(i -> "A unique index on these columns exists already: write ALTER TABLE "
                            + table + " ADD CONSTRAINT " + name + " " + kind + " USING INDEX " + i.name() + ".")
                            .orElse("First CREATE UNIQUE INDEX CONCURRENTLY " + name + "_idx ON " + table + " ("
                                    + String.join(", ", a.columns()) + "), then ALTER TABLE " + table
                                    + " ADD CONSTRAINT " + name + " " + kind + " USING INDEX " + name + "_idx.");
                    c.reportCost(Rule.UNIQUE_WITHOUT_INDEX, table, "ADD CONSTRAINT " + kind + " builds a new unique"
                            + " index while holding an ACCESS EXCLUSIVE lock on " + table, fix);
                }
            }
            default -> {
            }
        }
    }
}
