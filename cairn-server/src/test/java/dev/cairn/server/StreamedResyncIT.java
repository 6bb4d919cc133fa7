// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.imap.VerifyAccess;
import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.TestCluster;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user copied whole (resync) between two real `cairn serve` processes (n1 master, n2 replica,
 * async): the copy streams, so a user much larger than either node's heap is copied, and a
 * replica killed with SIGKILL in the middle of a copy keeps its old copy of the user, readable,
 * and gets the whole copy after it restarts. The size of the large user and the nodes' heap:
 * CAIRN_RESYNC_MIB (default 128) and CAIRN_RESYNC_HEAP (default 64m; at 32m a node does not serve IMAP reliably); bench/resync.sh runs 1 GiB
 * against 128m. CI's 128 MiB is twice the heap: a copy built in memory (the old code) cannot hold it and fails,
 * as at 256 MiB, in half the delivery and copy. Timeout: the build's cairn.it.timeout (5 m; -Dcairn.it.timeout="60 m" for the large run).
 */
class StreamedResyncIT {
    private static final String SECRET = "resync test cluster secret";
    private static final int MIB = 1 << 20;

    @TempDir Path dir;
    private TestCluster cluster;
    private NodeProcesses nodes;

    private void writeConfigs() throws IOException {
        // UIDs and MODSEQs reserved far ahead: the master takes the large user's mail while the replica is down.
        cluster = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 1").listen("imap", "lmtp", "admin")
                .disable("pop3").replicated(SECRET, "async")
                .replication("slot = \"s0\"", "uid_block = 100000", "modseq_block = 1000000").build();
        nodes = new NodeProcesses(cluster, dir);
        assertThat(Main.run(new ByteArrayInputStream((NodeProcesses.PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)),
                "user", "add", "alice", "--password-stdin", "--address", "alice@example.org", "--config", cluster.config("n1").toString()))
                .isZero();
    }

    private Path log(String node) { return dir.resolve(node + ".log"); }

    @AfterEach void stopAll() {
        if (nodes != null) nodes.close();
    }

