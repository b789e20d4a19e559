package dev.phasegate.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.phasegate.api.MigrationPhase;
import dev.phasegate.kube.SchemaMigrationReconciler;
import dev.phasegate.postgres.RunnerLock;
import dev.phasegate.testing.KubeFixtures;
import dev.phasegate.testing.OperatorHarness;
import dev.phasegate.testing.PostgresDatabase;
import dev.phasegate.testing.WithPostgres;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's Prometheus text during a real migration (real PostgreSQL, the reconciler on the mock API server,
 * the registry wired as the application wires it): runner-lock contention, lock-timeout retries, watchdog cancels,
 * a health gate that closes, a backfill, a statement that fails. Scraped every 100 ms throughout, it must stay at a
 * few series per migration (JOSDK's per-resource metrics were 79), vanish when a migration succeeds or is deleted,
 * and carry every metric the dashboard and the alerts query.
 */
@WithPostgres
class MetricsScrapeIT {
    /** The most series one migration may have at any scrape (24 measured in its backfill; docs/observability.md). */
    static final int MAX_SERIES_PER_MIGRATION = 26;
    static final String NS = "metrics";

    static OperatorHarness kube;
    static KubeFixtures fx;
    static PostgresDatabase db;
    static final PrometheusMeterRegistry REGISTRY = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    static final Set<String> SEEN = ConcurrentHashMap.newKeySet();
    static final Map<String, Integer> MOST_SERIES = new ConcurrentHashMap<>();
    static final AtomicBoolean SCRAPING = new AtomicBoolean(true);
    static Thread scraper;

    @BeforeAll
    static void start(PostgresDatabase database) {
        db = database;
        kube = new OperatorHarness().start(Clock.systemUTC(),
                new SchemaMigrationReconciler.Options(Duration.ofMillis(100), Duration.ofMillis(500)), REGISTRY);
        fx = new KubeFixtures(kube.client());
        scraper = new Thread(() -> {
            while (SCRAPING.get()) {
                scrape();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "scraper");
        scraper.setDaemon(true);
        scraper.start();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        SCRAPING.set(false);
        scraper.join();
        kube.close();
    }

    /** One scrape: remembers every series name and the most series each migration had. */
    static String scrape() {
        String text = REGISTRY.scrape();
        SEEN.addAll(ObservabilityFiles.scrapedNames(text));
        Map<String, Integer> perMigration = new ConcurrentHashMap<>();
        text.lines().filter(l -> !l.startsWith("#") && l.contains("migration=\""))
                .forEach(l -> perMigration.merge(label(l, "migration"), 1, Integer::sum));
        perMigration.forEach((m, n) -> MOST_SERIES.merge(m, n, Math::max));
        return text;
    }

    static long seriesOf(String text, String migration) {
        return text.lines().filter(l -> !l.startsWith("#") && l.contains("migration=\"" + migration + "\"")).count();
    }

    @Test
    void aRealRunExportsWhatTheDashboardAndAlertsQueryInAFewSeriesPerMigration() throws Exception {
        sql("CREATE TABLE ms (id bigint PRIMARY KEY, v int);"
                + " INSERT INTO ms SELECT g, g FROM generate_series(1, 3000) g");
        fx.secret(NS, "db", db);
        try (Connection runner = db.connect(); Connection holder = db.connect(); Statement r = runner.createStatement();
                Statement h = holder.createStatement()) {
            // Another runner holds the database's runner lock: the step does not start.
            r.execute("SELECT pg_advisory_lock(" + RunnerLock.KEY + ")");
            fx.migration(NS, """
                    apiVersion: phasegate.dev/v1alpha1
                    kind: SchemaMigration
                    metadata: {name: ms-ok}
                    spec:
                      database: {secretRef: {name: db}}
                      compatibleSchema:
                        sql: ALTER TABLE ms ADD COLUMN note text;
                        rollbackSql: ALTER TABLE ms DROP COLUMN IF EXISTS note;
                      backfill: {table: ms, keyColumn: id, set: "note = 'n' || id", where: "note IS NULL",
                                 batchSize: 100, pauseBetweenBatches: 30ms}
                      cleanup: {sql: "COMMENT ON TABLE ms IS 'backfilled'"}
                      health: {maxIdleInTransaction: 1h}
                      locks: {lockTimeout: 300ms, maxBlockedQueries: 1, maxBlockedWait: 100ms, retries: 100}
                    """);
            awaitSeries("phasegate_runner_lock_busy_total", "ms-ok");
            // While it waits for the runner lock its health gate is watched: a session queued on the table closes it.
            awaitSeries("phasegate_health_gate_open", "ms-ok", " 1.0");
            holder.setAutoCommit(false);
            h.execute("LOCK TABLE ms IN ACCESS EXCLUSIVE MODE");
            AtomicBoolean once = new AtomicBoolean(true);
            Thread queued = reads(() -> once.getAndSet(false));
            try {
                awaitSeries("phasegate_health_gate_closures_total", "ms-ok");
            } finally {
                holder.commit();
                queued.join();
            }
            // Now an application transaction holds a lock the ALTER needs: lock_timeout, back off, retry.
            h.execute("LOCK TABLE ms IN ACCESS SHARE MODE");
            r.execute("SELECT pg_advisory_unlock(" + RunnerLock.KEY + ")");
            awaitSeries("phasegate_lock_timeout_retries_total", "ms-ok");
            // And application reads queue behind the waiting ALTER: the watchdog cancels it.
            AtomicBoolean reading = new AtomicBoolean(true);
            Thread app = reads(reading::get);
            try {
                awaitSeries("phasegate_watchdog_cancels_total", "ms-ok");
            } finally {
                reading.set(false);
                app.join();
                holder.commit();
            }
        }
        fx.awaitStatus(NS, "ms-ok", s -> s.phase == MigrationPhase.Succeeded || s.phase == MigrationPhase.Failed,
                Duration.ofSeconds(120));
        assertThat(fx.get(NS, "ms-ok").getStatus().phase).isEqualTo(MigrationPhase.Succeeded);
        assertThat(count("SELECT count(*) FROM ms WHERE note = 'n' || id")).isEqualTo(3000);

        // A statement that fails on the data (not caught by the syntax check).
        fx.migration(NS, """
                apiVersion: phasegate.dev/v1alpha1
                kind: SchemaMigration
                metadata: {name: ms-bad}
                spec:
                  database: {secretRef: {name: db}}
                  compatibleSchema: {sql: "ALTER TABLE ms ADD CONSTRAINT ms_neg CHECK (id < 0);"}
                """);
        awaitSeries("phasegate_statements_failed_total", "ms-bad");

        String text = scrape();
        assertThat(seriesOf(text, "ms-ok")).as("a succeeded migration is forgotten").isZero();
        assertThat(MOST_SERIES.get("ms-ok")).as("most series of the migration at any scrape: %s", MOST_SERIES)
                .isLessThanOrEqualTo(MAX_SERIES_PER_MIGRATION);
        assertThat(text.lines().filter(l -> !l.startsWith("#") && l.contains("ms-ok"))
                .filter(l -> !l.startsWith("phasegate_")))
                .as("no framework series per resource (JOSDK at controller level only)").isEmpty();

        Set<String> queried = new TreeSet<>();
        ObservabilityFiles.dashboardQueries().forEach(q -> queried.addAll(ObservabilityFiles.metricNames(q)));
        ObservabilityFiles.alertExpressions().values().forEach(q -> queried.addAll(ObservabilityFiles.metricNames(q)));
        assertThat(queried).as("what the dashboard and the alerts query").hasSizeGreaterThan(10);
        assertThat(SEEN).as("series names scraped during the run").containsAll(queried);

        assertThat(seriesOf(text, "ms-bad")).as("a live migration has its series").isPositive();
        fx.delete(NS, "ms-bad");
        await().atMost(Duration.ofSeconds(10)).until(() -> seriesOf(scrape(), "ms-bad") == 0);
        System.out.printf("most series per migration: %s%n", MOST_SERIES);
    }

    /** An application session that reads a row of ms while more() says so, on its own thread. */
    static Thread reads(java.util.function.BooleanSupplier more) {
        Thread t = new Thread(() -> {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                while (more.getAsBoolean()) {
                    s.execute("SELECT v FROM ms WHERE id = 7");
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        t.start();
        return t;
    }

    /** Waits until a scrape has the metric for the migration. */
    static void awaitSeries(String metric, String migration) {
        awaitSeries(metric, migration, "");
    }

    /** Waits until a scrape has the metric for the migration, on a line that ends with valueSuffix. */
    static void awaitSeries(String metric, String migration, String valueSuffix) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).alias(metric + " of " + migration)
                .until(() -> scrape().lines().anyMatch(l -> l.startsWith(metric)
                        && l.contains("migration=\"" + migration + "\"") && l.endsWith(valueSuffix)));
    }

    static String label(String line, String name) {
        int at = line.indexOf(name + "=\"") + name.length() + 2;
        return line.substring(at, line.indexOf('"', at));
    }

    static void sql(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static long count(String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
