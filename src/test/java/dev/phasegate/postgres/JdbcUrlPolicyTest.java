package dev.phasegate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class JdbcUrlPolicyTest {
    private static final String BASE = "jdbc:postgresql://orders-db.shop.svc:5432/orders";
    private static final String CANARY = "Canary-Pw-4711";
    private final JdbcUrlPolicy any = JdbcUrlPolicy.anyHost();

    @ParameterizedTest
    @ValueSource(strings = {
        BASE,
        "jdbc:postgresql://orders-db/orders",
        "jdbc:postgresql://10.0.0.7:6432/orders",
        "jdbc:postgresql://[::1]:5432/orders",
        "jdbc:postgresql://a:5432,b:5433/orders?targetServerType=primary&loadBalanceHosts=false",
        BASE + "?sslmode=verify-full&sslrootcert=/etc/phasegate/ca.crt",
        BASE + "?ssl=true&sslcert=/certs/client.crt&sslkey=/certs/client.pk8&channelBinding=require",
        BASE + "?connectTimeout=5&loginTimeout=10&socketTimeout=0&tcpKeepAlive=true&hostRecheckSeconds=30",
        BASE + "?sslrootcert=%2Fetc%2Fssl%2Fca.pem",
        BASE + "?&sslmode=require&",
    })
    void acceptsTheAllowedShape(String url) {
        assertThat(any.check(url)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"socketFactory", "socketFactoryArg", "sslfactory", "sslfactoryarg",
        "sslhostnameverifier", "sslpasswordcallback", "authenticationPluginClassName", "loggerFile", "loggerLevel",
        "options", "user", "password", "sslpassword", "ApplicationName", "currentSchema", "service", "host", "port",
        "dbname", "preferQueryMode", "logServerErrorDetail", "jaasLogin", "gsslib", "sslResponseTimeout"})
    void refusesEveryOtherParameterByName(String name) {
        Optional<String> refused = any.check(BASE + "?sslmode=require&" + name + "=" + CANARY);
        assertThat(refused).hasValueSatisfying(r -> assertThat(r).contains("'" + name + "'", "not allowed")
                .doesNotContain(CANARY));
    }

    @ParameterizedTest
    @CsvSource({"SocketFactory", "SOCKETFACTORY", "sslFactory", "Password", "OPTIONS", "SSLMode", "sslMode"})
    void refusesOtherSpellingsToo(String name) {
        Optional<String> refused = any.check(BASE + "?" + name + "=" + CANARY);
        assertThat(refused).hasValueSatisfying(r -> assertThat(r).contains("'" + name + "'").doesNotContain(CANARY));
    }

    @Test
    void pgjdbcLetsTheUrlOverrideTheSessionSettingsPhasegatePasses() {
        // Why options must be refused: Sessions passes lock_timeout in "options", and the URL's value wins.
        java.util.Properties ours = new java.util.Properties();
        ours.setProperty("options", "-c lock_timeout=500");
        String hostile = BASE + "?options=-c%20lock_timeout%3D0";
        assertThat(org.postgresql.Driver.parseURL(hostile, ours).getProperty("options")).isEqualTo("-c lock_timeout=0");
        assertThat(any.check(hostile)).hasValueSatisfying(r -> assertThat(r).contains("'options'"));
    }

    @Test
    void saysWhenASpellingWouldBeIgnored() {
        assertThat(any.check(BASE + "?SSLMode=verify-full")).hasValueSatisfying(r -> assertThat(r)
                .contains("'SSLMode'", "only as 'sslmode'", "would ignore"));
    }

    @Test
    void aPercentEncodedNameIsNotDecodedIntoAnAllowedOne() {
        // pgjdbc does not decode names, so "%73slmode" would be an unknown, ignored parameter: refused.
        assertThat(any.check(BASE + "?%73slmode=disable")).isPresent();
        assertThat(any.check(BASE + "?socket%46actory=x")).isPresent();
    }

    @Test
    void anUnknownNameIsNotQuotedSinceItMightBeAPastedSecret() {
        Optional<String> refused = any.check(BASE + "?sslmode=require&" + CANARY);
        assertThat(refused).hasValueSatisfying(r -> assertThat(r).contains("parameter 2 of the query string")
                .doesNotContain(CANARY));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "sslmode=" + CANARY + "            | disable, allow",
        "sslmode=VERIFY-FULL               | verify-full",
        "connectTimeout=0                  | 1 to 300",
        "loginTimeout=" + CANARY + "       | 1 to 300",
        "socketTimeout=-1                  | 0 to 86400",
        "sslkey=relative/key.pk8           | absolute",
        "sslrootcert=/etc/../root/ca       | absolute",
        "sslcert=/certs/%00x               | absolute",
        "targetServerType=" + CANARY + "   | primary",
        "sslmode=%zz                       | URL encoding",
    })
    void checksValuesWithoutRepeatingThem(String parameter, String expected) {
        assertThat(any.check(BASE + "?" + parameter)).hasValueSatisfying(r -> assertThat(r).contains(expected)
                .doesNotContain(CANARY));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "jdbc:mysql://h/db",
        "jdbc:postgresql:orders",
        "jdbc:postgresql:///orders",
        "jdbc:postgresql://h",
        "jdbc:postgresql://h/",
        "jdbc:postgresql://h:99999/orders",
        "jdbc:postgresql://h:5432x/orders",
        "jdbc:postgresql://migrator:" + CANARY + "@h/orders",
        "jdbc:postgresql://h/orders?sslmode=require#" + CANARY,
        "jdbc:postgresql://h/orders?sslmode=require " + CANARY,
        "jdbc:postgresql://h,/orders",
    })
    void refusesOtherShapesWithoutEchoingThem(String url) {
        assertThat(any.check(url)).hasValueSatisfying(r -> assertThat(r).doesNotContain(CANARY)
                .doesNotContain("migrator"));
    }

    @Test
    void allowedHostsRestrictEveryHostOfTheUrl() {
        JdbcUrlPolicy shop = JdbcUrlPolicy.allowingHosts(List.of("*.shop.svc", " 10.1.* ", ""));
        assertThat(shop.check(BASE)).isEmpty();
        assertThat(shop.check("jdbc:postgresql://ORDERS-DB.SHOP.SVC/orders")).isEmpty();
        assertThat(shop.check("jdbc:postgresql://10.1.2.3:5432/orders")).isEmpty();
        assertThat(shop.check("jdbc:postgresql://billing-db.billing.svc/orders")).hasValueSatisfying(r ->
                assertThat(r).contains("the host", "phasegate.database.allowed-hosts"));
        assertThat(shop.check("jdbc:postgresql://a.shop.svc,metadata.internal/orders")).hasValueSatisfying(r ->
                assertThat(r).contains("host 2 of 2"));
        assertThat(shop.check("jdbc:postgresql://shop.svc.evil/orders")).isPresent();
        assertThat(JdbcUrlPolicy.allowingHosts(List.of()).check("jdbc:postgresql://anywhere/orders")).isEmpty();
    }
}
