// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.PostgresServer;
import dev.cairn.testkit.TestCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, one directory for the cluster: two `cairn serve` processes (no replication) whose
 * configs name one PostgreSQL ({@code [directory] url}). A user added with `cairn user add`
 * against node 1 logs in over IMAP on node 2 and receives mail over LMTP there; a change made
 * against node 2 (disabled) applies on node 1 at once; `cairn user add` with the config of a
 * node that never ran (n3) adds a user the running nodes serve. With the database killed, a login and a
 * recipient on a running node get a temporary failure (IMAP NO [UNAVAILABLE], LMTP 451 4.3.0)
 * within seconds, and nothing hangs. Before issue 20 each node had its own SQLite file: node 2
 * knew nobody (the login failed, the delivery bounced 550).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterDirectoryIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private Path dir;
    private PostgresServer postgres;
    private NodeProcesses nodes;

    /** One cluster for both tests (a PostgreSQL and two nodes take a while to start); the one that kills the database runs last. */
    @BeforeAll
    void startCluster(@TempDir Path dir) throws Exception {
        this.dir = dir;
        postgres = PostgresServer.start();
        postgres.createDatabase("cairn");
        Path password = postgres.writePasswordFile(dir.resolve("directory.password"));
        TestCluster cluster = TestCluster.of(dir, "n1", "n2", "n3").store("sync = false", "channels = 2")
                .listen("imap", "lmtp", "admin").disable("pop3")
                .directory("url = \"" + postgres.url("cairn") + "\"", "user = \"" + PostgresServer.USER + "\"",
                        "password_file = \"" + password.toString().replace("\\", "/") + "\"", "pool_size = 4",
                        "timeout = \"" + TIMEOUT.toSeconds() + "s\"", "default_domain = \"example.org\"")
                .build();
        nodes = new NodeProcesses(cluster, dir);
        nodes.start("n1");
        nodes.start("n2");
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (nodes != null) nodes.close();
        if (postgres != null) postgres.close();
    }

    private CliRun cairn(String stdin, String node, String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--config";
        all[args.length + 1] = nodes.cluster.config(node).toString();
        return CliRun.run(stdin, all);
    }

    @Test
    @Order(1)
    void aUserAddedOnOneNodeLogsInAndReceivesMailOnTheOther() throws Exception {
        nodes.addUsersThrough("n1", "alice");
        try (NodeProcesses.Imap imap = nodes.imap("n2", "alice")) {
            assertThat(nodes.deliver("n2", "alice", "first")).startsWith("250");
            assertThat(imap.command("SELECT INBOX")).anyMatch(l -> l.equals("* 1 EXISTS"));
        }
        // A change made against the other node applies on the first at its next lookup.
        CliRun disable = cairn("", "n2", "user", "set", "alice", "--disable");
        assertThat(disable.status()).as(disable.toString()).isZero();
        assertThat(nodes.deliver("n1", "alice", "second")).startsWith("550 5.2.1");
        assertThat(login("n1", "alice", NodeProcesses.PASSWORD)).contains(" NO ");
        assertThat(cairn("", "n1", "user", "list").out()).contains("alice <alice@example.org>").contains("DISABLED");
        // From a node that does not run (n3 never started: it has no data directory), `cairn user` writes the cluster's directory.
        assertThat(java.nio.file.Files.exists(nodes.cluster.data("n3"))).isFalse();
        CliRun bob = cairn(NodeProcesses.PASSWORD + "\n", "n3", "user", "add", "bob", "--password-stdin");
        assertThat(bob.status()).as(bob.toString()).isZero();
        assertThat(login("n1", "bob", NodeProcesses.PASSWORD)).contains(" OK ");
        assertThat(nodes.deliver("n2", "bob", "to bob")).startsWith("250");
    }

    @Test
    @Order(2)
    void aDeadDatabaseIsATemporaryFailureWithinSeconds() throws Exception {
        nodes.addUsersThrough("n1", "carol");
        assertThat(login("n2", "carol", NodeProcesses.PASSWORD)).contains(" OK ");
        try (NodeProcesses.Imap session = nodes.imap("n2", "carol")) {
            postgres.kill();
            long start = System.nanoTime();
            // the store asks the directory for carol's quota: a temporary failure, which clients retry,
            // not a server bug's NO [SERVERBUG] (what a directory too slow under load gave, bench/proxy.sh)
            String message = "Subject: while the directory is down\r\n\r\nbody\r\n";
            List<String> append = session.command("APPEND INBOX {" + message.length() + "+}\r\n" + message);
            assertThat(append.getLast()).as(String.join("\n", append)).contains("NO [UNAVAILABLE]");
            Duration appended = Duration.ofNanos(System.nanoTime() - start);
            assertThat(appended).as("APPEND answered after " + appended).isLessThan(TIMEOUT.plusSeconds(5));
        }
        long start = System.nanoTime();
        assertThat(login("n2", "carol", NodeProcesses.PASSWORD)).contains("NO [UNAVAILABLE]");
        Duration login = Duration.ofNanos(System.nanoTime() - start);
        start = System.nanoTime();
        assertThat(nodes.deliver("n2", "carol", "while the directory is down")).startsWith("451 4.3.0");
        Duration rcpt = Duration.ofNanos(System.nanoTime() - start);
        // The directory's timeout bounds the wait (the pool's connection timeout); the margin is for a loaded machine.
        assertThat(login).as("login answered after " + login).isLessThan(TIMEOUT.plusSeconds(5));
        assertThat(rcpt).as("RCPT answered after " + rcpt).isLessThan(TIMEOUT.plusSeconds(5));
    }

    /** One IMAP LOGIN on the node; the tagged answer. */
    private String login(String node, String user, String password) throws IOException {
        try (Socket s = new Socket("127.0.0.1", nodes.cluster.port(node, "imap"))) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            in.readLine();
            out.write(("a LOGIN " + user + " \"" + password + "\"\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            for (String l = in.readLine(); l != null; l = in.readLine()) {
                if (l.startsWith("a ")) return l;
            }
            throw new IOException("closed before the answer to LOGIN");
        }
    }
}
