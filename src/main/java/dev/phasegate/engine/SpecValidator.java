package dev.phasegate.engine;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.Durations;
import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.VerifySpec;
import dev.phasegate.api.WindowSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks a spec for what the API server would reject and more. The CRD's schema and CEL rules refuse most of it
 * first, but the operator cannot rely on them: objects stored before a rule existed, a CRD from an older release,
 * and the mock API server of the fast tests skip them. Each problem names the field and what is accepted.
 */
public final class SpecValidator {
    /** Kubernetes object names (DNS-1123 subdomain). */
    private static final Pattern K8S_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
    /** A plain or schema-qualified SQL name; quoting is ours to do, so exotic names are refused rather than guessed. */
    private static final Pattern SQL_NAME = Pattern.compile("([A-Za-z_][A-Za-z0-9_$]{0,62}\\.)?[A-Za-z_][A-Za-z0-9_$]{0,62}");
    private static final Pattern SQL_COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");

    private SpecValidator() {
    }

    public static List<String> validate(SchemaMigrationSpec spec) {
        List<String> problems = new ArrayList<>();
        if (spec == null) {
            problems.add("spec is missing");
            return problems;
        }
        if (spec.database == null || spec.database.secretRef == null || blank(spec.database.secretRef.name)) {
            problems.add("spec.database.secretRef.name is required: a Secret with keys jdbcUrl, username, password");
        } else {
            name(problems, "spec.database.secretRef.name", spec.database.secretRef.name);
        }
        if (spec.database != null && spec.database.replicas != null) {
            for (int i = 0; i < spec.database.replicas.size(); i++) {
                var r = spec.database.replicas.get(i);
                if (r == null || r.secretRef == null || blank(r.secretRef.name)) {
                    problems.add("spec.database.replicas[" + i + "].secretRef.name is required");
                }
            }
        }
        if (spec.application != null) {
            if (blank(spec.application.deployment)) {
                problems.add("spec.application.deployment is required when spec.application is set");
            } else {
                name(problems, "spec.application.deployment", spec.application.deployment);
            }
            if (blank(spec.application.image)) {
                problems.add("spec.application.image is required when spec.application is set");
            }
        }
        sql(problems, "spec.compatibleSchema", spec.compatibleSchema == null ? null : spec.compatibleSchema.sql,
                spec.compatibleSchema != null);
        sql(problems, "spec.cleanup", spec.cleanup == null ? null : spec.cleanup.sql, spec.cleanup != null);
        backfill(problems, spec.backfill);
        if (spec.compatibleSchema == null && spec.application == null && spec.backfill == null && spec.cleanup == null) {
            problems.add("nothing to do: set at least one of spec.compatibleSchema, spec.application, spec.backfill,"
                    + " spec.cleanup");
        }
        if (spec.waits != null) {
            duration(problems, "spec.waits.afterCompatibleSchema", spec.waits.afterCompatibleSchema, false);
            duration(problems, "spec.waits.afterCodeDeploy", spec.waits.afterCodeDeploy, false);
            duration(problems, "spec.waits.afterBackfill", spec.waits.afterBackfill, false);
        }
        windows(problems, spec.windows);
        health(problems, spec.health);
        locks(problems, spec.locks);
        return problems;
    }

    private static void sql(List<String> problems, String field, String sql, boolean present) {
        if (present && blank(sql)) {
            problems.add(field + ".sql is empty; remove " + field + " to skip the phase");
        }
    }

    private static void backfill(List<String> problems, BackfillSpec b) {
        if (b == null) {
            return;
        }
        if (blank(b.table) || !SQL_NAME.matcher(b.table).matches()) {
            problems.add("spec.backfill.table must be a table name like orders or shop.orders (got "
                    + quote(b.table) + ")");
        }
        if (blank(b.keyColumn) || !SQL_COLUMN.matcher(b.keyColumn).matches()) {
            problems.add("spec.backfill.keyColumn must be a column name (got " + quote(b.keyColumn) + ")");
        }
        if (blank(b.set)) {
            problems.add("spec.backfill.set is required, e.g. \"status_v2 = status::text\"");
        }
        if (blank(b.where)) {
            problems.add("spec.backfill.where is required: a guard that is false once a row is done, e.g."
                    + " \"status_v2 IS NULL\"");
        }
        positive(problems, "spec.backfill.batchSize", b.batchSize);
        positive(problems, "spec.backfill.minBatchSize", b.minBatchSize);
        positive(problems, "spec.backfill.maxBatchSize", b.maxBatchSize);
        if (b.minBatchSize != null && b.maxBatchSize != null && b.minBatchSize > b.maxBatchSize) {
            problems.add("spec.backfill.minBatchSize (" + b.minBatchSize + ") exceeds maxBatchSize ("
                    + b.maxBatchSize + ")");
        }
        duration(problems, "spec.backfill.targetBatchDuration", b.targetBatchDuration, true);
        duration(problems, "spec.backfill.pauseBetweenBatches", b.pauseBetweenBatches, false);
        duration(problems, "spec.backfill.latencyAllowance", b.latencyAllowance, false);
        verify(problems, b.verify);
    }

