package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.LocksSpec;
import dev.phasegate.api.Reason;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The lock-queue watchdog against real lock queues in PostgreSQL. */
@WithPostgres
class LockWatchdogIT {
    PostgresDatabase db;
    final List<Connection> open = new ArrayList<>();
    final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void table() throws SQLException {
        exec(connect(), "DROP TABLE IF EXISTS wd; CREATE TABLE wd (id int PRIMARY KEY); INSERT INTO wd VALUES (1)");
    }

    @AfterEach
    void close() throws Exception {
        pool.shutdownNow();
        for (Connection c : open) {
            c.close();
        }
        open.clear();
    }

    /** A value from another session's query: it must never reach a message of ours. */
    private static final String CANARY = "secret-canary@example.com";

    @Test
    void countsTheWholeTreeBehindUsAndCancelsAtMaxBlockedQueries() throws Exception {
        // "Ours" holds SHARE UPDATE EXCLUSIVE (what CIC holds); a foreign ALTER queues behind it and plain
        // SELECTs queue behind the ALTER: the incident's shape. None of the SELECTs waits on us directly.
        Connection ours = connect();
        ours.setAutoCommit(false);
        exec(ours, "LOCK TABLE wd IN SHARE UPDATE EXCLUSIVE MODE");
        int ourPid = pid(ours);
        background("ALTER TABLE wd ADD COLUMN x int");
        for (int i = 0; i < 3; i++) {
            background("SELECT * FROM wd WHERE id::text <> '" + CANARY + "'");
        }
        AtomicInteger cancels = new AtomicInteger();
        LockPolicy policy = policy(4, "1h");
        try (Connection watcher = connect();
                LockWatchdog dog = LockWatchdog.watch(watcher, ourPid, policy, false, line -> { },
                        () -> {
                            cancels.incrementAndGet();
                            cancelBackend(ourPid);
                        })) {
            await().atMost(Duration.ofSeconds(10)).until(() -> dog.breach().isPresent());
            assertThat(dog.breach().get().reason()).isEqualTo(Reason.BlockedQueries);
            assertThat(dog.breach().get().message()).contains("4 session(s)").doesNotContain(CANARY);
            assertThat(cancels).hasValue(1);
        }
    }

    @Test
    void cancelsWhenTheOldestWaiterWaitedMaxBlockedWait() throws Exception {
        Connection ours = connect();
        ours.setAutoCommit(false);
        exec(ours, "LOCK TABLE wd IN ACCESS EXCLUSIVE MODE");
        background("SELECT * FROM wd");
        long start = System.nanoTime();
        try (Connection watcher = connect();
                LockWatchdog dog = LockWatchdog.watch(watcher, pid(ours), policy(100, "1h")
                        .withMaxBlockedWait(Duration.ofMillis(300)), false, line -> { }, () -> { })) {
            await().atMost(Duration.ofSeconds(10)).until(() -> dog.breach().isPresent());
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(dog.breach().get().message()).contains("1 session(s)");
            assertThat(tookMs).as("reacts in well under a second after the limit").isLessThan(300 + 2_000);
        }
    }

    @Test
    void quietWhenNothingWaitsBehindUs() throws Exception {
        Connection ours = connect();
        ours.setAutoCommit(false);
        exec(ours, "LOCK TABLE wd IN ACCESS EXCLUSIVE MODE");
        List<String> reports = new CopyOnWriteArrayList<>();
        try (Connection watcher = connect();
                LockWatchdog dog = LockWatchdog.watch(watcher, pid(ours), policy(1, "1h"), false, reports::add,
                        () -> { })) {
            Thread.sleep(800);
            assertThat(dog.breach()).isEmpty();
            assertThat(reports).isEmpty();
        }
    }

    @Test
    void readsHowLongTheSessionsWaitingForOurRowsHaveWaited() throws Exception {
        // A batch's shape: our transaction holds a row lock (no table lock anyone waits for), another session wants
        // the row, and the wait is read just before our commit.
        Connection ours = connect();
        ours.setAutoCommit(false);
        exec(ours, "UPDATE wd SET id = id WHERE id = 1");
        try (Connection watcher = connect();
                LockWatchdog dog = LockWatchdog.watch(watcher, pid(ours), policy(100, "1h"), false, line -> { },
                        () -> { })) {
            assertThat(dog.longestQueuedWait()).contains(Duration.ZERO);
            long start = System.nanoTime();
            background("UPDATE wd SET id = id WHERE id = 1");
            await().atMost(Duration.ofSeconds(10)).until(() -> dog.longestQueuedWait()
                    .filter(d -> d.compareTo(Duration.ofMillis(300)) >= 0).isPresent());
            Duration waited = dog.longestQueuedWait().orElseThrow();
            assertThat(waited).isLessThanOrEqualTo(Duration.ofNanos(System.nanoTime() - start));
            assertThat(dog.mostQueued()).isEqualTo(1);
            assertThat(dog.breach()).isEmpty();
        }
        ours.rollback();
    }

    @Test
    void boundsAConcurrentIndexBuildWaitingForAnOldSnapshotAndNamesTheLockerWithoutItsLiterals() throws Exception {
        Connection old = connect();
        exec(old, "SET application_name = 'analytics'");
        old.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        old.setAutoCommit(false);
        int oldPid = pid(old);
        exec(old, "SELECT count(*) FROM pg_class WHERE relname <> '" + CANARY + "'");
        Connection ours = connect();
        int ourPid = pid(ours);
        List<String> reports = new CopyOnWriteArrayList<>();
        var build = pool.submit(() -> {
            exec(ours, "CREATE INDEX CONCURRENTLY wd_idx ON wd (id)");
            return null;
        });
        try (Connection watcher = connect();
                LockWatchdog dog = LockWatchdog.watch(watcher, ourPid, policy(100, "1s"), true, reports::add,
                        () -> cancelBackend(ourPid))) {
            await().atMost(Duration.ofSeconds(15)).until(() -> dog.breach().isPresent());
            assertThat(dog.breach().get().reason()).isEqualTo(Reason.IndexBuildWaitExceeded);
            assertThat(dog.breach().get().message()).contains("pid " + oldPid, "running SELECT pg_class")
                    .doesNotContain(CANARY);
            assertThat(reports).anySatisfy(r -> assertThat(r).contains("waiting for", "analytics"));
            assertThat(reports).allSatisfy(r -> assertThat(r).doesNotContain(CANARY));
        }
        await().atMost(Duration.ofSeconds(10)).until(build::isDone);
    }

    private LockPolicy policy(int maxBlocked, String indexWait) {
        LocksSpec l = new LocksSpec();
        l.maxBlockedQueries = maxBlocked;
        l.maxBlockedWait = "1h";
        l.indexBuildMaxWait = indexWait;
        return LockPolicy.from(l);
    }

    private void background(String sql) throws SQLException {
        Connection c = connect();
        pool.submit(() -> {
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            } catch (SQLException expected) {
                // cancelled or ended with the test
            }
        });
    }

    private void cancelBackend(int pid) {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_cancel_backend(" + pid + ")");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private Connection connect() throws SQLException {
        Connection c = db.connect();
        open.add(c);
        return c;
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
