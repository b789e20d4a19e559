package dev.phasegate.purityfixture;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Date;
import java.util.Random;
import java.util.UUID;

/** Test-only classes that each break one engine purity rule, so EnginePurityTest can prove its rules bite. */
public final class Violations {
    private Violations() {
    }

    /** Depends on JDBC. */
    public static class UsesJdbc {
        java.sql.Connection connection;
    }

    /** Depends on javax.sql. */
    public static class UsesJavaxSql {
        javax.sql.DataSource dataSource;
    }

    /** Depends on the Fabric8 client. */
    public static class UsesFabric8 {
        io.fabric8.kubernetes.client.KubernetesClient client;
    }

    /** Depends on the Java Operator SDK. */
    public static class UsesOperatorSdk {
        io.javaoperatorsdk.operator.api.reconciler.Context<?> context;
    }

    /** Depends on Jakarta. */
    public static class UsesJakarta {
        void use(jakarta.inject.Provider<String> provider) {
            provider.get();
        }
    }

    /** Depends on the PostgreSQL driver. */
    public static class UsesPostgresDriver {
        org.postgresql.PGConnection connection;
    }

    /** Depends on phasegate's database adapter. */
    public static class UsesPhasegatePostgres {
        dev.phasegate.postgres.LockPolicy policy;
    }

    /** Depends on phasegate's Kubernetes adapter. */
    public static class UsesPhasegateKube {
        Object observe() {
            return dev.phasegate.kube.DeploymentObserver.observe(null, null, null);
        }
    }

    /** Reads the clock through Instant.now(). */
    public static class ReadsInstantNow {
        Instant now() {
            return Instant.now();
        }
    }

    /** Reads the clock through System.currentTimeMillis(). */
    public static class ReadsCurrentTimeMillis {
        long now() {
            return System.currentTimeMillis();
        }
    }

    /** Reads the clock through System.nanoTime(). */
    public static class ReadsNanoTime {
        long now() {
            return System.nanoTime();
        }
    }

    /** Reads the clock through LocalDateTime.now(). */
    public static class ReadsLocalDateTimeNow {
        LocalDateTime now() {
            return LocalDateTime.now();
        }
    }

    /** Reads the clock through ZonedDateTime.now(zone). */
    public static class ReadsZonedDateTimeNow {
        ZonedDateTime now() {
            return ZonedDateTime.now(ZoneId.of("Europe/Berlin"));
        }
    }

    /** Reads the clock through Clock.systemUTC(). */
    public static class ReadsSystemClock {
        Clock clock() {
            return Clock.systemUTC();
        }
    }

    /** Reads the clock through new Date(). */
    public static class ConstructsDate {
        Date now() {
            return new Date();
        }
    }

    /** Draws random numbers. */
    public static class UsesRandom {
        int roll() {
            return new Random().nextInt(6);
        }
    }

    /** Draws a random UUID. */
    public static class UsesRandomUuid {
        UUID id() {
            return UUID.randomUUID();
        }
    }

    /** Draws from Math.random(). */
    public static class UsesMathRandom {
        double jitter() {
            return Math.random();
        }
    }

    /** Uses time only as values: allowed. */
    public static class PureTimeArithmetic {
        Instant later(Instant now) {
            return now.plus(Duration.parse("PT5S"));
        }

        Date epoch() {
            return new Date(0L);
        }

        ZonedDateTime local(Instant now) {
            return now.atZone(ZoneId.of("Europe/Berlin"));
        }
    }
}
