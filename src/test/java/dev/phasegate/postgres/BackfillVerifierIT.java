package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phasegate.api.BackfillSpec;
import dev.phasegate.api.Reason;
import dev.phasegate.engine.HealthGate;
import dev.phasegate.engine.StepObservation;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The consistency check before Cleanup against a real PostgreSQL, starting with the hazard it exists for. */
@WithPostgres
class BackfillVerifierIT {
    PostgresDatabase db;

    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(30, TimeUnit.SECONDS);
    }

    /**
     * During the rollout new pods write price and price_cents, old pods only price. A row that new code wrote and old
     * code then updated keeps a non-NULL, stale price_cents: the IS NULL guard skips it, the check finds it, and a
     * re-run with a DISTINCT FROM guard fixes it.
     */
    @Test
    void rowsOldCodeUpdatedAfterNewCodeAreFoundAndADistinctFromGuardFixesThem() throws Exception {
        exec("CREATE TABLE shop_items (id bigint PRIMARY KEY, price numeric(10,2) NOT NULL)",
                "INSERT INTO shop_items SELECT g, g % 500 + 0.99 FROM generate_series(1, 10000) g",
                "ALTER TABLE shop_items ADD COLUMN price_cents bigint");
        // The two versions of the application, interleaved: new code first touches a row, old code then may too.
        List<Long> touchedByNew = new CopyOnWriteArrayList<>();
        CountDownLatch newStarted = new CountDownLatch(20);
        Future<?> newCode = pool.submit(() -> {
            try (Connection c = app("orders-api:2.0");
                    PreparedStatement ps = c.prepareStatement(
                            "UPDATE shop_items SET price = ?, price_cents = round(? * 100) WHERE id = ?")) {
                for (int i = 0; i < 400; i++) {
                    long id = ThreadLocalRandom.current().nextLong(1, 10001);
                    double price = ThreadLocalRandom.current().nextInt(100, 10000) / 100.0;
                    ps.setDouble(1, price);
                    ps.setDouble(2, price);
                    ps.setLong(3, id);
                    ps.executeUpdate();
                    touchedByNew.add(id);
                    newStarted.countDown();
                }
            }
            return null;
        });
        Future<?> oldCode = pool.submit(() -> {
            newStarted.await(30, TimeUnit.SECONDS);
            try (Connection c = app("orders-api:1.9");
                    PreparedStatement ps = c.prepareStatement("UPDATE shop_items SET price = price + 1 WHERE id = ?")) {
                for (int i = 0; i < 150; i++) {
                    List<Long> seen = new ArrayList<>(touchedByNew);
                    ps.setLong(1, seen.get(ThreadLocalRandom.current().nextInt(seen.size())));
                    ps.executeUpdate();
                }
            }
            return null;
        });
        newCode.get(60, TimeUnit.SECONDS);
        oldCode.get(60, TimeUnit.SECONDS);
        long stale = queryLong("SELECT count(*) FROM shop_items WHERE price_cents IS DISTINCT FROM round(price * 100)"
                + " AND price_cents IS NOT NULL");
        assertThat(stale).as("the interleaving left stale rows").isGreaterThan(0);
        List<String> firstStale = queryKeys("SELECT id::text AS key FROM shop_items WHERE price_cents IS DISTINCT FROM"
                + " round(price * 100) AND price_cents IS NOT NULL ORDER BY id LIMIT 5");

        BackfillSpec naive = BackfillerIT.spec("shop_items", "id", "price_cents = round(price * 100)",
                "price_cents IS NULL", 1000, 100, 100_000, "200ms");
        assertThat(backfill(naive)).isInstanceOf(StepObservation.Completed.class);

        StepObservation.Verified found = verify(naive);
        assertThat(found.counted()).as(String.valueOf(found.message())).isTrue();
        assertThat(found.mismatchedRows()).isEqualTo(stale);
        assertThat(found.exampleKeys()).containsExactlyElementsOf(firstStale);
        assertThat(found.compared()).isEqualTo("price_cents IS DISTINCT FROM (round(price * 100))");

        BackfillSpec fixed = BackfillerIT.spec("shop_items", "id", naive.set, found.compared(), 1000, 100, 100_000,
                "200ms");
        assertThat(backfill(fixed)).isInstanceOf(StepObservation.Completed.class);
        StepObservation.Verified after = verify(fixed);
        assertThat(after.counted()).isTrue();
        assertThat(after.mismatchedRows()).isZero();
        assertThat(after.exampleKeys()).isEmpty();
        assertThat(queryLong("SELECT count(*) FROM shop_items WHERE price_cents IS DISTINCT FROM round(price * 100)"))
                .isZero();
    }

    /** Only AccessShare: a session holding EXCLUSIVE (which blocks every writer, not readers) does not stop it. */
    @Test
    void takesNoLockAWriterWouldTakeAndWritesNothing() throws Exception {
        exec("CREATE TABLE ro_items (id int PRIMARY KEY, a int, a2 int)",
                "INSERT INTO ro_items SELECT g, g, g * 2 FROM generate_series(1, 3000) g",
                "UPDATE ro_items SET a2 = 0 WHERE id IN (7, 2999)",
                "CREATE SEQUENCE ro_seq");
        try (Connection holder = db.connect(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("LOCK TABLE ro_items IN EXCLUSIVE MODE");
            StepObservation.Verified v = verify(BackfillerIT.spec("ro_items", "id", "a2 = a * 2", "a2 IS NULL", 500,
                    100, 100_000, "200ms"));
            assertThat(v.counted()).as(String.valueOf(v.message())).isTrue();
            assertThat(v.mismatchedRows()).isEqualTo(2);
            assertThat(v.exampleKeys()).containsExactly("7", "2999");
            holder.rollback();
        }
        StepObservation.Verified writing = verify(BackfillerIT.spec("ro_items", "id", "a2 = nextval('ro_seq')",
                "a2 IS NULL", 500, 100, 100_000, "200ms"));
        assertThat(writing.counted()).isFalse();
        assertThat(writing.message()).contains("read-only");
        assertThat(queryLong("SELECT last_value FROM ro_seq")).isEqualTo(1);
        assertThat(queryLong("SELECT is_called::int FROM ro_seq")).as("nextval never ran").isZero();
    }

    /** The comparison sees what the assignment stored: numeric 100.5 assigned to an integer column is 101. */
    @Test
    void comparesEveryTargetAfterTheAssignmentsCast() throws Exception {
        exec("CREATE TABLE cast_items (id bigint PRIMARY KEY, price numeric(10,3), cents int, \"Label\" text)",
                "INSERT INTO cast_items SELECT g, 1.005, 101, 'p' || g FROM generate_series(1, 2000) g",
                "UPDATE cast_items SET \"Label\" = 'stale' WHERE id = 1500");
        StepObservation.Verified v = verify(BackfillerIT.spec("cast_items", "id",
                "cents = price * 100, \"Label\" = 'p' || id", "cents IS NULL", 300, 100, 100_000, "200ms"));
        assertThat(v.counted()).as(String.valueOf(v.message())).isTrue();
        assertThat(v.mismatchedRows()).isEqualTo(1);
        assertThat(v.exampleKeys()).containsExactly("1500");
        assertThat(v.compared()).isEqualTo("cents IS DISTINCT FROM (price * 100) OR \"Label\" IS DISTINCT FROM"
                + " ('p' || id)");
    }

    @Test
    void aSetItCannotCompareIsReportedNotCounted() throws Exception {
        exec("CREATE TABLE odd_items (id int PRIMARY KEY, a int, b int)");
        StepObservation.Verified multi = verify(BackfillerIT.spec("odd_items", "id", "(a, b) = (1, 2)", "a IS NULL",
                100, 100, 100_000, "200ms"));
        assertThat(multi.counted()).isFalse();
        assertThat(multi.failure()).isEqualTo(Reason.Inconsistent);
        assertThat(multi.retryable()).isFalse();
        assertThat(multi.message()).contains("one column per assignment");

        StepObservation.Verified missing = verify(BackfillerIT.spec("odd_items", "id", "nosuch = a", "a IS NULL",
                100, 100, 100_000, "200ms"));
        assertThat(missing.counted()).isFalse();
        assertThat(missing.message()).contains("nosuch", "odd_items");

        StepObservation.Verified typo = verify(BackfillerIT.spec("odd_items", "id", "b = a +* 2", "b IS NULL",
                100, 100, 100_000, "200ms"));
        assertThat(typo.counted()).isFalse();
        assertThat(typo.message()).contains("does not prepare");
    }

    @Test
    void anEmptyTableHasNothingToDisagree() throws Exception {
        exec("CREATE TABLE empty_items (id int PRIMARY KEY, a int, a2 int)");
        StepObservation.Verified v = verify(BackfillerIT.spec("empty_items", "id", "a2 = a * 2", "a2 IS NULL", 100,
                100, 100_000, "200ms"));
        assertThat(v.counted()).isTrue();
        assertThat(v.mismatchedRows()).isZero();
    }

    // ------------------------------------------------------------------ helpers

    private StepObservation backfill(BackfillSpec spec) {
        return new Backfiller().run(new Backfiller.BackfillRequest("verify-it-" + spec.table, "shop/" + spec.table,
                () -> spec, connection(), session(), locks()), (running, progress) -> {
                }, new StepControl(), HealthGate::opened);
    }

    private StepObservation.Verified verify(BackfillSpec spec) {
        List<StepObservation.Running> progress = new CopyOnWriteArrayList<>();
        StepObservation.Verified v = new BackfillVerifier().run(new BackfillVerifier.VerifyRequest("shop/" + spec.table,
                spec, connection(), session(), locks()), progress::add, new StepControl(), HealthGate::opened);
        if (v.counted()) {
            assertThat(progress).as("reports progress").isNotEmpty();
        }
        return v;
    }

    private ConnectionSettings connection() {
        return new ConnectionSettings(db.jdbcUrl(), db.user(), db.password());
    }

    private static SessionSettings session() {
        return SessionSettings.forMigration("shop", "verify", Duration.ofMillis(500), Duration.ofMinutes(2));
    }

    private static LockPolicy locks() {
        LockPolicy d = LockPolicy.from(null);
        return new LockPolicy(d.lockTimeout(), d.statementTimeout(), 3, Duration.ofMillis(20),
                Duration.ofMillis(200), d.indexBuildMaxWait(), d.maxBlockedQueries(), d.maxBlockedWait());
    }

    private Connection app(String name) throws SQLException {
        Connection c = db.connect();
        try (Statement s = c.createStatement()) {
            s.execute("SET application_name = '" + name + "'");
        }
        return c;
    }

    private void exec(String... sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    private long queryLong(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    private List<String> queryKeys(String sql) throws SQLException {
        List<String> keys = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        }
        return keys;
    }
}
