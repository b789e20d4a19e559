package dev.phasegate.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** A real, throw-away PostgreSQL server started from the system binaries in a temp dir on a free local port. */
public final class PostgresCluster implements AutoCloseable {

    private static final String HOST = "127.0.0.1";
    private static final String SUPERUSER = "postgres";
    private static final String OS_USER = "postgres";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration REPLICA_STREAMING_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 3;
    private static final int LOG_TAIL_LINES = 40;

    // One hook for all clusters, so a JVM that dies mid-suite does not leave postmasters behind.
    private static final Set<PostgresCluster> LIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger HOOK_INSTALLED = new AtomicInteger();

    private final Path baseDir;
    private final Path dataDir;
    private final Path socketDir;
    private final Path serverLog;
    private final String password;
    private final Map<String, String> settings;
    private final String applicationName;
    private final PostgresCluster primary;
    private final AtomicInteger replicaCounter = new AtomicInteger();
    private volatile int port;
    private volatile boolean running;
    private volatile boolean closed;

    private PostgresCluster(Path baseDir, String password, Map<String, String> settings, String applicationName,
                            PostgresCluster primary) {
        this.baseDir = baseDir;
        this.dataDir = baseDir.resolve("data");
        this.socketDir = baseDir.resolve("sock");
        this.serverLog = baseDir.resolve("server.log");
        this.password = password;
        this.settings = settings;
        this.applicationName = applicationName;
        this.primary = primary;
    }

    /** Options for a new cluster; call {@link #start()} to init and start it. */
    public static final class Builder {
        private Integer maxConnections;
        private final Map<String, String> settings = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder maxConnections(int maxConnections) {
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections must be >= 1: " + maxConnections);
            }
            this.maxConnections = maxConnections;
            return this;
        }

        /** Adds one postgresql.conf setting; later calls win. */
        public Builder setting(String name, String value) {
            settings.put(Objects.requireNonNull(name), Objects.requireNonNull(value));
            return this;
        }

        public Builder settings(Map<String, String> extra) {
            extra.forEach(this::setting);
            return this;
        }

        /** Runs initdb and starts the server; the caller owns the result and must {@link PostgresCluster#close()} it. */
        public PostgresCluster start() {
            Map<String, String> all = new LinkedHashMap<>();
            if (maxConnections != null) {
                all.put("max_connections", Integer.toString(maxConnections));
                // The server refuses to start unless superuser_reserved_connections < max_connections.
                if (maxConnections <= 3) {
                    all.put("superuser_reserved_connections", "0");
                }
            }
            all.putAll(settings);
            return PostgresCluster.initAndStart(all);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Directory of the newest installed PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup). */
    public static Path binDir() {
        return BinDirHolder.BIN_DIR;
    }

    /** Major version of the binaries in {@link #binDir()}, e.g. 15. */
    public static int majorVersion() {
        return BinDirHolder.MAJOR;
    }

    public int port() {
        return port;
    }

    public String host() {
        return HOST;
    }

    public String superuser() {
        return SUPERUSER;
    }

    public String superuserPassword() {
        return password;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
    }

    public Path dataDirectory() {
        return dataDir;
    }

    public boolean isRunning() {
        return running;
    }

    public boolean isReplica() {
        return primary != null;
    }

    /** The application_name this server uses in primary_conninfo (replicas) or cluster_name (primaries). */
    public String applicationName() {
        return applicationName;
    }

    /** Connects over TCP as the superuser, so the connection goes through scram-sha-256 like a real client's. */
    public Connection connect(String database) throws SQLException {
        return connect(database, SUPERUSER, password);
    }

    public Connection connect(String database, String user, String userPassword) throws SQLException {
        return connect(database, user, userPassword, "phasegate-test");
    }

