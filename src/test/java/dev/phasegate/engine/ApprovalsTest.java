package dev.phasegate.engine;

import static dev.phasegate.api.PhaseName.Cleanup;
import static dev.phasegate.api.PhaseName.CompatibleSchema;
import static dev.phasegate.engine.MigrationEngineTest.CLEANUP;
import static dev.phasegate.engine.MigrationEngineTest.EXPAND;
import static dev.phasegate.engine.MigrationEngineTest.completed;
import static dev.phasegate.engine.MigrationEngineTest.runSql;
import static dev.phasegate.engine.MigrationEngineTest.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.ApprovalStatus;
import dev.phasegate.api.Condition;
import dev.phasegate.api.MigrationState;
import dev.phasegate.api.PhaseState;
import dev.phasegate.api.Reason;
import dev.phasegate.api.SqlPhaseSpec;
import dev.phasegate.engine.MigrationEngineTest.Migration;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Phases that need a second person's approval: asking, refusing the author, accepting, and voiding on a spec edit. */
class ApprovalsTest {

    private static final String BOB = "bob@example.com";

    @Test
    void anUnapprovedPhaseWaitsSaysHowToApproveAndAsksOnce() {
        Migration m = Migration.of(spec().expand(EXPAND).approvalRequired(CompatibleSchema)).author("alice");
        Decision d = m.decide();
        assertThat(d.state()).isEqualTo(MigrationState.AwaitingApproval);
        assertThat(d.reason()).isEqualTo(Reason.AwaitingApproval);
        assertThat(d.step()).isEmpty();
        assertThat(d.message()).contains("CompatibleSchema needs approval, awaited since 2026-05-04T10:00:00Z",
                "someone other than its author alice", "kubectl phasegate approve orders-v2 CompatibleSchema",
                "approval.phasegate.dev/CompatibleSchema=generation=1,by=");
        assertThat(d.notes()).extracting(Note::reason).containsExactly(Reason.AwaitingApproval);
        assertThat(condition(m, StatusBuilder.ACTION_REQUIRED).status).isEqualTo("True");
        assertThat(m.phase(CompatibleSchema).approval.requestedAt).isEqualTo("2026-05-04T10:00:00Z");

        d = m.laterSeconds(3600).decide();
        assertThat(d.reason()).isEqualTo(Reason.AwaitingApproval);
        assertThat(d.message()).as("the time it was first asked stays").contains("since 2026-05-04T10:00:00Z");
        assertThat(d.notes()).as("asked once, not on every look").isEmpty();
    }

    @Test
    void theAuthorsOwnApprovalDoesNotCountAndSaysWhy() {
        Migration m = Migration.of(spec().expand(EXPAND).approvalRequired(CompatibleSchema)).author("alice");
        m.decide();
        Decision d = m.approval(CompatibleSchema, Approval.format(1, "alice")).decide();
        assertThat(d.reason()).isEqualTo(Reason.AwaitingApproval);
        assertThat(d.step()).isEmpty();
        assertThat(d.message()).contains("the approval by alice does not count: they created this migration");
        assertThat(d.notes()).singleElement().satisfies(n -> assertThat(n.warning()).isTrue());
        assertThat(m.phase(CompatibleSchema).approval.approvedBy).isNull();
    }

    @Test
    void anotherPersonsApprovalOfTheCurrentGenerationStartsThePhaseAndIsRecorded() {
        Migration m = Migration.of(spec().expand(EXPAND).approvalRequired(CompatibleSchema)).author("alice");
        m.decide();
        Decision d = m.laterSeconds(60).approval(CompatibleSchema, Approval.format(1, BOB)).decide();
        assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
        assertThat(d.notes()).extracting(Note::reason).contains(Reason.Approved, Reason.Starting);
        assertThat(d.notes()).filteredOn(n -> n.reason() == Reason.Approved).singleElement()
                .satisfies(n -> assertThat(n.message()).contains("approved by " + BOB, "generation 1"));
        ApprovalStatus a = m.phase(CompatibleSchema).approval;
        assertThat(a.approvedBy).isEqualTo(BOB);
        assertThat(a.generation).isEqualTo(1L);
        assertThat(a.approvedAt).isEqualTo("2026-05-04T10:01:00Z");
        assertThat(a.voided).isNull();
        assertThat(condition(m, StatusBuilder.ACTION_REQUIRED).status).isEqualTo("False");

        d = m.later(Duration.ofSeconds(5)).decide(completed(CompatibleSchema, 2));
        assertThat(m.phase(CompatibleSchema).state).isEqualTo(PhaseState.Succeeded);
        assertThat(m.phase(CompatibleSchema).approval.approvedBy).as("kept: who let it run").isEqualTo(BOB);
    }

    @Test
    void anApprovalOfAnOlderGenerationDoesNotCount() {
        Migration m = Migration.of(spec().expand(EXPAND).approvalRequired(CompatibleSchema)).author("alice");
        m.decide();
        m.edit(s -> s.compatibleSchema = new SqlPhaseSpec(EXPAND + "\nSELECT 1;", null));
        Decision d = m.approval(CompatibleSchema, Approval.format(1, BOB)).decide();
        assertThat(d.step()).isEmpty();
        assertThat(d.message()).contains("names generation 1, but the spec is at generation 2 now",
                "To approve generation 2");
    }

