// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.Ports;
import dev.cairn.testkit.PostgresServer;
import dev.cairn.testkit.TestCluster;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A two-node cluster behind a {@code cairn proxy} process, for the failover tests through the proxy
 * (issue 21): a real three-server ensemble, a PostgreSQL directory, n1 master of the sync store s1
 * with n2 its in-sync replica (session timeout {@link #SESSION_TIMEOUT}), {@code users} placed on
 * s1, and the proxy's IMAP and LMTP on {@link #imap} and {@link #lmtp}.
 */
final class ProxiedCluster implements AutoCloseable {
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
    /** The proxy's login wait: longer than a failover (session timeout, promotion, the new master's first write). */
    static final Duration LOGIN_WAIT = Duration.ofSeconds(30);
    private static final String SECRET = "proxied cluster test secret";

    TestCluster cluster;
    NodeProcesses nodes;
    final int imap = Ports.free(), lmtp = Ports.free(), admin = Ports.free();
    private ZooKeeperEnsemble zk;
    private PostgresServer postgres;
    private final Path dir;
    private Process proxy;

    /** Starts it all; what was started is stopped again when a step fails. */
    ProxiedCluster(Path dir, String... users) throws Exception {
        this.dir = dir;
        try {
            start(users);
        } catch (Throwable t) {
            close();
            throw t;
        }
    }

    private void start(String... users) throws Exception {
        zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
        postgres = PostgresServer.start();
        postgres.createDatabase("cairn");
        Path password = postgres.writePasswordFile(dir.resolve("directory.password"));
        String[] directory = {"url = \"" + postgres.url("cairn") + "\"", "user = \"" + PostgresServer.USER + "\"",
                "password_file = \"" + password.toString().replace("\\", "/") + "\"", "pool_size = 2", "default_domain = \"example.org\""};
        cluster = TestCluster.of(dir, "n1", "n2").store("channels = 2").listen("imap", "lmtp", "admin").disable("pop3")
                .cluster(SECRET, zk.connectString(), "session_timeout = \"" + SESSION_TIMEOUT.toSeconds() + "s\"",
                        "failover_damping = \"0s\"", "rejoin_grace = \"0s\"")
                // Long enough that a loaded CI machine never takes n2 out of the in-sync set: a master
                // killed then leaves the store headless by design (no unclean promotion), which is not
                // what these tests are about (ClusterInSyncIT is).
                .replication("sync_timeout = \"10s\"").directory(directory).build();
        nodes = new NodeProcesses(cluster, dir);
        nodes.start("n1");
        nodes.start("n2");
        CliRun create = CliRun.run("", "store", "create", "s1", "--master", "n1/s0", "--replicas", "n2/s0", "--config", cluster.config("n1").toString());
        assertThat(create.status()).as(create.err()).isZero();
        eventually(Duration.ofSeconds(30), () -> assertThat(nodes.status("n1")).contains("role=master"));
        nodes.awaitInSync("n2");
        nodes.addUsersOn("n1", "s1", users);

        proxy = startProxy(dir, proxyConfig(dir, directory, zk.connectString(), SECRET, LOGIN_WAIT, imap, lmtp, admin), admin);
    }

    /**
     * A {@code cairn proxy} config named proxy-1 (data under {@code <dir>/proxy}): the cluster's
     * directory and ensemble, IMAP, LMTP and admin on loopback at these ports, no POP3.
     */
    static List<String> proxyConfig(Path dir, String[] directory, String zookeeper, String secret, Duration loginWait, int imap, int lmtp,
                                    int admin) {
        return List.of(
                "data = \"" + dir.resolve("proxy").toString().replace("\\", "/") + "\"",
                "[directory]", String.join("\n", directory),
                "[imap]", "listen = \"127.0.0.1:" + imap + "\"",
                "[pop3]", "enabled = false",
                "[lmtp]", "listen = \"127.0.0.1:" + lmtp + "\"",
                "[admin]", "listen = \"127.0.0.1:" + admin + "\"",
                "[cluster]", "zookeeper = \"" + zookeeper + "\"", "session_timeout = \"" + SESSION_TIMEOUT.toSeconds() + "s\"",
                "[proxy]", "name = \"proxy-1\"", "secret = \"" + secret + "\"", "login_wait = \"" + loginWait.toSeconds() + "s\"");
    }

    /**
     * Starts {@code cairn proxy} with these lines as its config ({@code <dir>/proxy.toml}, its output in
     * {@code <dir>/proxy.log}) and waits until its admin endpoint on {@code admin} answers /health;
     * the process is killed again when it does not.
     */
    static Process startProxy(Path dir, List<String> config, int admin) throws Exception {
        Path file = dir.resolve("proxy.toml");
        Files.writeString(file, String.join("\n", config) + "\n");
        List<String> command = new ArrayList<>(NodeProcesses.command(file, "128m"));
        command.set(command.indexOf("serve"), "proxy");
        Process proxy = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("proxy.log").toFile())).start();
        try (HttpClient http = HttpClient.newHttpClient()) {
            eventually(Duration.ofSeconds(60), () -> {
                assertThat(proxy.isAlive()).as(() -> "proxy exited: " + log(dir)).isTrue();
                assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            });
        } catch (Throwable t) {
            proxy.destroyForcibly();
            throw t;
        }
        return proxy;
    }

    private static String log(Path dir) {
        try {
            return Files.readString(dir.resolve("proxy.log"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** An IMAP client of the proxy, logged in as {@code user}. */
    NodeProcesses.Imap imap(String user) throws java.io.IOException { return new NodeProcesses.Imap("127.0.0.1", imap, user); }

    /** One LMTP delivery through the proxy (as {@link NodeProcesses#deliver}); the answer to DATA, or to RCPT when refused. */
    String deliver(String user, String subject) throws java.io.IOException { return NodeProcesses.deliver("127.0.0.1", lmtp, user, subject); }

    @Override public void close() throws Exception {
        try {
            if (proxy != null) {
                proxy.destroyForcibly();
                proxy.waitFor(30, TimeUnit.SECONDS);
            }
            if (nodes != null) nodes.close();
        } finally {
            try (ZooKeeperEnsemble z = zk; PostgresServer pg = postgres) {
                // both closed (null ones skipped)
            }
        }
    }
}
