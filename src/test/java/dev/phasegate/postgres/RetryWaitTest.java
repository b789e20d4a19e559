package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How a lock retry announces its wait: on the blockers when they can be watched, else on the timer, and why. */
class RetryWaitTest {
    private static final Duration TIMER = Duration.ofMillis(900);

    @Test
    void watchableBlockersAreNamedByPid() {
        Blockers b = new Blockers(List.of(42L, 43L), List.of("3/7", "4/9"), true);
        assertThat(RetryWait.when(Optional.of(b), TIMER))
                .isEqualTo(" as soon as the transaction(s) of pids 42, 43 end, at the latest in 900 ms");
    }

    @Test
    void aPreparedTransactionIsNamedAsSuchNotAsPidZeroAndTheTimerDecides() {
        Blockers b = new Blockers(List.of(0L, 42L), List.of("3/7"), false);
        assertThat(RetryWait.when(Optional.of(b), TIMER))
                .startsWith(" in 900 ms (blocked by pid 42 and a prepared transaction (pg_prepared_xacts;")
                .endsWith(", which cannot be watched)")
                .doesNotContain("pid 0", "as soon as");
    }

    @Test
    void unknownOrUnwatchableSessionsLeaveTheTimerAlone() {
        assertThat(RetryWait.when(Optional.empty(), TIMER)).isEqualTo(" in 900 ms");
        Blockers noVxid = new Blockers(List.of(42L), List.of(), false);
        assertThat(RetryWait.when(Optional.of(noVxid), TIMER)).isEqualTo(" in 900 ms");
    }
}
