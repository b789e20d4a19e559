package dev.phasegate.postgres;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.postgresql.PGProperty;

/**
 * Which JDBC URLs the operator connects to. The URL comes from a Secret that any user of the namespace may write,
 * and pgjdbc gives URL parameters precedence over the properties phasegate sets; so a parameter can instantiate a
 * class in the operator ({@code socketFactory}, {@code sslfactory}, {@code sslhostnameverifier},
 * {@code sslpasswordcallback}, {@code authenticationPluginClassName}: CVE-2022-21724), read files
 * ({@code service} reads pg_service.conf), lift phasegate's session bounds ({@code options=-c
 * lock_timeout=0}, {@code currentSchema}) or move the connection elsewhere ({@code host}, {@code port}). Only the
 * parameters listed in {@link #ALLOWED} pass, with their values checked; every other one is refused, including the
 * ones pgjdbc would silently ignore (a misspelt {@code SSLMode} that leaves TLS off).
 */
public final class JdbcUrlPolicy {

    private static final String PREFIX = "jdbc:postgresql://";

    /**
     * The parameters a Secret may set, each with the values it may take. Why each is safe:
     * <ul>
     * <li>{@code ssl}, {@code sslmode}, {@code channelBinding}: how much TLS and SCRAM channel binding to insist on;
     * they choose among pgjdbc's own implementations, never load a class;</li>
     * <li>{@code sslrootcert}, {@code sslcert}, {@code sslkey}: certificate files, as absolute paths in the
     * operator's file system (the README says which files to mount and why every namespace can name them);</li>
     * <li>{@code connectTimeout}, {@code loginTimeout} (1 to 300 s: 0 would wait forever and hold a probe thread
     * that other migrations share), {@code socketTimeout} (0 to 86400 s);</li>
     * <li>{@code targetServerType}, {@code loadBalanceHosts}, {@code hostRecheckSeconds}: which of the URL's hosts
     * to use; all of them pass the host check;</li>
     * <li>{@code tcpKeepAlive}: a socket option.</li>
     * </ul>
     * Refused on purpose, besides the class and file parameters above: {@code user} and {@code password}
     * (credentials come from the Secret's keys, and a URL is shown in more places than a password key);
     * {@code sslpassword} (the same, for the client key's passphrase); {@code options}, {@code currentSchema},
     * {@code ApplicationName}, {@code preferQueryMode}, {@code readOnly} (phasegate sets the session itself);
     * {@code loggerFile}, {@code loggerLevel} (wrote files before 42.3.3, ignored now); GSS and Kerberos parameters
     * (they would authenticate with the operator's own tickets).
     */
    static final Map<String, Predicate<String>> ALLOWED = Map.ofEntries(
            Map.entry("ssl", oneOf("true", "false")),
            Map.entry("sslmode", oneOf("disable", "allow", "prefer", "require", "verify-ca", "verify-full")),
            Map.entry("channelBinding", oneOf("disable", "prefer", "require")),
            Map.entry("sslrootcert", JdbcUrlPolicy::absolutePath),
            Map.entry("sslcert", JdbcUrlPolicy::absolutePath),
            Map.entry("sslkey", JdbcUrlPolicy::absolutePath),
            Map.entry("connectTimeout", seconds(1, 300)),
            Map.entry("loginTimeout", seconds(1, 300)),
            Map.entry("socketTimeout", seconds(0, 86_400)),
            Map.entry("targetServerType", oneOf("any", "primary", "master", "secondary", "slave", "preferSecondary",
                    "preferSlave", "preferPrimary")),
            Map.entry("loadBalanceHosts", oneOf("true", "false")),
            Map.entry("hostRecheckSeconds", seconds(0, 86_400)),
            Map.entry("tcpKeepAlive", oneOf("true", "false")));

