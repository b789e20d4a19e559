package dev.phasegate.engine;

import dev.phasegate.api.ApprovalStatus;
import dev.phasegate.api.PhaseName;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SchemaMigration;
import dev.phasegate.api.SchemaMigrationSpec;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a phase named in spec.approvalRequired may start: a second person's approval of the current spec
 * generation, not the author's, and not voided by a later edit of what the phases do. The admission policy refuses a
 * forged or self-given approval before it is stored; this is the second line, and what tells the person at the
 * console what is awaited.
 */
final class ApprovalGate {

    /** The outcome: the phase's approval record to store, and either open or why it waits, plus an Event if due. */
    record Verdict(ApprovalStatus record, boolean open, String waiting, Optional<Note> note) {
    }

    private ApprovalGate() {
    }

    static boolean required(SchemaMigrationSpec spec, PhaseName p) {
        return spec.approvalRequired != null && spec.approvalRequired.contains(p);
    }

    static Verdict judge(SchemaMigrationSpec spec, PhaseName p, ApprovalStatus recorded, Approvals approvals,
            Instant now) {
        ApprovalStatus rec = recorded == null ? new ApprovalStatus() : recorded.copy();
        boolean firstAsk = recorded == null || recorded.requestedAt == null;
        if (firstAsk) {
            rec.requestedAt = Times.format(now);
        }
        String specHash = PhaseSpecs.hashAll(spec);
        long generation = approvals.generation();
        Optional<String> written = approvals.writtenFor(p);
        Optional<Approval> approval = written.flatMap(Approval::parse);
        String problem;
        if (written.isEmpty()) {
            problem = rec.approvedBy == null ? null : rec.granted()
                    ? "the approval by " + rec.approvedBy + " was withdrawn (its annotation was removed)"
                    : rec.voided;
            if (rec.granted()) {
                forget(rec);
            }
        } else if (approval.isEmpty()) {
            problem = "annotation " + key(p) + " is not of the form " + Approval.format(generation, "USER");
        } else if (approvals.author().filter(approval.get().approver()::equals).isPresent()) {
            problem = "the approval by " + approval.get().approver() + " does not count: they created this migration,"
                    + " and four-eyes needs another person";
        } else if (rec.approvedBy != null && sameApproval(rec, approval.get())) {
            if (rec.voided == null && specHash.equals(rec.specHash)) {
                return new Verdict(rec, true, null, Optional.empty());
            }
            // Once voided it stays so, even if the spec is edited back: the approver saw neither edit.
            problem = rec.voided != null ? rec.voided
                    : "the spec changed after " + rec.approvedBy + " approved generation " + rec.generation;
        } else if (approval.get().generation() == generation) {
            rec.approvedBy = approval.get().approver();
            rec.generation = generation;
            rec.approvedAt = Times.format(now);
            rec.specHash = specHash;
            rec.voided = null;
            return new Verdict(rec, true, null, Optional.of(Note.info(Reason.Approved, "phase " + p + " approved by "
                    + rec.approvedBy + " (spec generation " + generation + ")")));
        } else {
            problem = "the approval by " + approval.get().approver() + " names generation "
                    + approval.get().generation() + ", but the spec is at generation " + generation + " now";
        }
        boolean announce = firstAsk || !Objects.equals(problem, recorded.voided);
        rec.voided = problem;
        return awaiting(p, rec, problem, approvals, announce);
    }

    /** A withdrawn approval is gone: approving again starts from scratch. */
    private static void forget(ApprovalStatus rec) {
        rec.approvedBy = null;
        rec.generation = null;
        rec.approvedAt = null;
        rec.specHash = null;
    }

    private static boolean sameApproval(ApprovalStatus rec, Approval a) {
        return a.approver().equals(rec.approvedBy) && rec.generation != null && a.generation() == rec.generation;
    }

    private static Verdict awaiting(PhaseName p, ApprovalStatus rec, String problem, Approvals approvals,
            boolean announce) {
        String author = approvals.author().map(a -> "someone other than its author " + a)
                .orElse("a second person (no author recorded: the four-eyes admission policy is not installed)");
        String message = p + (p == PhaseName.Cleanup ? " (one-way)" : "") + " needs approval, awaited since "
                + rec.requestedAt + (problem == null ? "" : ": " + problem) + ". To approve generation "
                + approvals.generation() + ", " + author + " runs: kubectl phasegate approve " + approvals.migration()
                + " " + p + " -n " + approvals.namespace() + "  (or: kubectl annotate schemamigration "
                + approvals.migration() + " -n " + approvals.namespace() + " --overwrite "
                + key(p) + "=" + Approval.format(approvals.generation(), "$(kubectl auth whoami -o"
                + " jsonpath='{.status.userInfo.username}')") + ")";
        Optional<Note> note = announce
                ? Optional.of(problem != null ? Note.warning(Reason.AwaitingApproval, message)
                        : Note.info(Reason.AwaitingApproval, message))
                : Optional.empty();
        return new Verdict(rec, false, message, note);
    }

    static String key(PhaseName p) {
        return SchemaMigration.APPROVAL_ANNOTATION_PREFIX + p;
    }
}