    @Test
    void aSpecEditAfterTheApprovalVoidsItEvenIfEditedBackAndTheStatusSaysSo() {
        Migration m = waitingBeforeCleanup();
        Decision d = m.approval(Cleanup, Approval.format(1, BOB)).decide();
        assertThat(d.reason()).as("approved during the wait: the wait is all that is left")
                .isEqualTo(Reason.WaitingPeriod);

        m.edit(s -> s.cleanup = new SqlPhaseSpec(CLEANUP + "\nDROP TABLE orders_old;", null));
        d = m.decide();
        assertThat(d.reason()).isEqualTo(Reason.AwaitingApproval);
        assertThat(d.message()).contains("the spec changed after " + BOB + " approved generation 1",
                "its minimum wait runs until");
        assertThat(m.phase(Cleanup).approval.voided).contains("the spec changed");
        assertThat(d.notes()).singleElement().satisfies(n -> {
            assertThat(n.reason()).isEqualTo(Reason.AwaitingApproval);
            assertThat(n.warning()).isTrue();
        });

        m.edit(s -> s.cleanup = new SqlPhaseSpec(CLEANUP, null));
        d = m.laterSeconds(7200).decide();
        assertThat(d.reason()).as("the approver saw neither edit").isEqualTo(Reason.AwaitingApproval);
        assertThat(d.step()).isEmpty();

        d = m.approval(Cleanup, Approval.format(3, BOB)).decide();
        assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
        assertThat(m.phase(Cleanup).approval.voided).isNull();
        assertThat(m.phase(Cleanup).approval.generation).isEqualTo(3L);
    }

    @Test
    void pausingAndResumingDoNotVoidAnApproval() {
        Migration m = waitingBeforeCleanup();
        m.approval(Cleanup, Approval.format(1, BOB)).decide();
        m.edit(s -> s.paused = true).decide();
        m.edit(s -> s.paused = false);
        Decision d = m.laterSeconds(7200).decide();
        assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
    }

    @Test
    void aWithdrawnApprovalIsShownAndApprovingAgainWorks() {
        Migration m = waitingBeforeCleanup();
        m.approval(Cleanup, Approval.format(1, BOB)).decide();
        Decision d = m.approval(Cleanup, null).decide();
        assertThat(d.reason()).isEqualTo(Reason.AwaitingApproval);
        assertThat(d.message()).contains("the approval by " + BOB + " was withdrawn");
        d = m.approval(Cleanup, Approval.format(1, BOB)).laterSeconds(7200).decide();
        assertThat(d.step()).contains(runSql(Cleanup, CLEANUP));
    }

    @Test
    void aMalformedApprovalNamesTheExpectedForm() {
        Migration m = Migration.of(spec().expand(EXPAND).approvalRequired(CompatibleSchema)).author("alice");
        Decision d = m.approval(CompatibleSchema, "yes").decide();
        assertThat(d.step()).isEmpty();
        assertThat(d.message()).contains("is not of the form generation=1,by=USER");
    }

    @Test
    void withoutARecordedAuthorTheMessageSaysThePolicyIsMissingAndAnyApprovalCounts() {
        Migration m = Migration.of(spec().expand(EXPAND).approvalRequired(CompatibleSchema));
        Decision d = m.decide();
        assertThat(d.message()).contains("no author recorded: the four-eyes admission policy is not installed");
        d = m.approval(CompatibleSchema, Approval.format(1, "anyone")).decide();
        assertThat(d.step()).contains(runSql(CompatibleSchema, EXPAND));
    }

    @Test
    void phasesNotNamedStartWithoutApproval() {
        Migration m = Migration.of(spec().expand(EXPAND).cleanup(CLEANUP).approvalRequired(Cleanup)).author("alice");
        assertThat(m.decide().step()).contains(runSql(CompatibleSchema, EXPAND));
        assertThat(m.phase(CompatibleSchema).approval).isNull();
    }

    @Test
    void theApprovalFormatReadsLikeTheAdmissionPolicy() {
        assertThat(Approval.parse("generation=12,by=system:serviceaccount:ci:deployer"))
                .contains(new Approval(12, "system:serviceaccount:ci:deployer"));
        assertThat(Approval.parse("generation=3,by=a,by=b")).contains(new Approval(3, "a,by=b"));
        assertThat(Approval.parse("generation=,by=bob")).isEmpty();
        assertThat(Approval.parse("generation=1,by=")).isEmpty();
        assertThat(Approval.parse(" generation=1,by=bob")).isEmpty();
    }

    /** Expand done, Cleanup (approval required) next, its one-hour wait running. */
    private static Migration waitingBeforeCleanup() {
        Migration m = Migration.of(spec().expand(EXPAND).cleanup(CLEANUP).waits("1h", null, null)
                .approvalRequired(Cleanup)).author("alice");
        m.decide();
        m.laterSeconds(5).decide(completed(CompatibleSchema, 2));
        Decision d = m.laterSeconds(5).decide();
        assertThat(d.reason()).isEqualTo(Reason.AwaitingApproval);
        assertThat(d.message()).contains("Cleanup (one-way) needs approval", "its minimum wait runs until");
        assertThat(d.waitUntil()).isPresent();
        return m;
    }

    private static Condition condition(Migration m, String type) {
        return m.status.conditions.stream().filter(c -> type.equals(c.type)).findFirst().orElseThrow();
    }
}