    /** Names a refusal may quote: pgjdbc's and libpq's parameter names. Anything else might be a pasted secret. */
    private static final Set<String> KNOWN_NAMES = knownNames();

    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]+(%[A-Za-z0-9]+)?]");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    private final List<Pattern> allowedHosts;
    private final List<String> allowedHostGlobs;

    private JdbcUrlPolicy(List<String> globs) {
        this.allowedHostGlobs = List.copyOf(globs);
        List<Pattern> patterns = new ArrayList<>();
        for (String g : globs) {
            patterns.add(glob(g));
        }
        this.allowedHosts = List.copyOf(patterns);
    }

    /** Any host; the parameters are still checked. */
    public static JdbcUrlPolicy anyHost() {
        return new JdbcUrlPolicy(List.of());
    }

    /**
     * Only hosts matching one of these globs ({@code *} matches any run of characters, case-insensitively:
     * {@code *.db.svc.cluster.local}, {@code 10.20.*}); an empty list allows any host. Globs match the names as
     * written in the URL, not the addresses DNS resolves them to.
     */
    public static JdbcUrlPolicy allowingHosts(List<String> globs) {
        List<String> kept = new ArrayList<>();
        for (String g : globs == null ? List.<String>of() : globs) {
            if (g != null && !g.isBlank()) {
                kept.add(g.strip());
            }
        }
        return new JdbcUrlPolicy(kept);
    }

    /**
     * Why phasegate will not connect to {@code url}, or empty when it will. The reason names the offending part (a
     * parameter's name, a host's position) and never repeats a value from the URL, which may hold a password.
     */
    public Optional<String> check(String url) {
        if (url == null || !url.startsWith(PREFIX)) {
            return Optional.of("must start with " + PREFIX);
        }
        for (int i = 0; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c <= ' ' || c == 0x7f || c == '#' || c == '\\') {
                return Optional.of("contains a space, control character, '#' or '\\' (at position " + i + ")");
            }
        }
        String rest = url.substring(PREFIX.length());
        int q = rest.indexOf('?');
        String server = q < 0 ? rest : rest.substring(0, q);
        int slash = server.indexOf('/');
        if (slash < 0) {
            return Optional.of("needs a database: jdbc:postgresql://host[:port]/database");
        }
        Optional<String> hosts = checkHosts(server.substring(0, slash));
        if (hosts.isPresent()) {
            return hosts;
        }
        String database = decode(server.substring(slash + 1));
        if (database == null || database.isEmpty() || database.contains("/")) {
            return Optional.of("needs a database name after the host: jdbc:postgresql://host[:port]/database");
        }
        return q < 0 ? Optional.empty() : checkParameters(rest.substring(q + 1));
    }

    private Optional<String> checkHosts(String list) {
        String[] hosts = list.split(",", -1);
        for (int i = 0; i < hosts.length; i++) {
            String where = hosts.length == 1 ? "the host" : "host " + (i + 1) + " of " + hosts.length;
            String address = hosts[i];
            String host = address;
            int colon = address.lastIndexOf(':');
            if (colon >= 0 && address.lastIndexOf(']') < colon) {
                host = address.substring(0, colon);
                String port = address.substring(colon + 1);
                if (!PORT.matcher(port).matches() || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                    return Optional.of(where + " has an invalid port");
                }
            }
            if (!(HOST_NAME.matcher(host).matches() || IPV6.matcher(host).matches())) {
                return Optional.of(where + " is not a host name or IP address (credentials belong in the Secret's"
                        + " username and password keys, not in the URL)");
            }
            String bare = stripBrackets(host);
            if (!allowedHosts.isEmpty() && allowedHosts.stream().noneMatch(p -> p.matcher(bare).matches())) {
                return Optional.of(where + " is not allowed by the operator's phasegate.database.allowed-hosts "
                        + allowedHostGlobs);
            }
        }
        return Optional.empty();
    }

    private static Optional<String> checkParameters(String query) {
        String[] pairs = query.split("&", -1);
        for (int i = 0; i < pairs.length; i++) {
            String pair = pairs[i];
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String shown = shown(name, i + 1);
            Predicate<String> rule = ALLOWED.get(name);
            if (rule == null) {
                return Optional.of(shown + " is not allowed" + hint(name) + "; allowed: "
                        + new TreeSet<>(ALLOWED.keySet()));
            }
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (value == null) {
                return Optional.of(shown + " has a value that is not valid URL encoding");
            }
            if (!rule.test(value)) {
                return Optional.of(shown + " has a value phasegate does not accept" + expected(name));
            }
        }
        return Optional.empty();
    }

    /** {@code parameter 'socketFactory'} for a name pgjdbc or libpq knows; a position for anything else. */
    private static String shown(String name, int position) {
        String folded = name.toLowerCase(Locale.ROOT);
        if (KNOWN_NAMES.contains(folded)) {
            return "parameter '" + name + "'";
        }
        return "parameter " + position + " of the query string (not a parameter pgjdbc knows)";
    }

    private static String hint(String name) {
        String folded = name.toLowerCase(Locale.ROOT);
        for (String allowed : ALLOWED.keySet()) {
            if (allowed.toLowerCase(Locale.ROOT).equals(folded)) {
                return " (pgjdbc reads it only as '" + allowed + "' and would ignore this spelling)";
            }
        }
        if (folded.equals("user") || folded.equals("password") || folded.equals("sslpassword")) {
            return " (credentials belong in the Secret's username and password keys)";
        }
        if (folded.equals("options") || folded.equals("currentschema") || folded.equals("applicationname")) {
            return " (phasegate sets the session's parameters itself; a URL must not override them)";
        }
        return "";
    }

    private static String expected(String name) {
        return switch (name) {
            case "sslrootcert", "sslcert", "sslkey" -> " (an absolute file path without '..')";
            case "connectTimeout", "loginTimeout" -> " (whole seconds, 1 to 300)";
            case "socketTimeout", "hostRecheckSeconds" -> " (whole seconds, 0 to 86400)";
            case "ssl", "loadBalanceHosts", "tcpKeepAlive" -> " (true or false)";
            case "sslmode" -> " (disable, allow, prefer, require, verify-ca or verify-full)";
            case "channelBinding" -> " (disable, prefer or require)";
            case "targetServerType" -> " (any, primary, secondary, preferSecondary or preferPrimary)";
            default -> "";
        };
    }

    private static Predicate<String> oneOf(String... values) {
        Set<String> set = Set.of(values);
        return set::contains;
    }

    private static Predicate<String> seconds(int min, int max) {
        return v -> v.matches("[0-9]{1,6}") && Integer.parseInt(v) >= min && Integer.parseInt(v) <= max;
    }

    private static boolean absolutePath(String v) {
        return v.startsWith("/") && !v.contains("/../") && !v.endsWith("/..") && v.chars().noneMatch(c -> c < ' ');
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static Pattern glob(String glob) {
        List<String> parts = new ArrayList<>();
        for (String part : glob.split("\\*", -1)) {
            parts.add(Pattern.quote(part));
        }
        return Pattern.compile(String.join(".*", parts), Pattern.CASE_INSENSITIVE);
    }

    private static Set<String> knownNames() {
        Set<String> names = new TreeSet<>();
        for (PGProperty p : PGProperty.values()) {
            names.add(p.getName().toLowerCase(Locale.ROOT));
        }
        // libpq names pgjdbc translates, and the ones this class names in its documentation.
        names.addAll(Set.of("host", "port", "dbname", "service", "user", "password", "loggerfile", "loggerlevel"));
        return Set.copyOf(names);
    }
}
