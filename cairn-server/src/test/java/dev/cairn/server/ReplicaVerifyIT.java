// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.Replication;
import dev.cairn.server.cli.CliRun;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.Results;
import dev.cairn.store.SlotStore;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.testkit.Ports;
import dev.cairn.testkit.TestCluster;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `cairn replica verify` end to end: two nodes (n1 master, n2 replica, sync mode) in this JVM, a
 * mixed LMTP and IMAP workload on n1, then the tool, run as the command, compares both over IMAP
 * and finds them identical; then n2's store is changed behind replication's back and the tool
 * names each difference and exits 1.
 */
class ReplicaVerifyIT {
    private static final String SECRET = "verify test cluster secret";
    private static final String PASSWORD = "pw-of-the-test";

    @TempDir Path dir;
    private final Map<String, Node> nodes = new java.util.LinkedHashMap<>();
    private TestCluster cluster;

    private Path config(String node) { return dir.resolve(node + ".toml"); }

    private void writeConfigs() throws IOException {
        writeConfigs("127.0.0.1", Map.of());
    }

    /** IMAP of both nodes on {@code imapHost}; {@code trusted}: a node's [imap] trusted_networks, if set. */
    private void writeConfigs(String imapHost, Map<String, String> trusted) throws IOException {
        TestCluster.Builder spec = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp")
                .host("imap", imapHost).disable("admin", "pop3").replicated(SECRET, "sync").replication("slot = \"s0\"", "sync_timeout = \"5s\"");
        trusted.forEach((n, network) -> spec.lines(n, "imap", "trusted_networks = [\"" + network + "\"]"));
        cluster = spec.build();
        for (String n : cluster.nodes()) {
            for (String u : List.of("alice", "bob")) {
                assertThat(Main.run(new ByteArrayInputStream((PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)),
                        "user", "add", u, "--password-stdin", "--address", u + "@example.org", "--config", config(n).toString()))
                        .isZero();
            }
        }
    }

    private void start(String n) throws Exception {
        nodes.put(n, cluster.start(n, config -> Node.start(ConfigLoader.load(config), ProtocolListeners.builtIn())));
    }

    @AfterEach void stop() {
        for (Node n : nodes.values()) n.close();
    }

    private CliRun verify(String... more) {
        List<String> args = new ArrayList<>(List.of("replica", "verify", "--config", config("n1").toString(), "--with", config("n2").toString()));
        args.addAll(List.of(more));
        return CliRun.run("", args.toArray(String[]::new));
    }

