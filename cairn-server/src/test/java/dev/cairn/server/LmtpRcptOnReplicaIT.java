// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.Replication;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.testkit.TestCluster;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * LMTP on a node whose slot takes no writes refuses at RCPT, 451 4.3.0 with the reason, so the MTA
 * never sends the message there (before: 250 at RCPT, then the whole message, then 451 after DATA):
 * on a replica, and on a former master fenced by a promotion.
 */
class LmtpRcptOnReplicaIT {
    @TempDir Path dir;

    /** A line client: each command's reply line. */
    private record Lmtp(Socket socket, BufferedReader in, OutputStream out) implements AutoCloseable {
        static Lmtp open(int port) throws IOException {
            Socket s = new Socket("127.0.0.1", port);
            s.setSoTimeout(10_000);
            Lmtp l = new Lmtp(s, new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)), s.getOutputStream());
            assertThat(l.in.readLine()).startsWith("220");
            l.send("LHLO test");
            String line;
            while ((line = l.in.readLine()) != null && line.startsWith("250-")) { }
            assertThat(line).startsWith("250 ");
            return l;
        }

        String send(String command) throws IOException {
            out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return command.startsWith("LHLO") ? null : in.readLine();
        }

        @Override public void close() throws IOException { socket.close(); }
    }

    private TestCluster cluster() throws IOException {
        TestCluster cluster = TestCluster.of(dir, "n1", "n2").store("sync = false").listen("lmtp", "admin").disable("imap", "pop3")
                .replicated("rcpt test cluster secret", "async").build();
        for (String node : cluster.nodes()) {
            assertThat(Main.run(new ByteArrayInputStream("pw-of-the-test\n".getBytes(StandardCharsets.UTF_8)),
                    "user", "add", "alice", "--password-stdin", "--address", "alice@example.org", "--config", cluster.config(node).toString())).isZero();
        }
        return cluster;
    }

    /** RCPT is refused with the node's reason; DATA then finds no recipient and the message is never asked for. */
    private static void refusedAtRcpt(int port, String reason) throws IOException {
        try (Lmtp lmtp = Lmtp.open(port)) {
            assertThat(lmtp.send("MAIL FROM:<sender@example.org>")).startsWith("250");
            assertThat(lmtp.send("RCPT TO:<alice@example.org>")).isEqualTo("451 4.3.0 <alice@example.org> Mailbox store not available here: " + reason);
            // Not a 550 for an address this node's directory lacks: the master may well have it.
            assertThat(lmtp.send("RCPT TO:<nobody@example.org>")).startsWith("451 4.3.0 <nobody@example.org> ");
            assertThat(lmtp.send("DATA")).startsWith("503 5.5.1");
        }
    }

    private static String deliver(int port) throws IOException {
        try (Lmtp lmtp = Lmtp.open(port)) {
            assertThat(lmtp.send("MAIL FROM:<sender@example.org>")).startsWith("250");
            assertThat(lmtp.send("RCPT TO:<alice@example.org>")).startsWith("250 2.1.5");
            assertThat(lmtp.send("DATA")).startsWith("354");
            return lmtp.send("Subject: hello\r\n\r\nbody\r\n.");
        }
    }

    @Test @Timeout(120)
    void aReplicaAndAFencedFormerMasterRefuseAtRcptWithTheReason() throws Exception {
        TestCluster p = cluster();
        try (Node n2 = p.start("n2", config -> Node.start(ConfigLoader.load(config), ProtocolListeners.builtIn()));
             Node n1 = p.start("n1", config -> Node.start(ConfigLoader.load(config), ProtocolListeners.builtIn()))) {
            eventually(Duration.ofSeconds(30), () -> assertThat(n1.replication().status().getFirst().channels())
                    .as("channels connected").allMatch(Replication.ChannelStatus::connected));
            assertThat(deliver(p.port("n1", "lmtp"))).startsWith("250 2.0.0");
            refusedAtRcpt(p.port("n2", "lmtp"), "store s1 is a replica here; its master is n1/s0");

            long epoch = n2.replication().promote("s1");
            eventually(Duration.ofSeconds(30), () -> assertThat(n1.store().replication().fenceReason()).as("n1 fenced").isNotNull());
            refusedAtRcpt(p.port("n1", "lmtp"), "store s1 moved to another master (epoch " + epoch + ")");
            eventually(Duration.ofSeconds(30), () -> assertThat(n2.replication().status().getFirst().channels())
                    .as("n2's channels to n1 connected").allMatch(Replication.ChannelStatus::connected));
            assertThat(deliver(p.port("n2", "lmtp"))).startsWith("250 2.0.0");
        }
    }
}