    /** Messages to alice over LMTP on n1, one connection; each of {@code size} bytes, none like another. */
    private void deliver(int count, int size, long seed) throws IOException {
        Random r = new Random(seed);
        try (Socket s = new Socket("127.0.0.1", cluster.port("n1", "lmtp"))) {
            s.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = new java.io.BufferedOutputStream(s.getOutputStream(), 1 << 16);
            expect(in, "220");
            send(out, "LHLO test\r\n");
            String line;
            while ((line = in.readLine()) != null && line.startsWith("250-")) { }
            for (int i = 0; i < count; i++) {
                send(out, "MAIL FROM:<load@example.org>\r\n");
                expect(in, "250");
                send(out, "RCPT TO:<alice@example.org>\r\n");
                expect(in, "250");
                send(out, "DATA\r\n");
                expect(in, "354");
                send(out, "From: load@example.org\r\nTo: alice@example.org\r\nSubject: " + seed + "/" + i + "\r\n\r\n");
                byte[] row = new byte[78];
                row[76] = '\r';
                row[77] = '\n';
                for (int n = 0; n < size; n += row.length) {
                    for (int k = 0; k < 76; k++) row[k] = (byte) ('a' + r.nextInt(26));
                    out.write(row);
                }
                send(out, ".\r\n");
                expect(in, "250");
            }
            send(out, "QUIT\r\n");
        }
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void expect(BufferedReader in, String code) throws IOException {
        String line = in.readLine();
        assertThat(line).as("reply").isNotNull().startsWith(code);
    }

    /** `cairn replica verify` of alice between n1 and n2 (every message's SHA-256 over IMAP). */
    private CliRun verify() {
        return CliRun.run("", "replica", "verify", "--config", cluster.config("n1").toString(), "--with", cluster.config("n2").toString(),
                "--user", "alice");
    }

    /** What the log says after {@code from} bytes (this run of the node). */
    private String logSince(String node, long from) throws IOException {
        byte[] all = Files.readAllBytes(log(node));
        return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from), StandardCharsets.UTF_8);
    }

    private long logSize(String node) throws IOException { return Files.exists(log(node)) ? Files.size(log(node)) : 0; }

    @Test void aUserLargerThanTheHeapIsCopiedBetweenNodesOfThatHeap() throws Exception {
        int mib = Integer.parseInt(System.getenv().getOrDefault("CAIRN_RESYNC_MIB", "128"));
        String heap = System.getenv().getOrDefault("CAIRN_RESYNC_HEAP", "64m");
        writeConfigs();
        nodes.start("n1", heap);
        nodes.start("n2", heap);
        deliver(1, 100, 1);
        eventually(Duration.ofSeconds(60), () -> assertThat(verify().status()).isZero());

        nodes.kill("n2");
        deliver(mib, MIB - 200, 2);
        nodes.admin("n1", "POST", "/replication/resync?store=s1&user=alice");
        long from = logSize("n2");
        nodes.start("n2", heap);
        eventually(Duration.ofMinutes(Math.max(3, mib / 64)), () -> assertThat(logSince("n2", from)).contains("installed a copy of alice"));
        CliRun same = verify();
        assertThat(same.status()).as(same.out() + same.err()).isZero();
        assertThat(same.out()).contains((mib + 1) + " messages compared");
        for (String n : List.of("n1", "n2")) {
            assertThat(nodes.running(n)).as(n + " alive").isTrue();
            assertThat(Files.readString(log(n))).as(n + "'s log").doesNotContain("OutOfMemoryError");
        }
        System.out.println("StreamedResyncIT: " + mib + " MiB of alice copied between nodes of -Xmx" + heap + "; n1: "
                + lines(logSince("n1", 0), "ending the copy of alice"));
    }

    private static String lines(String log, String containing) {
        return String.join(" | ", log.lines().filter(l -> l.contains(containing)).toList());
    }

    @Test void aReplicaKilledInTheMiddleOfACopyKeepsItsOldCopyAndGetsTheCopyAfterARestart() throws Exception {
        writeConfigs();
        // The replica syncs each batch to disk: a copy takes it long enough to be caught in the middle.
        Files.writeString(cluster.config("n2"), Files.readString(cluster.config("n2")).replace("sync = false", "sync = true"));
        nodes.start("n1", "128m");
        nodes.start("n2", "128m");
        deliver(5, 2000, 3);
        eventually(Duration.ofSeconds(60), () -> assertThat(verify().status()).isZero());
        List<String> oldCopy = readOnReplica();
        assertThat(oldCopy).hasSize(5);

        nodes.kill("n2");
        deliver(48, MIB - 200, 4);
        nodes.admin("n1", "POST", "/replication/resync?store=s1&user=alice");
        long from2 = logSize("n2");
        long from1 = logSize("n1");
        // As soon as n2 says it receives the copy: n1 is frozen (so nothing more leaves it), then n2 is killed.
        Thread killer = Thread.ofPlatform().start(() -> {
            try {
                while (!logSince("n2", from2).contains("receiving a copy of alice")) Thread.sleep(5);
                nodes.signal("n1", "STOP");
                nodes.kill("n2");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            nodes.start("n2", "128m");
        } catch (Exception | AssertionError killedWhileStarting) {
            // n2 may be killed before its health check answered
        }
        killer.join(120_000);
        assertThat(nodes.running("n2")).isFalse();
        assertThat(logSince("n1", from1)).as("the copy never ended: n2 cannot have switched").contains("copying alice whole")
                .doesNotContain("ending the copy of alice");

        // n2 alone (n1 frozen): its slot drops what was staged at open; alice reads as before the copy.
        long from3 = logSize("n2");
        nodes.start("n2", "128m");
        assertThat(logSince("n2", from3)).contains("removed 1 unfinished or replaced user copies");
        assertThat(readOnReplica()).isEqualTo(oldCopy);

        nodes.signal("n1", "CONT");
        eventually(Duration.ofMinutes(3), () -> assertThat(logSince("n2", from3)).contains("installed a copy of alice"));
        CliRun same = verify();
        assertThat(same.status()).as(same.out() + same.err()).isZero();
        assertThat(same.out()).contains("53 messages compared");
    }

    /** Alice's INBOX on n2, as the verification login reads it: "UID n RFC822.SIZE s" per message. */
    private List<String> readOnReplica() throws IOException {
        try (Socket s = new Socket("127.0.0.1", cluster.port("n2", "imap"))) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            in.readLine();
            String plain = "alice\0" + VerifyAccess.IDENTITY + "\0" + VerifyAccess.password(SECRET.getBytes(StandardCharsets.UTF_8), "alice");
            send(out, "a AUTHENTICATE PLAIN\r\n");
            assertThat(in.readLine()).startsWith("+");
            send(out, Base64.getEncoder().encodeToString(plain.getBytes(StandardCharsets.UTF_8)) + "\r\n");
            assertThat(tagged(in, "a", new ArrayList<>())).startsWith("a OK");
            send(out, "b EXAMINE INBOX\r\n");
            assertThat(tagged(in, "b", new ArrayList<>())).startsWith("b OK");
            send(out, "c UID FETCH 1:* (RFC822.SIZE)\r\n");
            List<String> untagged = new ArrayList<>();
            assertThat(tagged(in, "c", untagged)).startsWith("c OK");
            send(out, "d LOGOUT\r\n");
            List<String> out2 = new ArrayList<>();
            for (String l : untagged) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("UID (\\d+).*RFC822\\.SIZE (\\d+)|RFC822\\.SIZE (\\d+).*UID (\\d+)").matcher(l);
                if (m.find()) out2.add(m.group(1) != null ? "UID " + m.group(1) + " RFC822.SIZE " + m.group(2) : "UID " + m.group(4) + " RFC822.SIZE " + m.group(3));
            }
            return out2;
        }
    }

    private static String tagged(BufferedReader in, String tag, List<String> untagged) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith(tag + " ")) return line;
            untagged.add(line);
        }
        throw new IOException("closed");
    }
}