    @Test void identicalAfterAMixedWorkloadThenEveryDifferenceIsNamed() throws Exception {
        writeConfigs();
        start("n1");
        start("n2");

        for (int i = 1; i <= 5; i++) deliver(i, "alice@example.org", "bob@example.org");
        try (Imap alice = new Imap(cluster.port("n1", "imap"), "alice")) {
            alice.ok("CREATE Work");
            alice.ok("CREATE Work/Old");
            alice.ok("SUBSCRIBE Work");
            alice.ok("UNSUBSCRIBE Junk");
            alice.append("INBOX", "(\\Flagged)", message("appended 6", 100));
            alice.append("INBOX", "", message("appended 7, big", 300_000)); // several socket reads: streamed hash
            alice.append("Work", "($Project)", message("appended to Work", 10));
            alice.ok("SELECT INBOX");
            alice.ok("UID STORE 1 +FLAGS (\\Seen $Important)");
            alice.ok("UID COPY 1:2 Work");
            alice.ok("UID MOVE 6 Work/Old");
            alice.ok("UID STORE 3 +FLAGS (\\Deleted)");
            alice.ok("EXPUNGE");
            alice.ok("RENAME Work/Old Work/Archive");
            alice.ok("CREATE Tmp");
            alice.append("Tmp", "", message("short-lived", 10));
            alice.ok("DELETE Tmp");
            alice.ok("SETACL Work bob lr");
        }
        try (Imap bob = new Imap(cluster.port("n1", "imap"), "bob")) {
            bob.ok("SELECT INBOX");
            bob.ok("UID STORE 2,4 +FLAGS (\\Flagged)");
            bob.ok("UID STORE 4 -FLAGS (\\Flagged)");
        }
        awaitReplicaCaughtUp();

        CliRun same = verify();
        assertThat(same.status()).as(same.out() + same.err()).isZero();
        // alice: INBOX 5, Work 3, Work/Archive 1 (+ 5 empty default folders); bob: INBOX 5 (+ 5)
        assertThat(same.out()).isEqualTo("identical: n1 and n2 over IMAP (2 users, 14 folders, 14 messages compared)\n");
        for (String bob : List.of("bob", "BOB", "Bob@Example.org")) {
            CliRun one = verify("--user", bob);
            assertThat(one.status()).as(bob).isZero();
            assertThat(one.out()).as(bob).contains("(1 users, 6 folders, 5 messages compared)");
        }

        // Behind replication's back, as if n2's disk had lost or changed something.
        SlotStore replica = nodes.get("n2").store();
        String fence = replica.replication().fenceReason();
        assertThat(fence).as("n2 is a fenced replica").isNotNull();
        replica.replication().unfence();
        UserStore a = replica.user("alice");
        MailboxInfo inbox = a.mailbox("INBOX").orElseThrow();
        a.storeFlags(inbox.id(), List.of(Uid.of(2)), Results.FlagOp.ADD, Flags.of("\\Answered"), OptionalLong.empty());
        a.expunge(a.mailbox("Work/Archive").orElseThrow().id(), List.of(Uid.of(1)));
        a.subscribe("Trash/Gone");
        a.setAcl("Work", "bob", "lrs");
        replica.openOrCreateUser("carol"); // a user the master never had
        replica.replication().fence(fence);
        assertThat(Main.run(new ByteArrayInputStream((PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)),
                "user", "add", "carol", "--password-stdin", "--config", config("n1").toString())).isZero();

        CliRun different = verify();
        assertThat(different.status()).as(different.out() + different.err()).isEqualTo(1);
        assertThat(different.out())
                .containsPattern("differs: user alice, folder \"INBOX\", uid 2, FLAGS: n1 has \\(\\), n2 has \\(\\\\Answered\\)\n")
                .containsPattern("differs: user alice, folder \"INBOX\", uid 2, MODSEQ: n1 has \\d+, n2 has \\d+\n")
                .containsPattern("differs: user alice, folder \"INBOX\", STATUS HIGHESTMODSEQ: n1 has \\d+, n2 has \\d+\n")
                .contains("differs: user alice, folder \"Work/Archive\", STATUS MESSAGES: n1 has 1, n2 has 0\n")
                .contains("differs: user alice, folder \"Work/Archive\", uid 1: n1 has it, n2 has no such message\n")
                .contains("differs: user alice, LSUB \"Trash/Gone\": n1 has nothing, n2 has (\\Noselect) \"/\"\n")
                .contains("differs: user alice, folder \"Work\", ACL: n1 has (alice lrswipkxtea, bob lr), n2 has (alice lrswipkxtea, bob lrs)\n")
                .contains("differs: user carol: n1 has no such user, n2 has it\n")
                .doesNotContain("user bob")
                .endsWith("DIFFERENT: n1 and n2: 9 differences (3 users, 14 folders, 14 messages compared)\n");

        // The comparison could not be made: not "identical", not "different".
        Path standalone = dir.resolve("standalone.toml");
        Files.writeString(standalone, "data = \"" + dir.resolve("standalone").toString().replace("\\", "/") + "\"\n");
        CliRun noSecret = CliRun.run("", "replica", "verify", "--config", config("n1").toString(), "--with", standalone.toString());
        assertThat(noSecret.status()).isEqualTo(2);
        assertThat(noSecret.err()).contains("no [replication] section, so no cluster secret for the verification login");
        nodes.remove("n2").close();
        CliRun down = verify();
        assertThat(down.status()).isEqualTo(2);
        assertThat(down.err()).contains("cairn: replica verify: n2");
    }

