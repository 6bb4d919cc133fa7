// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.testkit.TestCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Real `cairn serve` processes of a {@link TestCluster} (each in a JVM of its own, its output in
 * {@code <dir>/<node>.log}), killed with SIGKILL when the test ends; and what the replication tests
 * do to them: admin calls, LMTP deliveries, IMAP logins. Every user's password is {@link #PASSWORD}.
 */
final class NodeProcesses implements AutoCloseable {
    static final String PASSWORD = "pw-of-the-test";

    final TestCluster cluster;
    private final Path dir;
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final Map<String, List<String>> prefixes = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();

    /** Kills the nodes also when the test's JVM ends first (a test stuck past its timeout leaves no node behind). */
    private final Thread reaper = new Thread(() -> processes.values().forEach(Process::destroyForcibly), "node-reaper");

    NodeProcesses(TestCluster cluster, Path dir) {
        this.cluster = cluster;
        this.dir = dir;
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Adds the users (address USER@example.org) on every node's own directory. */
    void addUsers(String... users) {
        for (String n : cluster.nodes()) {
            for (String u : users) {
                assertThat(Main.run(new java.io.ByteArrayInputStream((PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)),
                        "user", "add", u, "--password-stdin", "--address", u + "@example.org", "--config", cluster.config(n).toString()))
                        .isZero();
            }
        }
    }

    /**
     * Adds the users (address USER@example.org) once, through the running {@code node}: with a
     * replicated store the account is the store's, on its master and (replicated) on its replicas.
     */
    void addUsersThrough(String node, String... users) {
        for (String u : users) {
            assertThat(Main.run(new java.io.ByteArrayInputStream((PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)),
                    "user", "add", u, "--password-stdin", "--address", u + "@example.org", "--config", cluster.config(node).toString()))
                    .isZero();
        }
    }

    /** Adds users placed on {@code store} (the cluster's directory places them; a front-end routes by it). */
    void addUsersOn(String node, String store, String... users) {
        for (String u : users) {
            assertThat(Main.run(new java.io.ByteArrayInputStream((PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)),
                    "user", "add", u, "--password-stdin", "--address", u + "@example.org", "--store", store,
                    "--config", cluster.config(node).toString())).isZero();
        }
    }

    static List<String> command(Path config) { return command(config, "256m"); }

    /**
     * A test's node (and proxy) JVM compiles with C1 alone, as the test kit's ZooKeeper servers,
     * CrashIT's writers and keytool do: it lives seconds to a minute, and C2's compilations of its
     * start cost more CPU than they give back (to /health: 3.8 s of CPU, 2.4 s with C1 alone). CI's
     * integration tests are bound by the CPU of the two cores, and they start some 200 such JVMs.
     */
    static final String C1_ONLY = "-XX:TieredStopAtLevel=1";

    /** @param heap the node's -Xmx, e.g. "64m" */
    static List<String> command(Path config, String heap) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap, C1_ONLY,
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), "dev.cairn.server.Main", "serve", "--config", config.toString());
    }

    Path log(String node) { return dir.resolve(node + ".log"); }

    /** The node's log lines that contain any of {@code words}, the last 100 (for a failure's message). */
    String logLines(String node, String... words) {
        try {
            List<String> lines = Files.readAllLines(log(node)).stream().filter(l -> java.util.Arrays.stream(words).anyMatch(l::contains)).toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 100), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Starts the node from its cluster config and waits until it is healthy. */
    void start(String node) throws Exception {
        cluster.start(node, config -> start(node, config));
    }

    /** Starts the node from its cluster config with a heap of {@code heap} ("64m") and waits until it is healthy. */
    void start(String node, String heap) throws Exception {
        cluster.start(node, config -> start(node, config, heap));
    }

    /** Starts the node from {@code config} and waits until it is healthy. */
    Process start(String node, Path config) throws Exception { return start(node, config, "256m"); }

    /**
     * {@code node}'s process is started through {@code prefix} from now on, e.g. {@code ip netns exec
     * NS} (which execs the JVM: its pid is the node's, so signals reach it).
     */
    void startThrough(String node, List<String> prefix) { prefixes.put(node, List.copyOf(prefix)); }

    /** {@code node}'s JVM is started with these options from now on (its -Xmx among them, replacing the heap given to start). */
    void jvmOptions(String node, List<String> options) { jvmOptions.put(node, List.copyOf(options)); }

    private final Map<String, List<String>> jvmOptions = new ConcurrentHashMap<>();

    /**
     * The JVM's command line with {@code options} in place of its -Xmx and {@link #C1_ONLY} (what
     * ./cairn gives a node or a proxy: a benchmark's JVMs compile as in production).
     */
    static List<String> withJvmOptions(List<String> command, List<String> options) {
        List<String> c = new java.util.ArrayList<>(command);
        if (options.isEmpty()) return c;
        c.removeIf(a -> a.startsWith("-Xmx") || a.equals(C1_ONLY));
        c.addAll(1, options);
        return c;
    }

    /** Starts the node from {@code config} with a heap of {@code heap} and waits until it is healthy. */
    Process start(String node, Path config, String heap) throws Exception {
        List<String> command = new java.util.ArrayList<>(prefixes.getOrDefault(node, List.of()));
        command.addAll(withJvmOptions(command(config, heap), jvmOptions.getOrDefault(node, List.of())));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(node).toFile())).start();
        processes.put(node, p);
        eventually(Duration.ofSeconds(120), () -> { // a success-path bound: two cluster ITs start nodes side by side in CI
            if (!p.isAlive()) return; // no use waiting
            assertThat(get(node, "/health").statusCode()).as(node + " healthy").isEqualTo(200);
        });
        if (!p.isAlive()) throw new AssertionError(node + " exited: " + Files.readString(log(node)));
        return p;
    }

    /** Runs `cairn serve --config` until it exits (it must, within a minute); its exit status and output. */
    Exited serveUntilExit(Path config) throws Exception {
        Path output = Files.createTempFile(dir, "serve", ".log");
        Process p = new ProcessBuilder(command(config)).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        processes.put("serve-" + p.pid(), p); // killed with the rest if the test ends first
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        processes.remove("serve-" + p.pid());
        if (!exited) {
            p.destroyForcibly();
            throw new AssertionError("cairn serve did not exit within a minute: " + Files.readString(output));
        }
        return new Exited(p.exitValue(), Files.readString(output));
    }

    record Exited(int status, String output) {}

    /** SIGKILL: no orderly stop, nothing flushed but what is durable. */
    void kill(String node) throws InterruptedException {
        Process p = processes.remove(node);
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    /** Sends the node a signal by name (STOP freezes it, CONT resumes it). */
    void signal(String node, String signal) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(processes.get(node).pid())).start().waitFor()).isZero();
    }

    /** Whether the node was started and is neither killed nor stopped through this object, nor dead. */
    boolean running(String node) {
        Process p = processes.get(node);
        return p != null && p.isAlive();
    }

    /** SIGTERM: an orderly stop. */
    void stop(String node) throws InterruptedException {
        Process p = processes.remove(node);
        p.destroy();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    private HttpResponse<String> get(String node, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + cluster.host(node, "admin") + ":" + cluster.port(node, "admin") + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** An admin call that must answer 200; its body. */
    String admin(String node, String method, String path) throws Exception {
        HttpResponse<String> r = adminCall(node, method, path);
        assertThat(r.statusCode()).as(method + " " + path + " on " + node + ": " + r.body()).isEqualTo(200);
        return r.body();
    }

    /** An admin call with the node's token, whatever it answers. */
    HttpResponse<String> adminCall(String node, String method, String path) throws Exception {
        String token = RunFile.read(cluster.data(node).resolve("server.properties")).orElseThrow().token();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + cluster.host(node, "admin") + ":" + cluster.port(node, "admin") + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60));
        return http.send(method.equals("POST") ? b.POST(HttpRequest.BodyPublishers.noBody()).build() : b.GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    String status(String node) throws Exception { return admin(node, "GET", "/replication/status"); }

    /** Waits until the replica node says it is in sync (its master told it so). */
    void awaitInSync(String replica) throws Exception {
        eventually(Duration.ofSeconds(30), () -> assertThat(status(replica)).contains("self=" + replica + " in sync as of epoch"));
    }

    /** One LMTP delivery of a message with this subject to USER@example.org; the answer to DATA (or to RCPT when refused). */
    String deliver(String node, String user, String subject) throws IOException {
        return deliver(cluster.host(node, "lmtp"), cluster.port(node, "lmtp"), user, subject);
    }

    /** One LMTP delivery to the listener at host:port (a node's, a proxy's); the answer to DATA (or to RCPT when refused). */
    static String deliver(String host, int port, String user, String subject) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            line(in);
            out.write("LHLO test\r\n".getBytes(StandardCharsets.US_ASCII));
            String l;
            while ((l = line(in)).startsWith("250-")) { }
            out.write(("MAIL FROM:<load@example.org>\r\nRCPT TO:<" + user + "@example.org>\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            line(in);
            String rcpt = line(in);
            if (!rcpt.startsWith("250")) return rcpt;
            out.write(("DATA\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            line(in);
            out.write(("From: load@example.org\r\nTo: " + user + "@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject
                    + "@test>\r\n\r\nbody of " + subject + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return line(in);
        }
    }

    private static String line(BufferedReader in) throws IOException {
        String l = in.readLine();
        if (l == null) throw new IOException("closed");
        return l;
    }

    /** An IMAP client of one node, logged in. */
    Imap imap(String node, String user) throws IOException { return new Imap(cluster.host(node, "imap"), cluster.port(node, "imap"), user); }

    /**
     * An IMAP client: over loopback in plain text; elsewhere (a node in a network namespace, where
     * plain-text logins are refused) after STARTTLS, trusting whatever certificate the node shows.
     */
    static final class Imap implements AutoCloseable {
        private Socket socket;
        private BufferedReader in;
        private OutputStream out;
        private int tags;

        Imap(String host, int port, String user) throws IOException { this(host, port, List.of("LOGIN", user, PASSWORD)); }

        /**
         * Logged in as a front-end does for {@code user} (SASL PLAIN as {@code cairn:proxy}, the
         * password derived from the cluster secret): no password of the user's is needed, and a
         * back-end accepts it only for a store it serves itself (a relayed session is never relayed again).
         */
        static Imap proxied(String host, int port, String user, String secret) throws IOException {
            String plain = user + "\0" + dev.cairn.protocol.auth.ProxyLogin.IDENTITY + "\0"
                    + dev.cairn.protocol.auth.ProxyLogin.password(secret.getBytes(StandardCharsets.UTF_8), user);
            return new Imap(host, port, List.of("AUTHENTICATE", "PLAIN", java.util.Base64.getEncoder().encodeToString(plain.getBytes(StandardCharsets.UTF_8))));
        }

        /** @param login the login command's words */
        private Imap(String host, int port, List<String> login) throws IOException {
            socket = new Socket(host, port);
            socket.setSoTimeout(30_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
            line();
            if (!socket.getInetAddress().isLoopbackAddress()) startTls(host, port);
            List<String> answer = command(String.join(" ", login));
            if (!answer.getLast().contains(" OK")) throw new IOException("login refused: " + answer.getLast());
        }

        private void startTls(String host, int port) throws IOException {
            if (!command("STARTTLS").getLast().contains(" OK")) throw new IOException("STARTTLS refused");
            try {
                javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
                tls.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                    @Override public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String auth) { }
                    @Override public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String auth) { }
                    @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
                }}, null);
                javax.net.ssl.SSLSocket secure = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(socket, host, port, true);
                secure.startHandshake();
                socket = secure;
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException(e);
            }
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
        }

        private volatile String lastBye = "";

        private String line() throws IOException {
            String l = in.readLine();
            if (l == null) throw new IOException("closed");
            if (l.startsWith("* BYE")) lastBye = l;
            return l;
        }

        /** Sends a line as it is, with no tag of ours (IDLE's DONE, a command the caller tags). */
        void send(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /** The next line the server sends; null when it closed the connection. */
        String readLineOrNull() throws IOException { return in.readLine(); }

        /** How long a read waits from now on (a SocketTimeoutException past it). */
        void timeout(Duration timeout) throws IOException { socket.setSoTimeout((int) timeout.toMillis()); }

        /** The last untagged BYE the server sent, or "". */
        String lastBye() { return lastBye; }

        /** Sends a command; every line of the answer, the tagged one last. */
        List<String> command(String command) throws IOException {
            String tag = "t" + (++tags);
            out.write((tag + " " + command + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            List<String> lines = new java.util.ArrayList<>();
            String l;
            do {
                l = line();
                lines.add(l);
            } while (!l.startsWith(tag + " "));
            return lines;
        }

        @Override public void close() throws IOException { socket.close(); }
    }

    @Override public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        for (Process p : processes.values()) p.destroyForcibly();
        for (Process p : processes.values()) {
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        http.close();
    }
}