    /** As another client would: under its own application_name. */
    public Connection connect(String database, String user, String userPassword, String applicationName)
            throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (userPassword != null) {
            props.setProperty("password", userPassword);
        }
        props.setProperty("connectTimeout", "10");
        props.setProperty("loginTimeout", "10");
        props.setProperty("ApplicationName", applicationName);
        // Bypasses DriverManager so the driver is found whatever class loader a test framework uses.
        Connection connection = new org.postgresql.Driver().connect(jdbcUrl(database), props);
        if (connection == null) {
            throw new SQLException("pgjdbc rejected URL " + jdbcUrl(database));
        }
        return connection;
    }

    public void createDatabase(String name) {
        executeAsSuperuser("CREATE DATABASE " + quoteIdentifier(name));
    }

    /** Creates a LOGIN role with the password, optionally in pg_monitor so it may read pg_stat_replication etc. */
    public void createRole(String name, String rolePassword, boolean pgMonitor) {
        executeAsSuperuser("CREATE ROLE " + quoteIdentifier(name) + " LOGIN PASSWORD " + quoteLiteral(rolePassword));
        if (pgMonitor) {
            executeAsSuperuser("GRANT pg_monitor TO " + quoteIdentifier(name));
        }
    }

    private void executeAsSuperuser(String sql) {
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("Failed on " + describe() + ": " + sql, e);
        }
    }

    /** Starts the server again on the same data dir and port, e.g. after {@link #stop()} or {@link #kill()}. */
    public synchronized void start() {
        ensureOpen();
        if (running) {
            return;
        }
        pgCtlStart();
    }

    /** Fast shutdown: disconnects clients, checkpoints, exits. */
    public synchronized void stop() {
        pgCtlStop("fast");
    }

    /**
     * Immediate shutdown, like a crash: no checkpoint, recovery on next start. Because the cluster runs with
     * synchronous_commit=off, commits from the last few hundred milliseconds may be lost, as after a real crash.
     */
    public synchronized void kill() {
        pgCtlStop("immediate");
    }

    /** Stops the server if running and deletes its temp dir; the cluster cannot be started again. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            if (running) {
                pgCtlStop("immediate");
            }
        } finally {
            closed = true;
            LIVE.remove(this);
            deleteRecursively(baseDir);
        }
    }

    /** Tail of the server log, for failure messages. */
    public String logTail() {
        return tail(serverLog, LOG_TAIL_LINES);
    }

    public PostgresCluster createReplica() {
        return createReplica("replica" + replicaCounter.incrementAndGet());
    }

    /**
     * Makes a streaming hot standby with pg_basebackup, starts it on its own port, and returns once the primary's
     * pg_stat_replication shows it streaming under {@code replicaApplicationName}.
     */
    public PostgresCluster createReplica(String replicaApplicationName) {
        ensureOpen();
        if (!running) {
            throw new IllegalStateException("primary is not running: " + describe());
        }
        Path replicaBase = newBaseDir();
        PostgresCluster replica = new PostgresCluster(replicaBase, password, settings, replicaApplicationName, this);
        LIVE.add(replica);
        try {
            replica.port = freePort();
            run(replicaBase, Duration.ofSeconds(120), List.of(
                    "env", "PGPASSWORD=" + password, "PGAPPNAME=" + replicaApplicationName,
                    BinDirHolder.tool("pg_basebackup"),
                    "-D", replica.dataDir.toString(),
                    "-h", HOST, "-p", Integer.toString(port), "-U", SUPERUSER,
                    "-X", "stream", "-R", "--checkpoint=fast", "--no-sync"));
            // pg_basebackup -R writes a primary_conninfo of its own; a later line in the same file wins, and this one
            // names the standby so the primary's pg_stat_replication shows it.
            String conninfo = "host=" + HOST + " port=" + port + " user=" + SUPERUSER + " password=" + password
                    + " application_name=" + replicaApplicationName;
            Files.writeString(replica.dataDir.resolve("postgresql.auto.conf"),
                    "\nprimary_conninfo = " + quoteLiteral(conninfo) + "\n",
                    StandardOpenOption.APPEND);
            replica.writeServerConfig();
            replica.pgCtlStartWithPortRetry();
            replica.awaitStreaming();
            return replica;
        } catch (IOException | RuntimeException e) {
            String log = replica.logTail();
            replica.close();
            throw new IllegalStateException("Could not create replica " + replicaApplicationName + " of " + describe()
                    + "\n--- replica server log tail ---\n" + log, e);
        }
    }

    private void awaitStreaming() {
        Instant deadline = Instant.now().plus(REPLICA_STREAMING_TIMEOUT);
        String lastState = "absent";
        while (Instant.now().isBefore(deadline)) {
            try (Connection c = primary.connect("postgres");
                 PreparedStatement ps = c.prepareStatement(
                         "SELECT state FROM pg_stat_replication WHERE application_name = ?")) {
                ps.setString(1, applicationName);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        lastState = rs.getString(1);
                        if ("streaming".equals(lastState)) {
                            return;
                        }
                    }
                }
            } catch (SQLException e) {
                lastState = "query failed: " + e.getMessage();
            }
            sleep(100);
        }
        throw new IllegalStateException("Replica " + applicationName + " not streaming after " + REPLICA_STREAMING_TIMEOUT
                + " (last state: " + lastState + ")\n--- primary log tail ---\n" + primary.logTail());
    }

    @Override
    public String toString() {
        return describe();
    }

    private String describe() {
        return (isReplica() ? "replica " : "PostgreSQL ") + applicationName + " " + majorVersion() + " at " + HOST + ":"
                + port + " (" + baseDir + ")";
    }

    // ---------------------------------------------------------------- lifecycle internals

    private static PostgresCluster initAndStart(Map<String, String> settings) {
        installShutdownHook();
        Path base = newBaseDir();
        PostgresCluster cluster = new PostgresCluster(base, randomPassword(), Map.copyOf(settings), "phasegate-pg", null);
        LIVE.add(cluster);
        try {
            Path pwFile = base.resolve("pwfile");
            Files.writeString(pwFile, cluster.password + "\n");
            chownToPostgres(pwFile);
            run(base, Duration.ofSeconds(120), List.of(BinDirHolder.tool("initdb"),
                    "-D", cluster.dataDir.toString(),
                    "-U", SUPERUSER, "--pwfile=" + pwFile,
                    "--auth-local=trust", "--auth-host=scram-sha-256",
                    "--no-locale", "--encoding=UTF8", "--no-sync"));
            Files.delete(pwFile);
            Files.writeString(cluster.dataDir.resolve("pg_hba.conf"), String.join("\n",
                    "# Written by PostgresCluster: trust over the socket for tooling, real password checks over TCP",
                    "local   all          all                 trust",
                    "local   replication  all                 trust",
                    "host    all          all  127.0.0.1/32   scram-sha-256",
                    "host    replication  all  127.0.0.1/32   scram-sha-256",
                    ""));
            Files.writeString(cluster.dataDir.resolve("postgresql.conf"),
                    "\ninclude_if_exists = 'phasegate.conf'\n", StandardOpenOption.APPEND);
            cluster.port = freePort();
            cluster.writeServerConfig();
            cluster.pgCtlStartWithPortRetry();
            return cluster;
        } catch (IOException | RuntimeException e) {
            String log = cluster.logTail();
            cluster.close();
            throw new IllegalStateException("Could not start PostgreSQL from " + binDir()
                    + "\n--- server log tail ---\n" + log, e);
        }
    }

    private void writeServerConfig() {
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("listen_addresses", HOST);
        conf.put("port", Integer.toString(port));
        conf.put("unix_socket_directories", socketDir.toString());
        conf.put("cluster_name", applicationName);
        // Durability is irrelevant for throw-away test data; these make initdb-to-ready and DDL much faster.
        conf.put("fsync", "off");
        conf.put("synchronous_commit", "off");
        conf.put("full_page_writes", "off");
        conf.put("wal_level", "replica");
        conf.put("max_wal_senders", "5");
        conf.put("hot_standby", "on");
        conf.put("wal_keep_size", "128MB");
        conf.put("password_encryption", "scram-sha-256");
        conf.put("shared_buffers", "32MB");
        conf.put("log_line_prefix", "%m [%p] %q%u@%d ");
        conf.putAll(settings);
        StringBuilder text = new StringBuilder("# Written by PostgresCluster; rewritten on every start\n");
        conf.forEach((k, v) -> text.append(k).append(" = ").append(quoteLiteral(v)).append('\n'));
        try {
            Files.createDirectories(socketDir);
            Path file = dataDir.resolve("phasegate.conf");
            Files.writeString(file, text.toString());
            chownToPostgres(socketDir);
            chownToPostgres(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void pgCtlStartWithPortRetry() {
        for (int attempt = 1; ; attempt++) {
            try {
                pgCtlStart();
                return;
            } catch (IllegalStateException e) {
                // Another process may grab the port between freePort() and bind(); only that case is retried.
                boolean portTaken = logTail().contains("could not bind") || logTail().contains("Address already in use");
                if (!portTaken || attempt >= START_ATTEMPTS) {
                    throw e;
                }
                port = freePort();
                writeServerConfig();
            }
        }
    }

    private void pgCtlStart() {
        try {
            run(baseDir, START_TIMEOUT.plusSeconds(10), List.of(BinDirHolder.tool("pg_ctl"),
                    "-D", dataDir.toString(), "-l", serverLog.toString(),
                    "-w", "-t", Long.toString(START_TIMEOUT.toSeconds()), "start"));
        } catch (IllegalStateException e) {
            throw new IllegalStateException("pg_ctl start failed for " + describe()
                    + "\n--- server log tail ---\n" + logTail(), e);
        }
        running = true;
    }

    private void pgCtlStop(String mode) {
        if (!running || closed) {
            return;
        }
        try {
            run(baseDir, Duration.ofSeconds(90), List.of(BinDirHolder.tool("pg_ctl"),
                    "-D", dataDir.toString(), "-m", mode, "-w", "-t", "60", "stop"));
        } catch (IllegalStateException e) {
            // A server that already died (crashed, or killed from outside) has nothing left to stop.
            if (Files.exists(dataDir.resolve("postmaster.pid"))) {
                throw new IllegalStateException("pg_ctl stop -m " + mode + " failed for " + describe()
                        + "\n--- server log tail ---\n" + logTail(), e);
            }
        }
        running = false;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("cluster was closed: " + baseDir);
        }
    }

    private static void installShutdownHook() {
        if (HOOK_INSTALLED.compareAndSet(0, 1)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                for (PostgresCluster cluster : List.copyOf(LIVE)) {
                    try {
                        cluster.close();
                    } catch (RuntimeException ignored) {
                        // Best effort at JVM exit; nothing left to report to.
                    }
                }
            }, "phasegate-postgres-shutdown"));
        }
    }

    // ---------------------------------------------------------------- OS helpers

    private static Path newBaseDir() {
        try {
            // Root's java.io.tmpdir may not be traversable by the postgres user, and the socket path must stay short.
            String parent = System.getProperty("phasegate.pg.tmpdir", RunAs.ROOT ? "/tmp" : System.getProperty("java.io.tmpdir"));
            Path base = Files.createTempDirectory(Paths.get(parent), "phasegate-pg-");
            chownToPostgres(base);
            return base;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create temp dir for PostgreSQL", e);
        }
    }

    private static void chownToPostgres(Path path) {
        if (RunAs.ROOT) {
            runDirect(path.getParent(), Duration.ofSeconds(30), List.of("chown", "-R", OS_USER + ":", path.toString()));
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a PostgreSQL tool, as the postgres OS user when the JVM is root (the server refuses to run as root). */
    private static String run(Path workDir, Duration timeout, List<String> command) {
        return runDirect(workDir, timeout, RunAs.wrap(command));
    }

    private static String runDirect(Path workDir, Duration timeout, List<String> command) {
        Path output = null;
        try {
            output = Files.createTempFile("phasegate-pg-cmd-", ".log");
            // Output goes to a file, not a pipe: pg_ctl's daemonized postmaster must never hold our pipe open.
            Process process = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("Timed out after " + timeout + ": " + redact(command)
                        + "\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException("Exit " + process.exitValue() + ": " + redact(command) + "\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not run " + redact(command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted running " + redact(command), e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // A leftover temp file is harmless.
                }
            }
        }
    }

    private static String redact(List<String> command) {
        return command.stream().map(a -> a.startsWith("PGPASSWORD=") ? "PGPASSWORD=***" : a)
                .collect(Collectors.joining(" "));
    }

    private static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no log at " + file + ")";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(could not read " + file + ": " + e + ")";
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // A leftover temp dir is harmless and must not mask a test failure.
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String randomPassword() {
        String alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder(24);
        for (int i = 0; i < 24; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    static String quoteIdentifier(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    static String quoteLiteral(String value) {
        return '\'' + value.replace("'", "''") + '\'';
    }

    /** Whether we must drop from root to the postgres OS user, and how. */
    private static final class RunAs {
        static final boolean ROOT = detectRoot();
        private static final Optional<String> RUNUSER = Stream.of("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser")
                .filter(p -> Files.isExecutable(Paths.get(p))).findFirst();

        static List<String> wrap(List<String> command) {
            if (!ROOT) {
                return command;
            }
            if (RUNUSER.isPresent()) {
                List<String> wrapped = new ArrayList<>(List.of(RUNUSER.get(), "-u", OS_USER, "--"));
                wrapped.addAll(command);
                return wrapped;
            }
            String shell = command.stream().map(RunAs::shellQuote).collect(Collectors.joining(" "));
            return List.of("su", OS_USER, "-s", "/bin/sh", "-c", shell);
        }

        private static String shellQuote(String arg) {
            return '\'' + arg.replace("'", "'\\''") + '\'';
        }

        private static boolean detectRoot() {
            if ("root".equals(System.getProperty("user.name"))) {
                return true;
            }
            try {
                Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                p.waitFor(10, TimeUnit.SECONDS);
                return "0".equals(out);
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Resolves the server binaries once per JVM. */
    private static final class BinDirHolder {
        static final Path BIN_DIR = findBinDir();
        static final int MAJOR = detectMajor();

        static String tool(String name) {
            return BIN_DIR.resolve(name).toString();
        }

        private static Path findBinDir() {
            String override = Optional.ofNullable(System.getProperty("phasegate.pg.bindir"))
                    .orElse(System.getenv("PHASEGATE_PG_BINDIR"));
            if (override != null && Files.isExecutable(Paths.get(override, "initdb"))) {
                return Paths.get(override);
            }
            Path root = Paths.get("/usr/lib/postgresql");
            List<Path> candidates = new ArrayList<>();
            if (Files.isDirectory(root)) {
                try (DirectoryStream<Path> versions = Files.newDirectoryStream(root)) {
                    for (Path v : versions) {
                        if (Files.isExecutable(v.resolve("bin/initdb"))) {
                            candidates.add(v.resolve("bin"));
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            // Numeric, not lexical: 9.6 < 10 < 15.
            candidates.sort(Comparator.comparing((Path p) -> versionKey(p.getParent().getFileName().toString())).reversed());
            if (!candidates.isEmpty()) {
                return candidates.get(0);
            }
            try {
                String bindir = runDirect(Paths.get("/"), Duration.ofSeconds(10), List.of("pg_config", "--bindir")).trim();
                if (Files.isExecutable(Paths.get(bindir, "initdb"))) {
                    return Paths.get(bindir);
                }
            } catch (RuntimeException ignored) {
                // No pg_config either; try PATH next.
            }
            for (String dir : Optional.ofNullable(System.getenv("PATH")).orElse("").split(File.pathSeparator)) {
                Path initdb = Paths.get(dir, "initdb");
                if (!dir.isEmpty() && Files.isExecutable(initdb)) {
                    try {
                        return initdb.toRealPath().getParent();
                    } catch (IOException e) {
                        return initdb.getParent();
                    }
                }
            }
            throw new IllegalStateException("No PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin, "
                    + "pg_config --bindir, PATH); run .ci/install-postgres.sh");
        }

        private static long versionKey(String version) {
            Matcher m = Pattern.compile("(\\d+)(?:\\.(\\d+))?").matcher(version);
            if (!m.find()) {
                return -1;
            }
            return Long.parseLong(m.group(1)) * 1000 + (m.group(2) == null ? 0 : Long.parseLong(m.group(2)));
        }

        private static int detectMajor() {
            String out = runDirect(Paths.get("/"), Duration.ofSeconds(10), List.of(tool("postgres"), "--version"));
            Matcher m = Pattern.compile("(\\d+)").matcher(out.replaceFirst("^[^0-9]*", ""));
            if (!m.find()) {
                throw new IllegalStateException("Cannot parse version from: " + out);
            }
            return Integer.parseInt(m.group(1));
        }
    }
}
