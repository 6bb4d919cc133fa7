// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.Replication;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.store.SlotStore;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Epoch fencing as clients see it (issue 5): n1 masters the store with clients connected (IMAP in
 * IDLE, IMAP with a mailbox selected, POP3, an LMTP transaction after RCPT); the operator promotes
 * n2. At once n1's IMAP sessions get BYE [UNAVAILABLE] and are closed, POP3 gets -ERR [SYS/TEMP]
 * and is closed, the LMTP transaction's DATA answers 451 4.3.0, and nothing stored on n1 changes.
 */
class ReplicationFencingIT {
    @TempDir Path dir;

    /** A line-oriented client. */
    private static final class Client implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
        }

        Client send(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return this;
        }

        String line() throws IOException { return in.readLine(); }

        /** Reads until a line starting with the prefix, which it returns. */
        String until(String prefix) throws IOException {
            String l;
            while ((l = in.readLine()) != null) if (l.startsWith(prefix)) return l;
            throw new IOException("closed before a line starting with " + prefix);
        }

        @Override public void close() throws IOException { socket.close(); }
    }

    /** n1 masters store s1 in sync mode, n2 replicates it; alice has an account on both. */
    private TestCluster cluster() throws IOException {
        TestCluster cluster = TestCluster.of(dir, "n1", "n2").store("sync = false").listen("imap", "lmtp", "pop3", "admin")
                .replicated("fencing test cluster secret", "sync").build();
        for (String node : cluster.nodes()) {
            assertThat(Main.run(new ByteArrayInputStream("pw-of-the-test\n".getBytes(StandardCharsets.UTF_8)),
                    "user", "add", "alice", "--password-stdin", "--address", "alice@example.org", "--config", cluster.config(node).toString())).isZero();
        }
        return cluster;
    }

    private static void deliverUpToRcpt(Client lmtp) throws IOException {
        lmtp.until("220");
        lmtp.send("LHLO test").until("250 ");
        lmtp.send("MAIL FROM:<sender@example.org>");
        assertThat(lmtp.line()).startsWith("250");
        lmtp.send("RCPT TO:<alice@example.org>");
        assertThat(lmtp.line()).startsWith("250");
    }

    private static String data(Client lmtp, String subject) throws IOException {
        lmtp.send("DATA");
        assertThat(lmtp.line()).startsWith("354");
        lmtp.send("Subject: " + subject + "\r\n\r\nbody\r\n.");
        return lmtp.line();
    }

    @Test void promotingTheReplicaEndsTheFormerMastersSessions() throws Exception {
        TestCluster p = cluster();
        try (Node n2 = p.start("n2", config -> Node.start(ConfigLoader.load(config), ProtocolListeners.builtIn()));
             Node n1 = p.start("n1", config -> Node.start(ConfigLoader.load(config), ProtocolListeners.builtIn()))) {
            eventually(Duration.ofSeconds(30), () -> assertThat(n1.replication().status().getFirst().channels())
                    .as("channels connected").allMatch(Replication.ChannelStatus::connected));
            eventually(Duration.ofSeconds(30), () -> assertThat(n2.replication().status().getFirst().inSync().get("n2"))
                    .as("n2 told it is in sync").startsWith("in sync"));
            try (Client first = new Client(p.port("n1", "lmtp"))) {
                deliverUpToRcpt(first);
                assertThat(data(first, "before")).startsWith("250 2.0.0");
            }
            long seqBefore, epoch;
            try (Client idle = new Client(p.port("n1", "imap"));
                 Client selected = new Client(p.port("n1", "imap"));
                 Client pop = new Client(p.port("n1", "pop3"));
                 Client lmtp = new Client(p.port("n1", "lmtp"))) {
                idle.until("* OK");
                idle.send("a LOGIN alice pw-of-the-test").until("a OK");
                idle.send("b SELECT INBOX").until("b OK");
                idle.send("c IDLE").until("+ ");
                selected.until("* OK");
                selected.send("a LOGIN alice pw-of-the-test").until("a OK");
                selected.send("b SELECT INBOX").until("b OK");
                pop.until("+OK");
                pop.send("USER alice").until("+OK");
                pop.send("PASS pw-of-the-test").until("+OK");
                pop.send("DELE 1").until("+OK");
                deliverUpToRcpt(lmtp);
                seqBefore = n1.store().replication().seq("alice");

                epoch = n2.replication().promote("s1");

                // n2 tells n1 the new epoch as soon as it connects to it as the new master.
                String bye = idle.until("* BYE");
                assertThat(bye).startsWith("* BYE [UNAVAILABLE] ").contains("epoch " + epoch);
                assertThat(idle.line()).isNull();
                assertThat(selected.until("* BYE")).startsWith("* BYE [UNAVAILABLE] ");
                assertThat(selected.line()).isNull();
                assertThat(pop.line()).startsWith("-ERR [SYS/TEMP] ");
                assertThat(pop.line()).isNull();
                assertThat(data(lmtp, "during")).isEqualTo("451 4.3.0 <alice@example.org> Mail store temporarily unavailable");
            }
            // Afterwards: LMTP 451 (RCPT or DATA), IMAP logins refused, nothing changed on n1.
            try (Client lmtp = new Client(p.port("n1", "lmtp"))) {
                lmtp.until("220");
                lmtp.send("LHLO test").until("250 ");
                lmtp.send("MAIL FROM:<sender@example.org>");
                assertThat(lmtp.line()).startsWith("250");
                lmtp.send("RCPT TO:<alice@example.org>");
                String rcpt = lmtp.line();
                if (rcpt.startsWith("250")) rcpt = data(lmtp, "after");
                assertThat(rcpt).startsWith("451 4.3.0");
            }
            try (Client imap = new Client(p.port("n1", "imap"))) {
                imap.until("* OK");
                assertThat(imap.send("a LOGIN alice pw-of-the-test").until("a ")).startsWith("a NO [UNAVAILABLE]");
            }
            SlotStore former = n1.store(), promoted = n2.store();
            assertThat(former.user("alice").mailbox("INBOX").orElseThrow().messages()).isEqualTo(1);
            assertThat(promoted.user("alice").mailbox("INBOX").orElseThrow().messages()).isEqualTo(1);
            // The former master now follows the new one (which wrote only its promotion jump): no change of its own.
            eventually(Duration.ofSeconds(30), () -> assertThat(former.replication().seq("alice")).as("former master follows the new one")
                    .isEqualTo(promoted.replication().seq("alice")));
            assertThat(former.changeLog().read("alice", seqBefore + 1, 100)).allSatisfy(r -> assertThat(r.epoch()).isEqualTo(epoch));
        }
    }
}
