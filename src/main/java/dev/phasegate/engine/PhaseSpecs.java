package dev.phasegate.engine;

import dev.phasegate.api.ApplicationSpec;
import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.BackfillSync;
import dev.phasegate.api.Durations;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.SchemaMigrationSpec;
import dev.phasegate.api.SqlPhaseSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/** Reads the per-phase facts the engine needs out of a spec: work to do, waits, and a checksum of what started. */
public final class PhaseSpecs {
    private PhaseSpecs() {
    }

    public static SqlPhaseSpec sqlPhase(SchemaMigrationSpec spec, PhaseName phase) {
        return switch (phase) {
            case CompatibleSchema -> spec.compatibleSchema;
            case Cleanup -> spec.cleanup;
            default -> null;
        };
    }

    public static boolean hasWork(SchemaMigrationSpec spec, PhaseName phase) {
        return switch (phase) {
            case CompatibleSchema, Cleanup -> {
                SqlPhaseSpec s = sqlPhase(spec, phase);
                yield s != null && s.sql != null && !s.sql.isBlank();
            }
            case CodeDeploy -> spec.application != null;
            case Backfill -> spec.backfill != null;
        };
    }

    public static boolean hasRollbackSql(SchemaMigrationSpec spec, PhaseName phase) {
        SqlPhaseSpec s = sqlPhase(spec, phase);
        return s != null && s.rollbackSql != null && !s.rollbackSql.isBlank();
    }

    /** Minimum wait after a phase ends before the next may start. */
    public static Duration waitAfter(SchemaMigrationSpec spec, PhaseName phase) {
        if (spec.waits == null) {
            return Duration.ZERO;
        }
        String w = switch (phase) {
            case CompatibleSchema -> spec.waits.afterCompatibleSchema;
            case CodeDeploy -> spec.waits.afterCodeDeploy;
            case Backfill -> spec.waits.afterBackfill;
            case Cleanup -> null;
        };
        return w == null ? Duration.ZERO : Durations.parse(w);
    }

    /**
     * Checksum of the part of a phase's spec that must not change once the phase started. Rollback SQL and tuning
     * knobs (batch sizes, timeouts) are left out on purpose: fixing them mid-way is safe and often needed.
     */
    public static String hash(SchemaMigrationSpec spec, PhaseName phase) {
        String canonical = switch (phase) {
            case CompatibleSchema, Cleanup -> {
                SqlPhaseSpec s = sqlPhase(spec, phase);
                // The sync trigger's statements join these phases' scripts; without it the checksum is as before.
                boolean sync = spec.backfill != null && spec.backfill.sync == BackfillSync.Trigger;
                yield (s == null ? "" : nz(s.sql)) + (sync ? "\u0000sync\u0000" + nz(spec.backfill.table) + "\u0000"
                        + nz(spec.backfill.set) : "");
            }
            case CodeDeploy -> {
                ApplicationSpec a = spec.application;
                yield a == null ? "" : String.join("\u0000", nz(a.deployment), nz(a.container), nz(a.image),
                        String.valueOf(a.mode));
            }
            case Backfill -> {
                BackfillSpec b = spec.backfill;
                yield b == null ? "" : String.join("\u0000", nz(b.table), nz(b.keyColumn), nz(b.set), nz(b.where));
            }
        };
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * Checksum of everything a person might edit to fix a failure: every phase's SQL and rollbackSql, the backfill's
     * statement, the application and the lint rules spec.lint.allow lists. A phase held for a fix is tried again once
     * this changes.
     */
    public static String hashAll(SchemaMigrationSpec spec) {
        StringBuilder canonical = new StringBuilder();
        for (PhaseName p : PhaseName.values()) {
            canonical.append(hash(spec, p)).append('\u0000');
            SqlPhaseSpec s = p == PhaseName.CompatibleSchema || p == PhaseName.Cleanup ? sqlPhase(spec, p) : null;
            canonical.append(s == null ? "" : nz(s.rollbackSql)).append('\u0000');
        }
        if (spec.lint != null && spec.lint.allow != null && !spec.lint.allow.isEmpty()) {
            // Allowing a lint rule is a fix too: a phase the lint blocked is tried again.
            spec.lint.allow.forEach(a -> canonical.append("lint\u0000").append(a == null ? "" : a.rule)
                    .append('\u0000'));
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
