// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for a test, from the Debian package {@code postgresql} (its binaries in
 * {@code /usr/lib/postgresql/<version>/bin}): a cluster made by {@code initdb} in a temporary
 * directory of its own, listening on 127.0.0.1 on a port of {@link Ports} (and on a socket in that
 * directory), password authentication (SCRAM) for the user {@value #USER} with a password made for
 * this server. Tests run as root in CI and PostgreSQL refuses to run as root: the server then runs
 * as the OS user {@code postgres} (the package makes it), which owns the directory.
 *
 * <p>Without the binaries {@link #start} fails, naming the package: a test that needs the server
 * fails rather than skipping silently (CI installs the package: {@code .ci/run}).
 */
public final class PostgresServer implements AutoCloseable {
    public static final String USER = "cairn";
    /** The Debian package with the server binaries. */
    public static final String PACKAGE = "postgresql";
    private static final Path VERSIONS = Path.of("/usr/lib/postgresql");
    private static final Duration START = Duration.ofSeconds(60);

    private final Path dir;
    private final Path bin;
    private final int port;
    private final String password;
    private final boolean asPostgres;
    private Process server;
    /** Kills the server also when the test's JVM ends first (a test stuck past its timeout leaves no server behind). */
    private final Thread reaper = new Thread(this::reap, "postgres-reaper");

    private PostgresServer(Path dir, Path bin, int port, String password, boolean asPostgres) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
        this.password = password;
        this.asPostgres = asPostgres;
    }

    /** Makes a cluster in a new temporary directory and starts its server; waits until it accepts connections. */
    public static PostgresServer start() throws IOException, InterruptedException {
        Path bin = binaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("cairn-postgres-");
        String password = newPassword();
        PostgresServer s = new PostgresServer(dir, bin, Ports.free(), password, root);
        Runtime.getRuntime().addShutdownHook(s.reaper);
        try {
            Files.writeString(dir.resolve("pwfile"), password + "\n");
            Files.createDirectories(s.socketDir());
            if (root) {
                // The server runs as postgres: it must own its directory and reach it.
                run(List.of("chown", "-R", "postgres:postgres", dir.toString()), Map.of());
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            s.runAsServerUser(List.of(bin.resolve("initdb").toString(), "-D", s.data().toString(), "-U", USER,
                    "--pwfile=" + dir.resolve("pwfile"), "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                    "-E", "UTF8", "--locale=C", "--no-sync"));
            s.startServer();
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** The newest {@code /usr/lib/postgresql/<version>/bin} holding {@code postgres} and {@code initdb}. */
    private static Path binaries() {
        try (Stream<Path> versions = Files.isDirectory(VERSIONS) ? Files.list(VERSIONS) : Stream.empty()) {
            Optional<Path> bin = versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("postgres")) && Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparingInt(b -> version(b.getParent().getFileName().toString())));
            if (bin.isPresent()) return bin.get();
        } catch (IOException e) {
            // as missing
        }
        throw new AssertionError("PostgreSQL's server is not installed (no " + VERSIONS + "/<version>/bin/postgres): install the "
                + "Debian package " + PACKAGE + " (apt-get install " + PACKAGE + "); .ci/run does");
    }

    private static int version(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String newPassword() {
        SecureRandom random = new SecureRandom();
        String letters = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 24; i++) b.append(letters.charAt(random.nextInt(letters.length())));
        return b.toString();
    }

    private Path data() { return dir.resolve("data"); }

    private Path socketDir() { return dir.resolve("socket"); }

    public Path log() { return dir.resolve("postgres.log"); }

    private void startServer() throws IOException, InterruptedException {
        List<String> command = List.of(bin.resolve("postgres").toString(), "-D", data().toString(), "-p", Integer.toString(port),
                "-k", socketDir().toString(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "shared_buffers=16MB",
                "-c", "max_connections=200", "-c", "password_encryption=scram-sha-256");
        // setpriv execs the server (no process in between): signals reach the postmaster itself.
        server = new ProcessBuilder(asServerUser(command)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile())).start();
        long deadline = System.nanoTime() + START.toNanos();
        while (true) {
            String log = Files.exists(log()) ? Files.readString(log()) : "";
            if (log.contains("database system is ready to accept connections")) return;
            if (!server.isAlive()) throw new AssertionError("postgres exited (" + server.exitValue() + "): " + log);
            if (System.nanoTime() > deadline) throw new AssertionError("postgres did not start within " + START + ": " + log);
            Thread.sleep(50);
        }
    }

    private List<String> asServerUser(List<String> command) {
        if (!asPostgres) return command;
        List<String> all = new ArrayList<>(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"));
        all.addAll(command);
        return all;
    }

    /** In the server's directory: the user postgres may not enter the test's working directory. */
    private void runAsServerUser(List<String> command) throws IOException, InterruptedException {
        run(asServerUser(command), Map.of(), dir);
    }

    private static String run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        return run(command, env, null);
    }

    private static String run(List<String> command, Map<String, String> env, Path workingDirectory) throws IOException, InterruptedException {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        if (workingDirectory != null) b.directory(workingDirectory.toFile());
        b.environment().putAll(env);
        Process p = b.start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command.getFirst() + " did not finish within a minute: " + output);
        }
        if (p.exitValue() != 0) throw new AssertionError(String.join(" ", command) + " failed (" + p.exitValue() + "): " + output);
        return output;
    }

    public int port() { return port; }

    public String user() { return USER; }

    public String password() { return password; }

    /** The database {@code postgres} (made by initdb). */
    public String jdbcUrl() { return jdbcUrl("postgres"); }

    public String jdbcUrl(String database) { return "jdbc:postgresql://127.0.0.1:" + port + "/" + database; }

    /** {@code postgresql://127.0.0.1:PORT/DATABASE}, as a node's config names it. */
    public String url(String database) { return "postgresql://127.0.0.1:" + port + "/" + database; }

    /** A file holding the password, for a config's {@code password_file}. */
    public Path writePasswordFile(Path file) throws IOException {
        Files.writeString(file, password + "\n");
        return file;
    }

    /** Creates an empty database owned by {@value #USER}; its JDBC url. */
    public String createDatabase(String name) throws IOException, InterruptedException {
        if (!name.matches("[a-z][a-z0-9_]{0,62}")) throw new IllegalArgumentException("a database name like 'directory_1': " + name);
        run(List.of(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", USER, name),
                Map.of("PGPASSWORD", password));
        return jdbcUrl(name);
    }

    /** SIGKILL to the server and every process of it: the database is gone at once, mid-connection. */
    public void kill() throws InterruptedException {
        if (server == null) return;
        List<ProcessHandle> all = new ArrayList<>(server.descendants().toList());
        all.add(server.toHandle());
        for (ProcessHandle p : all) p.destroyForcibly();
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new AssertionError("postgres process " + p.pid() + " did not die", e);
            }
        }
    }

    /** SIGSTOP (true) or SIGCONT (false) to the server and every process of it: a database that hangs, connections open. */
    public void freeze(boolean frozen) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", frozen ? "-STOP" : "-CONT"));
        command.add(Long.toString(server.pid()));
        server.descendants().forEach(p -> command.add(Long.toString(p.pid())));
        run(command, Map.of());
    }

    private void reap() {
        if (server != null) {
            server.descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
        }
        deleteTree(dir);
    }

    /** Stops the server (fast shutdown: clients are disconnected) and removes its directory. */
    @Override
    public void close() throws InterruptedException {
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        try {
            if (server != null && server.isAlive()) {
                try {
                    freeze(false);
                    run(List.of("kill", "-INT", Long.toString(server.pid())), Map.of());
                } catch (IOException | AssertionError e) {
                    // killed below
                }
                if (!server.waitFor(30, TimeUnit.SECONDS)) kill();
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // a temporary directory: what is left, the system's cleaning takes
                }
            });
        } catch (IOException e) {
            // as above
        }
    }

    @Override
    public String toString() { return "PostgresServer[127.0.0.1:" + port + ", " + dir + "]"; }
}
