package dev.phasegate.kube;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillSync;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.postgres.sql.SetList;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Warns about a backfill guard of the form {@code target IS NULL} when set computes that target from the row and
 * no sync trigger is configured: rows old code updates after new code keep a stale target the guard never revisits.
 * A heuristic on the text (the check before Cleanup is what counts); a migration that opted out of the check with
 * spec.backfill.verify.skip declared its column is meant to diverge, and is left alone.
 */
final class StaleGuardLint {
    private static final Pattern IS_NULL = Pattern.compile(
            "^\\s*(?:\"((?:[^\"]|\"\")+)\"|([A-Za-z_][A-Za-z0-9_$]*))\\s+IS\\s+NULL\\s*$",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    /** Values that differ on every evaluation: a column meant to hold them is not a function of the row. */
    private static final Pattern VOLATILE = Pattern.compile("\\b(now|random|clock_timestamp|statement_timestamp"
            + "|transaction_timestamp|timeofday|nextval|gen_random_uuid|uuid_generate_v[14]|current_timestamp"
            + "|localtimestamp|current_date|current_time|localtime)\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern STRING = Pattern.compile("'(?:[^']|'')*'");

    private StaleGuardLint() {
    }

    static Optional<String> check(SchemaMigrationSpec spec) {
        BackfillSpec b = spec == null ? null : spec.backfill;
        if (b == null || b.set == null || b.where == null || b.sync == BackfillSync.Trigger
                || (b.verify != null && b.verify.skip != null)) {
            return Optional.empty();
        }
        Matcher m = IS_NULL.matcher(b.where);
        if (!m.matches()) {
            return Optional.empty();
        }
        String guarded = m.group(1) != null ? m.group(1).replace("\"\"", "\"") : m.group(2).toLowerCase(Locale.ROOT);
        SetList.Parsed parsed = SetList.parse(b.set);
        for (SetList.Assignment a : parsed.assignments()) {
            String expr = a.expression();
            boolean readsTheRow = STRING.matcher(expr).replaceAll("''").chars().anyMatch(Character::isLetter);
            if (a.column().equals(guarded) && readsTheRow && !VOLATILE.matcher(expr).find()) {
                return Optional.of("spec.backfill.where (" + b.where.trim() + ") skips rows that old code updates"
                        + " after new code wrote them during the rollout: their " + a.column() + " stays stale,"
                        + " and Cleanup would drop the only correct copy. Guard with " + a.column()
                        + " IS DISTINCT FROM (" + expr + "), or set spec.backfill.sync: Trigger before"
                        + " CompatibleSchema starts; the check before Cleanup counts such rows either way");
            }
        }
        return Optional.empty();
    }
}
