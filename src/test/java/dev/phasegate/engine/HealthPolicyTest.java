package dev.phasegate.engine;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import dev.phasegate.api.HealthSpec;
import dev.phasegate.api.HealthStatus;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.HealthPolicy.Assessment;
import dev.phasegate.engine.HealthPolicy.Breach;
import dev.phasegate.engine.HealthSnapshot.AutovacuumRun;
import dev.phasegate.engine.HealthSnapshot.Blocker;
import dev.phasegate.engine.HealthSnapshot.Oldest;
import dev.phasegate.engine.HealthSnapshot.ReplicaLag;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HealthPolicyTest {

    private static final Instant T0 = Instant.parse("2026-01-10T02:00:00Z");
    private static final Blocker REPORT = new Blocker(4711, "bi", "report", "active", Duration.ofSeconds(125),
            "SELECT orders_archive");
    private static final Blocker IDLE = new Blocker(815, "shop", "orders-api", "idle in transaction",
            Duration.ofSeconds(45), "UPDATE carts");
    private static final Blocker LOCKER = new Blocker(99, "ops", "psql", "idle in transaction",
            Duration.ofSeconds(3), "LOCK orders");

    private static HealthSnapshot.Builder quiet() {
        return HealthSnapshot.builder(T0).role("phasegate_monitor").connections(10, 97);
    }

    private static Blocker aged(Blocker b, Duration age) {
        return new Blocker(b.pid(), b.user(), b.applicationName(), b.state(), age, b.statement(), b.queryText());
    }

    private static HealthSpec spec(UnaryOperator<HealthSpec> change) {
        return change.apply(new HealthSpec());
    }

    private static HealthSpec defaults() {
        return new HealthSpec();
    }

    @Test
    void aQuietDatabaseOpensTheGate() {
        HealthGate gate = HealthPolicy.evaluate(quiet().build(), defaults(), true);
        assertThat(gate.open()).isTrue();
        assertThat(gate.reason()).isNull();
        assertThat(HealthPolicy.evaluate(quiet().build(), defaults(), false).open()).isTrue();
    }

    @Nested
    class LongTransactions {
        @Test
        void databaseWideGateCountsTheOldestTransactionAnywhereAndNamesTheBlocker() {
            HealthSnapshot s = quiet().oldestTransaction(Oldest.of(REPORT)).build();
            HealthGate gate = HealthPolicy.evaluate(s, defaults(), true);
            assertThat(gate.open()).isFalse();
            assertThat(gate.reason()).isEqualTo(Reason.LongTransaction);
            assertThat(gate.message()).contains("2m5s", "maxTransactionAge 60s", "database-wide",
                    "CREATE INDEX CONCURRENTLY", "pid 4711", "application 'report'", "user 'bi'", "active",
                    "running SELECT orders_archive");
            assertThat(HealthPolicy.assess(s, defaults(), true).blocker()).contains(REPORT);
        }

        @Test
        void tableScopedGateIgnoresTransactionsOnOtherTables() {
            HealthSnapshot s = quiet().oldestTransaction(Oldest.of(REPORT)).build();
            assertThat(HealthPolicy.evaluate(s, defaults(), false).open()).isTrue();
        }

        @Test
        void tableScopedGateClosesOnATransactionHoldingLocksOnTheTables() {
            Blocker onOrders = aged(REPORT, Duration.ofSeconds(61));
            HealthSnapshot s = quiet().tableTransaction(Oldest.of(onOrders)).build();
            HealthGate gate = HealthPolicy.evaluate(s, defaults(), false);
            assertThat(gate.reason()).isEqualTo(Reason.LongTransaction);
            assertThat(gate.message()).contains("holding locks on the migration's tables", "1m1s",
                    "maxTransactionAge 60s", "pid 4711").doesNotContain("database-wide");
        }

        @Test
        void anOldSnapshotAloneClosesTheDatabaseWideGate() {
            Blocker snapshotHolder = aged(REPORT, Duration.ofSeconds(90));
            HealthSnapshot s = quiet().oldestTransaction(Oldest.of(aged(LOCKER, Duration.ofSeconds(5))))
                    .oldestSnapshot(Oldest.of(snapshotHolder), 12_345).build();
            Assessment a = HealthPolicy.assess(s, defaults(), true);
            assertThat(a.gate().reason()).isEqualTo(Reason.LongTransaction);
            assertThat(a.gate().message()).contains("1m30s");
            assertThat(a.blocker()).contains(snapshotHolder);
        }

        @ParameterizedTest
        @CsvSource({"60000, true", "60001, false", "59999, true", "0, true"})
        void aTransactionExactlyAtTheThresholdPasses(long ageMillis, boolean open) {
            HealthSnapshot s = quiet().oldestTransaction(Oldest.of(aged(REPORT, Duration.ofMillis(ageMillis))))
                    .build();
            assertThat(HealthPolicy.evaluate(s, defaults(), true).open()).isEqualTo(open);
        }

        @Test
        void aZeroThresholdClosesOnAnyOpenTransaction() {
            HealthSnapshot s = quiet().oldestTransaction(Oldest.of(aged(REPORT, Duration.ofMillis(1)))).build();
            assertThat(HealthPolicy.evaluate(s, spec(h -> {
                h.maxTransactionAge = "0";
                return h;
            }), true).reason()).isEqualTo(Reason.LongTransaction);
        }
    }

    @Nested
    class IdleInTransactions {
        @Test
        void anIdleSessionPastTheThresholdClosesTheGateWithItsBlocker() {
            HealthSnapshot s = quiet().idleInTransaction(Oldest.of(IDLE)).build();
            HealthGate gate = HealthPolicy.evaluate(s, defaults(), false);
            assertThat(gate.reason()).isEqualTo(Reason.IdleInTransaction);
            assertThat(gate.message()).contains("idle in transaction for 45s", "maxIdleInTransaction 30s",
                    "pid 815", "application 'orders-api'", "idle_in_transaction_session_timeout");
            assertThat(HealthPolicy.evaluate(s, defaults(), true).reason()).isEqualTo(Reason.IdleInTransaction);
        }

        @ParameterizedTest
        @CsvSource({"30000, true", "30001, false"})
        void edge(long idleMillis, boolean open) {
            HealthSnapshot s = quiet().idleInTransaction(Oldest.of(aged(IDLE, Duration.ofMillis(idleMillis)))).build();
            assertThat(HealthPolicy.evaluate(s, defaults(), false).open()).isEqualTo(open);
        }
    }

    @Nested
    class Replication {
        @Test
        void streamingLagPastTheThresholdNamesTheReplica() {
            HealthSnapshot s = quiet()
                    .replica(ReplicaLag.streaming("replica-b", Duration.ofSeconds(3), 100L, "streaming"))
                    .replica(ReplicaLag.streaming("replica-a", Duration.ofSeconds(14), 3 * 1024 * 1024L, "streaming"))
                    .build();
            HealthGate gate = HealthPolicy.evaluate(s, defaults(), false);
            assertThat(gate.reason()).isEqualTo(Reason.ReplicationLag);
            assertThat(gate.message()).contains("replica replica-a lags 14s", "maxReplicationLag 10s",
                    "pg_stat_replication", "3.0 MB behind").doesNotContain("replica-b");
            HealthStatus status = HealthPolicy.toStatus(s, HealthPolicy.assess(s, defaults(), false));
            assertThat(status.laggingReplica).isEqualTo("replica-a");
            assertThat(status.replicationLag).isEqualTo("14s");
            assertThat(status.gate).isEqualTo("ReplicationLag");
        }

        @Test
        void directLagNamesTheReplicaAndSaysWhereItWasMeasured() {
            HealthSnapshot s = quiet().replica(ReplicaLag.direct("orders-db-replica", Duration.ofMillis(10_500), 4096L,
                    "replay paused", true)).build();
            HealthGate gate = HealthPolicy.evaluate(s, defaults(), true);
            assertThat(gate.reason()).isEqualTo(Reason.ReplicationLag);
            assertThat(gate.message()).contains("orders-db-replica lags 10.5s", "measured on the replica",
                    "4.0 kB behind", "replay paused");
        }

        @ParameterizedTest
        @CsvSource({"10000, true", "10001, false"})
        void edge(long lagMillis, boolean open) {
            HealthSnapshot s = quiet().replica(ReplicaLag.streaming("r", Duration.ofMillis(lagMillis), 0L, "streaming"))
                    .build();
            assertThat(HealthPolicy.evaluate(s, defaults(), false).open()).isEqualTo(open);
        }

        @Test
        void aReplicaThatCannotBeProbedNeverOpensTheGate() {
            HealthSnapshot s = quiet().replica(ReplicaLag.streaming("r", Duration.ZERO, 0L, "streaming"))
                    .replica(ReplicaLag.failed("orders-db-replica", "connection refused")).build();
            HealthGate gate = HealthPolicy.evaluate(s, defaults(), false);
            assertThat(gate.reason()).isEqualTo(Reason.ProbeFailed);
            assertThat(gate.message()).contains("orders-db-replica", "connection refused");
        }

        @Test
        void aMeasuredLagIsReportedBeforeAnotherReplicasProbeFailure() {
            HealthSnapshot s = quiet().replica(ReplicaLag.failed("broken", "timeout"))
                    .replica(ReplicaLag.streaming("slow", Duration.ofSeconds(30), null, "streaming")).build();
            assertThat(HealthPolicy.evaluate(s, defaults(), false).reason()).isEqualTo(Reason.ReplicationLag);
        }

        @Test
        void aDirectReplicaNotInRecoveryOrWithUnknownLagClosesTheGate() {
            HealthSnapshot promoted = quiet().replica(ReplicaLag.direct("r1", Duration.ZERO, null, "not in recovery",
                    false)).build();
            assertThat(HealthPolicy.evaluate(promoted, defaults(), false).reason()).isEqualTo(Reason.ProbeFailed);
            assertThat(HealthPolicy.evaluate(promoted, defaults(), false).message()).contains("r1", "not in recovery");
            HealthSnapshot unknown = quiet().replica(ReplicaLag.direct("r2", null, 800L, "replaying", true)).build();
            assertThat(HealthPolicy.evaluate(unknown, defaults(), false).reason()).isEqualTo(Reason.ProbeFailed);
            assertThat(HealthPolicy.evaluate(unknown, defaults(), false).message()).contains("r2", "unknown");
        }
    }

    @Nested
    class Connections {
        @ParameterizedTest
        @CsvSource({"80, 100, true", "81, 100, false", "4, 5, true", "5, 7, true", "6, 7, false", "1, 0, false",
                "0, 0, true"})
        void usageAboveTheThresholdCloses(int used, int usable, boolean open) {
            HealthSnapshot s = quiet().connections(used, usable).build();
            HealthGate gate = HealthPolicy.evaluate(s, defaults(), false);
            assertThat(gate.open()).isEqualTo(open);
            if (!open) {
                assertThat(gate.reason()).isEqualTo(Reason.ConnectionSaturation);
                assertThat(gate.message()).contains(used + " of " + usable + " usable", "maxConnectionUsage 80%");
            }
        }

        @Test
        void theMessageShowsThePercentage() {
            HealthGate gate = HealthPolicy.evaluate(quiet().connections(6, 7).build(), defaults(), false);
            assertThat(gate.message()).contains("connections at 85.7%");
        }
    }

    @Nested
    class LockWaiters {
        @Test
        void anyWaiterClosesTheGateByDefaultAndNamesTheHeadOfTheQueue() {
            HealthSnapshot s = quiet().lockWaiters(2, Duration.ofMillis(3100), LOCKER).build();
            Assessment a = HealthPolicy.assess(s, defaults(), false);
            assertThat(a.gate().reason()).isEqualTo(Reason.LockWaiters);
            assertThat(a.gate().message()).contains("2 sessions wait", "3.1s", "maxLockWaiters 0", "pid 99",
                    "running LOCK orders");
            assertThat(a.blocker()).contains(LOCKER);
            assertThat(HealthPolicy.toStatus(s, a).blockedQueries).isEqualTo(2);
            assertThat(HealthPolicy.toStatus(s, a).blocker.pid).isEqualTo(99);
        }

        @ParameterizedTest
        @CsvSource({"0, 0, true", "1, 0, false", "1, 1, true", "2, 1, false"})
        void edge(int waiters, int max, boolean open) {
            HealthSnapshot s = quiet().lockWaiters(waiters, Duration.ofMillis(10), waiters > 0 ? LOCKER : null).build();
            assertThat(HealthPolicy.evaluate(s, spec(h -> {
                h.maxLockWaiters = max;
                return h;
            }), false).open()).isEqualTo(open);
        }
    }

    @Nested
    class Autovacuum {
        private final AutovacuumRun plain = new AutovacuumRun("public.orders", 321, false, Duration.ofSeconds(12),
                "VACUUM public.orders");
        private final AutovacuumRun wraparound = new AutovacuumRun("public.order_lines", 322, true,
                Duration.ofMinutes(3), "VACUUM public.order_lines");

        @Test
        void autovacuumOnATableClosesTheGate() {
            HealthSnapshot s = quiet().autovacuum(List.of(plain)).build();
            Assessment a = HealthPolicy.assess(s, defaults(), false);
            assertThat(a.gate().reason()).isEqualTo(Reason.Autovacuum);
            assertThat(a.gate().message()).contains("public.orders", "pid 321", "12s", "blockOnAutovacuum")
                    .doesNotContain("wraparound");
            assertThat(a.blocker().map(Blocker::pid)).contains(321);
        }

        @Test
        void wraparoundIsFlaggedAndReportedFirst() {
            HealthSnapshot s = quiet().autovacuum(List.of(plain, wraparound)).build();
            HealthGate gate = HealthPolicy.evaluate(s, defaults(), false);
            assertThat(gate.reason()).isEqualTo(Reason.Autovacuum);
            assertThat(gate.message()).contains("public.order_lines", "and 1 more", "prevent wraparound",
                    "will not yield");
        }

        @Test
        void canBeTurnedOff() {
            HealthSnapshot s = quiet().autovacuum(List.of(plain, wraparound)).build();
            assertThat(HealthPolicy.evaluate(s, spec(h -> {
                h.blockOnAutovacuum = false;
                return h;
            }), false).open()).isTrue();
        }
    }

    @Nested
    class ProbeFailures {
        @Test
        void aRoleWithoutPgMonitorNeverOpensTheGate() {
            HealthSnapshot s = quiet().role("app_user").visibility(false, 3).build();
            HealthGate gate = HealthPolicy.evaluate(s, defaults(), false);
            assertThat(gate.open()).isFalse();
            assertThat(gate.reason()).isEqualTo(Reason.ProbeFailed);
            assertThat(gate.message()).contains("role 'app_user' lacks pg_monitor",
                    "3 shown as '<insufficient privilege>'",
                    "GRANT pg_monitor TO app_user");
        }

        @Test
        void partialVisibilityWinsOverEveryMeasuredSignal() {
            HealthSnapshot s = everythingFailing().visibility(false, 0).build();
            assertThat(HealthPolicy.evaluate(s, defaults(), true).reason()).isEqualTo(Reason.ProbeFailed);
        }

        @Test
        void probingAStandbyClosesTheGate() {
            HealthGate gate = HealthPolicy.evaluate(quiet().inRecovery(true).build(), defaults(), false);
            assertThat(gate.reason()).isEqualTo(Reason.ProbeFailed);
            assertThat(gate.message()).contains("standby");
        }

        @Test
        void aFailedProbeIsClosed() {
            HealthGate gate = HealthPolicy.probeFailed("connection refused");
            assertThat(gate.open()).isFalse();
            assertThat(gate.reason()).isEqualTo(Reason.ProbeFailed);
            assertThat(gate.message()).contains("connection refused", "stays closed");
        }

        @Test
        void aStaleCheckClosesEvenAnOpenGate() {
            Duration limit = Duration.ofSeconds(15);
            HealthGate open = HealthGate.opened();
            assertThat(HealthPolicy.fresh(open, T0, T0.plus(limit), limit)).isSameAs(open);
            HealthGate stale = HealthPolicy.fresh(open, T0, T0.plus(limit).plusMillis(1), limit);
            assertThat(stale.open()).isFalse();
            assertThat(stale.reason()).isEqualTo(Reason.ProbeFailed);
            assertThat(stale.message()).contains("15.1s old", "limit 15s");
            HealthGate closed = HealthGate.closed(Reason.LockWaiters, "x");
            assertThat(HealthPolicy.fresh(closed, T0, T0.plusSeconds(60), limit).reason())
                    .isEqualTo(Reason.ProbeFailed);
        }
    }

    /** Every signal failing at once, in the order the policy checks them. */
    private static HealthSnapshot.Builder everythingFailing() {
        return quiet()
                .oldestTransaction(Oldest.of(REPORT))
                .tableTransaction(Oldest.of(aged(REPORT, Duration.ofMinutes(2))))
                .idleInTransaction(Oldest.of(IDLE))
                .replica(ReplicaLag.streaming("replica-a", Duration.ofSeconds(30), 1L, "streaming"))
                .connections(95, 97)
                .lockWaiters(3, Duration.ofSeconds(2), LOCKER)
                .autovacuum(List.of(new AutovacuumRun("orders", 1, false, Duration.ofSeconds(1), "VACUUM orders")));
    }

    @Test
    void theFirstFailingSignalIsTheReasonAndFixingItRevealsTheNext() {
        List<Reason> expected = List.of(Reason.LongTransaction, Reason.IdleInTransaction, Reason.ReplicationLag,
                Reason.ConnectionSaturation, Reason.LockWaiters, Reason.Autovacuum);
        List<UnaryOperator<HealthSnapshot.Builder>> fixes = List.of(
                b -> b.oldestTransaction(Oldest.NONE).tableTransaction(Oldest.NONE),
                b -> b.idleInTransaction(Oldest.NONE),
                b -> b.replicas(List.of(ReplicaLag.streaming("replica-a", Duration.ZERO, 0L, "streaming"))),
                b -> b.connections(10, 97),
                b -> b.lockWaiters(0, Duration.ZERO, null),
                b -> b.autovacuum(List.of()));
        HealthSnapshot.Builder b = everythingFailing();
        List<Reason> seen = new ArrayList<>();
        for (UnaryOperator<HealthSnapshot.Builder> fix : fixes) {
            seen.add(HealthPolicy.evaluate(b.build(), defaults(), false).reason());
            b = fix.apply(b);
        }
        assertThat(seen).isEqualTo(expected);
        // Every signal fixed: the gate opens again, with no memory of the closed verdicts before.
        assertThat(HealthPolicy.evaluate(b.build(), defaults(), false).open()).isTrue();
    }

    @Test
    void aClosedGateReopensWhenTheNextSnapshotIsHealthy() {
        HealthSnapshot bad = quiet().idleInTransaction(Oldest.of(IDLE)).build();
        HealthSnapshot good = HealthSnapshot.builder(T0.plusSeconds(5)).role("m").connections(10, 97).build();
        assertThat(HealthPolicy.evaluate(bad, defaults(), false).open()).isFalse();
        assertThat(HealthPolicy.evaluate(good, defaults(), false).open()).isTrue();
        Optional<Breach> breach = HealthPolicy.track(Optional.empty(), HealthPolicy.evaluate(bad, defaults(), false),
                T0);
        assertThat(breach).isPresent();
        assertThat(HealthPolicy.track(breach, HealthPolicy.evaluate(good, defaults(), false), T0.plusSeconds(5)))
                .isEmpty();
    }

    @Nested
    class Thresholds {
        @Test
        void aMissingHealthSpecOrFieldMeansTheDefaults() {
            HealthPolicy.Thresholds t = HealthPolicy.Thresholds.of(null);
            assertThat(t.maxTransactionAge()).isEqualTo(Duration.ofSeconds(60));
            assertThat(t.maxIdleInTransaction()).isEqualTo(Duration.ofSeconds(30));
            assertThat(t.maxReplicationLag()).isEqualTo(Duration.ofSeconds(10));
            assertThat(t.maxConnectionUsage()).isEqualTo(0.8);
            assertThat(t.maxLockWaiters()).isZero();
            assertThat(t.blockOnAutovacuum()).isTrue();
            HealthSpec nulls = new HealthSpec();
            nulls.maxTransactionAge = null;
            nulls.maxIdleInTransaction = null;
            nulls.maxReplicationLag = null;
            nulls.maxConnectionUsage = null;
            nulls.maxLockWaiters = null;
            nulls.blockOnAutovacuum = null;
            assertThat(HealthPolicy.Thresholds.of(nulls)).isEqualTo(t);
            HealthSnapshot s = quiet().oldestTransaction(Oldest.of(REPORT)).build();
            assertThat(HealthPolicy.evaluate(s, null, true).reason()).isEqualTo(Reason.LongTransaction);
        }

        @Test
        void messagesQuoteTheThresholdAsWritten() {
            HealthSpec h = spec(x -> {
                x.maxTransactionAge = "1m30s";
                return x;
            });
            HealthSnapshot s = quiet().oldestTransaction(Oldest.of(aged(REPORT, Duration.ofSeconds(91)))).build();
            assertThat(HealthPolicy.evaluate(s, h, true).message()).contains("1m31s > maxTransactionAge 1m30s");
            HealthSnapshot ok = quiet().oldestTransaction(Oldest.of(aged(REPORT, Duration.ofSeconds(90)))).build();
            assertThat(HealthPolicy.evaluate(ok, h, true).open()).isTrue();
        }
    }

    @Nested
    class TwoStageBreach {
        private final HealthGate lag = HealthGate.closed(Reason.ReplicationLag, "lag");
        private final Duration confirmAfter = Duration.ofSeconds(5);

        @Test
        void oneCheckIsOnlyASuspicion() {
            Optional<Breach> b = HealthPolicy.track(Optional.empty(), lag, T0);
            assertThat(b).contains(new Breach(Reason.ReplicationLag, T0, T0, 1));
            assertThat(b.get().confirmed(confirmAfter)).isFalse();
        }

        @Test
        void aSecondCheckTooSoonDoesNotConfirm() {
            Optional<Breach> b = HealthPolicy.track(Optional.empty(), lag, T0);
            b = HealthPolicy.track(b, lag, T0.plusSeconds(4));
            assertThat(b.get().checks()).isEqualTo(2);
            assertThat(b.get().confirmed(confirmAfter)).isFalse();
        }

        @Test
        void aSecondCheckAtLeastTheIntervalLaterConfirms() {
            Optional<Breach> b = HealthPolicy.track(Optional.empty(), lag, T0);
            b = HealthPolicy.track(b, lag, T0.plusSeconds(4));
            b = HealthPolicy.track(b, lag, T0.plusSeconds(5));
            assertThat(b.get().confirmed(confirmAfter)).isTrue();
            assertThat(b.get().duration()).isEqualTo(Duration.ofSeconds(5));
        }

        @Test
        void theSameCheckReadTwiceIsNotASecondCheck() {
            Optional<Breach> b = HealthPolicy.track(Optional.empty(), lag, T0);
            b = HealthPolicy.track(b, lag, T0);
            assertThat(b.get().checks()).isEqualTo(1);
            // A single (old) check never confirms, however long ago it was.
            assertThat(b.get().confirmed(Duration.ofMillis(1))).isFalse();
        }

        @Test
        void anOpenGateInBetweenStartsOver() {
            Optional<Breach> b = HealthPolicy.track(Optional.empty(), lag, T0);
            b = HealthPolicy.track(b, HealthGate.opened(), T0.plusSeconds(3));
            assertThat(b).isEmpty();
            b = HealthPolicy.track(b, lag, T0.plusSeconds(6));
            b = HealthPolicy.track(b, lag, T0.plusSeconds(9));
            assertThat(b.get().firstSeen()).isEqualTo(T0.plusSeconds(6));
            assertThat(b.get().confirmed(confirmAfter)).isFalse();
        }

        @Test
        void aChangeOfReasonKeepsTheBreachGoing() {
            Optional<Breach> b = HealthPolicy.track(Optional.empty(), lag, T0);
            b = HealthPolicy.track(b, HealthGate.closed(Reason.ProbeFailed, "timeout"), T0.plusSeconds(6));
            assertThat(b.get().reason()).isEqualTo(Reason.ProbeFailed);
            assertThat(b.get().firstSeen()).isEqualTo(T0);
            assertThat(b.get().confirmed(confirmAfter)).isTrue();
        }

        @Test
        void aZeroIntervalConfirmsAtOnceLikeGhOstsCriticalLoadWithoutInterval() {
            Optional<Breach> b = HealthPolicy.track(Optional.empty(), lag, T0);
            assertThat(b.get().confirmed(Duration.ZERO)).isTrue();
        }
    }

    @Nested
    class Status {
        @Test
        void carriesValuesGateAndBlockerButNoBlockerWhenOpen() {
            HealthSnapshot s = quiet()
                    .oldestTransaction(Oldest.of(aged(REPORT, Duration.ofMillis(1234))))
                    .idleInTransaction(Oldest.of(aged(IDLE, Duration.ofMillis(20))))
                    .replica(ReplicaLag.streaming("replica-a", Duration.ofMillis(250), 0L, "streaming"))
                    .connections(2, 3).lockWaiters(0, Duration.ZERO, null).build();
            Assessment a = HealthPolicy.assess(s, defaults(), true);
            HealthStatus h = HealthPolicy.toStatus(s, a);
            assertThat(h.checkedAt).isEqualTo("2026-01-10T02:00:00Z");
            assertThat(h.gate).isEqualTo("Open");
            assertThat(h.oldestTransactionAge).isEqualTo("1.234s");
            assertThat(h.idleInTransactionAge).isEqualTo("20ms");
            assertThat(h.replicationLag).isEqualTo("250ms");
            assertThat(h.laggingReplica).isEqualTo("replica-a");
            assertThat(h.connectionUsage).isEqualTo(0.667);
            assertThat(h.blockedQueries).isZero();
            assertThat(h.blocker).isNull();
        }

        @Test
        void aClosedGateShowsItsReasonAndTheBlockerByCommandAndTable() {
            HealthSnapshot s = quiet().oldestTransaction(Oldest.of(aged(REPORT, Duration.ofMinutes(5)))).build();
            HealthStatus h = HealthPolicy.toStatus(s, HealthPolicy.assess(s, defaults(), true));
            assertThat(h.gate).isEqualTo("LongTransaction");
            assertThat(h.blocker.pid).isEqualTo(4711);
            assertThat(h.blocker.user).isEqualTo("bi");
            assertThat(h.blocker.applicationName).isEqualTo("report");
            assertThat(h.blocker.state).isEqualTo("active");
            assertThat(h.blocker.age).isEqualTo("5m");
            assertThat(h.blocker.statement).isEqualTo("SELECT orders_archive");
            assertThat(h.blocker.query).as("no text unless the operator shows query texts").isNull();
            assertThat(h.oldestTransactionAge).isEqualTo("5m");
        }

        @Test
        void aQueryTextTheOperatorChoseToShowIsTruncated() {
            String longQuery = "SELECT " + "x, ".repeat(100) + "1";
            Blocker b = new Blocker(7, "bi", "report", "active", Duration.ofMinutes(5), "SELECT", longQuery);
            HealthSnapshot s = quiet().oldestTransaction(Oldest.of(b)).build();
            HealthStatus h = HealthPolicy.toStatus(s, HealthPolicy.assess(s, defaults(), true));
            assertThat(h.blocker.query).hasSize(200).startsWith("SELECT x, x,");
            assertThat(HealthPolicy.assess(s, defaults(), true).gate().message()).contains("running SELECT: SELECT x,");
        }

        @Test
        void valuesOnlyWithoutAVerdict() {
            HealthStatus h = HealthPolicy.toStatus(quiet().build());
            assertThat(h.gate).isNull();
            assertThat(h.blocker).isNull();
            assertThat(h.replicationLag).isNull();
            assertThat(h.laggingReplica).isNull();
            assertThat(h.oldestTransactionAge).isEqualTo("0s");
        }
    }

    @Test
    void policyAndSnapshotArePure() {
        JavaClasses classes = new ClassFileImporter().importClasses(HealthPolicy.class, HealthSnapshot.class,
                HealthSnapshot.Blocker.class, HealthSnapshot.Oldest.class, HealthSnapshot.ReplicaLag.class,
                HealthSnapshot.AutovacuumRun.class, HealthSnapshot.Builder.class, HealthPolicy.Breach.class,
                HealthPolicy.Assessment.class, HealthPolicy.Thresholds.class);
        noClasses().should().dependOnClassesThat().resideInAnyPackage("java.sql..", "javax.sql..", "io.fabric8..",
                "io.javaoperatorsdk..", "jakarta..", "org.postgresql..").check(classes);
        noClasses().should().dependOnClassesThat().areAssignableTo(Clock.class).check(classes);
        noClasses().should().callMethod(Instant.class, "now").orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(LocalDateTime.class, "now").orShould().callMethod(System.class, "nanoTime")
                .check(classes);
    }
}