    private static void verify(List<String> problems, VerifySpec v) {
        if (v == null) {
            return;
        }
        if (v.skip != null && v.skip.isBlank()) {
            problems.add("spec.backfill.verify.skip needs a reason: why the new column is meant to differ from"
                    + " what spec.backfill.set computes");
        }
        if (v.override != null && v.override.isBlank()) {
            problems.add("spec.backfill.verify.override needs a reason: why Cleanup may drop the old column although"
                    + " rows disagree");
        }
        if (v.skip == null && v.override == null) {
            problems.add("spec.backfill.verify: set skip or override to a reason, or remove it (the check runs by"
                    + " default)");
        }
        if (v.skip != null && v.override != null) {
            problems.add("spec.backfill.verify: set skip (never check) or override (go on despite a finding), not"
                    + " both");
        }
    }

    private static void windows(List<String> problems, List<WindowSpec> windows) {
        if (windows == null) {
            return;
        }
        for (int i = 0; i < windows.size(); i++) {
            WindowSpec w = windows.get(i);
            try {
                Windows.of(w);
            } catch (IllegalArgumentException | NullPointerException e) {
                problems.add("spec.windows[" + i + "]: " + e.getMessage());
            }
        }
    }

    private static void health(List<String> problems, HealthSpec h) {
        if (h == null) {
            return;
        }
        duration(problems, "spec.health.maxTransactionAge", h.maxTransactionAge, true);
        duration(problems, "spec.health.maxIdleInTransaction", h.maxIdleInTransaction, true);
        duration(problems, "spec.health.maxReplicationLag", h.maxReplicationLag, true);
        if (h.maxConnectionUsage != null && (h.maxConnectionUsage <= 0 || h.maxConnectionUsage > 1)) {
            problems.add("spec.health.maxConnectionUsage must be a fraction in (0, 1], e.g. 0.8 (got "
                    + h.maxConnectionUsage + ")");
        }
        if (h.maxLockWaiters != null && h.maxLockWaiters < 0) {
            problems.add("spec.health.maxLockWaiters must be 0 or more");
        }
    }

    private static void locks(List<String> problems, LocksSpec l) {
        if (l == null) {
            return;
        }
        duration(problems, "spec.locks.lockTimeout", l.lockTimeout, true);
        duration(problems, "spec.locks.statementTimeout", l.statementTimeout, true);
        duration(problems, "spec.locks.indexBuildMaxWait", l.indexBuildMaxWait, true);
        duration(problems, "spec.locks.maxBlockedWait", l.maxBlockedWait, true);
        positive(problems, "spec.locks.maxBlockedQueries", l.maxBlockedQueries);
        if (l.retries != null && (l.retries < 0 || l.retries > 100)) {
            problems.add("spec.locks.retries must be from 0 to 100 (got " + l.retries + ")");
        }
        if (Durations.isValid(nz(l.lockTimeout)) && Durations.isValid(nz(l.statementTimeout))
                && Durations.parse(l.lockTimeout).compareTo(Durations.parse(l.statementTimeout)) >= 0) {
            problems.add("spec.locks.lockTimeout (" + l.lockTimeout + ") must be shorter than statementTimeout ("
                    + l.statementTimeout + ")");
        }
    }

    private static void duration(List<String> problems, String field, String value, boolean mustBePositive) {
        if (value == null) {
            return;
        }
        try {
            Duration d = Durations.parse(value);
            if (mustBePositive && (d.isZero() || d.isNegative())) {
                problems.add(field + " must be more than 0 (got " + quote(value) + ")");
            }
        } catch (IllegalArgumentException e) {
            problems.add(field + ": " + e.getMessage());
        }
    }

    private static void positive(List<String> problems, String field, Integer value) {
        if (value != null && value < 1) {
            problems.add(field + " must be 1 or more (got " + value + ")");
        }
    }

    private static void name(List<String> problems, String field, String value) {
        if (value.length() > 253 || !K8S_NAME.matcher(value).matches()) {
            problems.add(field + " must be a Kubernetes object name (lowercase letters, digits, '-', '.'), got "
                    + quote(value));
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static String quote(String s) {
        return s == null ? "nothing" : "\"" + s + "\"";
    }
}