    /**
     * Off loopback, as between machines: both nodes refuse plaintext logins there, so the tool
     * runs STARTTLS (trusting each node's self-signed certificate from its data directory), and a
     * node whose trusted_networks do not hold the tool's address refuses it.
     */
    @Test void overStartTlsFromATrustedAddressAndRefusedFromAnUntrustedOne() throws Exception {
        InetAddress external = null;
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) continue;
            for (InetAddress a : Collections.list(ni.getInetAddresses())) if (a instanceof Inet4Address) external = a;
        }
        Assumptions.assumeTrue(external != null, "no non-loopback address on this machine");
        String ip = external.getHostAddress();
        writeConfigs(ip, Map.of("n1", ip + "/32", "n2", ip + "/32"));
        start("n1");
        start("n2");
        for (int i = 1; i <= 3; i++) deliver(i, "alice@example.org");
        awaitReplicaCaughtUp();
        CliRun same = verify();
        assertThat(same.status()).as(same.out() + same.err()).isZero();
        assertThat(same.out()).contains("identical: n1 and n2 over IMAP (2 users, 6 folders, 3 messages compared)"); // bob has no mail yet: on neither node

        nodes.remove("n2").close();
        Files.writeString(config("n2"), Files.readString(config("n2")).replace("trusted_networks = [\"" + ip + "/32\"]",
                "trusted_networks = [\"198.51.100.0/24\", \"127.0.0.1\"]"));
        start("n2");
        CliRun refused = verify();
        assertThat(refused.status()).as(refused.out() + refused.err()).isEqualTo(2);
        assertThat(refused.err()).contains("n2 (IMAP at " + ip).contains("the verification login was refused: NO [AUTHENTICATIONFAILED]");
    }

    /**
     * Replication cut off (async mode): the replica's replication listener moves where the master
     * does not look, the master takes more mail and flag changes, and verify shows what the replica
     * lacks; once the replica is back where the master finds it, it catches up and verify says
     * identical.
     */
    @Test void whatACutOffReplicaLacksIsShownAndGoneAfterCatchUp() throws Exception {
        writeConfigs();
        Files.writeString(config("n1"), Files.readString(config("n1")).replace("mode = \"sync\"", "mode = \"async\""));
        Files.writeString(config("n2"), Files.readString(config("n2")).replace("mode = \"sync\"", "mode = \"async\""));
        start("n1");
        start("n2");
        for (int i = 1; i <= 3; i++) deliver(i, "alice@example.org", "bob@example.org");
        awaitReplicaCaughtUp();
        assertThat(verify().status()).isZero();

        String connected = Files.readString(config("n2"));
        nodes.remove("n2").close();
        Files.writeString(config("n2"), connected.replace("listen = \"127.0.0.1:" + cluster.port("n2", "repl") + "\"",
                "listen = \"127.0.0.1:" + Ports.free() + "\""));
        start("n2");
        deliver(4, "alice@example.org");
        try (Imap alice = new Imap(cluster.port("n1", "imap"), "alice")) {
            alice.ok("SELECT INBOX");
            alice.ok("UID STORE 1 +FLAGS (\\Answered)");
        }
        CliRun behind = verify();
        assertThat(behind.status()).as(behind.out() + behind.err()).isEqualTo(1);
        assertThat(behind.out())
                .contains("differs: user alice, folder \"INBOX\", STATUS MESSAGES: n1 has 4, n2 has 3\n")
                .contains("differs: user alice, folder \"INBOX\", uid 4: n1 has it, n2 has no such message\n")
                .contains("differs: user alice, folder \"INBOX\", uid 1, FLAGS: n1 has (\\Answered), n2 has ()\n")
                .doesNotContain("user bob");

        nodes.remove("n2").close();
        Files.writeString(config("n2"), connected);
        start("n2");
        awaitReplicaCaughtUp();
        CliRun caughtUp = verify();
        assertThat(caughtUp.status()).as(caughtUp.out() + caughtUp.err()).isZero();
        assertThat(caughtUp.out()).isEqualTo("identical: n1 and n2 over IMAP (2 users, 12 folders, 7 messages compared)\n");
    }

    /** A user's own login on the replica is still refused; the verification login is not a way around writes. */
    @Test void usersStillCannotLogInOnTheReplica() throws Exception {
        writeConfigs();
        start("n1");
        start("n2");
        deliver(1, "alice@example.org");
        try (Socket s = new Socket("127.0.0.1", cluster.port("n2", "imap"))) {
            s.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            in.readLine();
            out.write(("a LOGIN alice " + PASSWORD + "\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("a NO [UNAVAILABLE]");
        }
    }

    private void awaitReplicaCaughtUp() throws Exception {
        eventually(Duration.ofSeconds(30), () -> {
            List<Replication.StoreStatus> status = nodes.get("n1").replication().status();
            assertThat(status).as("the replica caught up").allSatisfy(s -> assertThat(s.channels()).isNotEmpty()
                    .allMatch(c -> c.connected() && c.lagChanges() == 0, "connected, no lag"));
        });
    }

    /** A message of at least {@code minLength} octets. */
    private static String message(String subject, int minLength) {
        StringBuilder b = new StringBuilder("From: load@example.org\r\nTo: alice@example.org\r\nSubject: " + subject
                + "\r\nMessage-ID: <" + subject.hashCode() + "@test>\r\n\r\n");
        for (int i = 0; b.length() < minLength; i++) b.append("line ").append(i).append(" of ").append(subject).append("\r\n");
        return b.toString();
    }

    private void deliver(int i, String... recipients) throws IOException {
        try (Socket s = new Socket("127.0.0.1", cluster.port("n1", "lmtp"))) {
            s.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            assertThat(in.readLine()).startsWith("220");
            out.write("LHLO test\r\n".getBytes(StandardCharsets.US_ASCII));
            String line;
            while ((line = in.readLine()) != null && line.startsWith("250-")) { }
            out.write("MAIL FROM:<load@example.org>\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("250");
            for (String r : recipients) {
                out.write(("RCPT TO:<" + r + ">\r\n").getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).startsWith("250");
            }
            out.write("DATA\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("354");
            out.write((message("delivered " + i, 200) + ".\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (String r : recipients) assertThat(in.readLine()).as("delivery to " + r).startsWith("250");
        }
    }

    /** A user's IMAP session on a node, over a raw socket; every command must answer OK. */
    private static final class Imap implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;
        private int tag;

        Imap(int port, String user) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(20_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
            in.readLine();
            ok("LOGIN " + user + " " + PASSWORD);
        }

        void ok(String command) throws IOException {
            send(command + "\r\n");
        }

        void append(String mailbox, String flags, String message) throws IOException {
            byte[] m = message.getBytes(StandardCharsets.US_ASCII);
            send("APPEND " + mailbox + (flags.isEmpty() ? "" : " " + flags) + " {" + m.length + "+}\r\n" + message + "\r\n");
        }

        private void send(String text) throws IOException {
            String t = "t" + ++tag;
            out.write((t + " " + text).getBytes(StandardCharsets.UTF_8));
            out.flush();
            String line;
            while ((line = in.readLine()) != null && !line.startsWith(t + " ")) { }
            assertThat(line).as(text.lines().findFirst().orElse("")).startsWith(t + " OK");
        }

        @Override public void close() throws IOException {
            socket.close();
        }
    }
}
