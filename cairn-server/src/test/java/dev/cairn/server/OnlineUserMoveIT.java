// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.verify.ReplicaVerifier;
import dev.cairn.server.verify.UserSnapshot;
import dev.cairn.testkit.PostgresServer;
import dev.cairn.testkit.TestCluster;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, online user move: a cluster of two real `cairn serve` nodes on a real three-server
 * ZooKeeper ensemble and one PostgreSQL directory (placement lives there), crosswise: n1 masters
 * store s1 (slot a) and replicates s2 (slot b), n2 the reverse. alice lives on s1 with a few
 * hundred messages in three mailboxes (flags, keywords, a move between mailboxes); an IMAP client
 * of hers is logged in on n1 and LMTP deliveries to her go on without a pause (a 451 is "wait and
 * try again, maybe on the other node"; a 5xx would be a failure). `cairn user move alice --to s2`
 * against n1: no delivery fails, the IMAP client gets one BYE [UNAVAILABLE] and its reconnect on
 * n2 sees every message, the mailboxes on n2 are what they were on n1 (every message, flags,
 * MODSEQ, UID and UIDVALIDITY) plus exactly the deliveries acknowledged, the old copy is gone from
 * s1 (master and replica), and s2's replica on n1 has alice as its master has her. Then her
 * domain's store is set to s1 and the group job ({@code group_moves}, every 2 s here) moves her
 * back, again under deliveries: none fails, nothing is lost.
 */
// Timeout: the build's cairn.it.timeout (5 m); bench/user-move.sh gives its 10,000-message run -Dcairn.it.timeout="30 m".
class OnlineUserMoveIT {
    /** bench/user-move.sh runs 10,000 (CAIRN_MOVE_MESSAGES) of about 4 KiB (CAIRN_MOVE_BODY). */
    private static final int MESSAGES = Integer.parseInt(System.getenv().getOrDefault("CAIRN_MOVE_MESSAGES", "300"));
    private static final int BODY = Integer.parseInt(System.getenv().getOrDefault("CAIRN_MOVE_BODY", "200"));

    @TempDir Path dir;

    @Test void aUserMovesToAnotherStoreUnderDeliveriesWithoutAFailedDeliveryAndArrivesIdentical() throws Exception {
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
             PostgresServer postgres = PostgresServer.start()) {
            postgres.createDatabase("cairn");
            Path password = postgres.writePasswordFile(dir.resolve("directory.password"));
            TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                    .disable("pop3").slots("n1", "a", "b").slots("n2", "a", "b")
                    .cluster("online move test secret", zk.connectString(), "session_timeout = \"4s\"", "group_moves = \"2s\"")
                    .replication("sync_timeout = \"2s\"")
                    .directory("url = \"" + postgres.url("cairn") + "\"", "user = \"" + PostgresServer.USER + "\"",
                            "password_file = \"" + password.toString().replace("\\", "/") + "\"", "pool_size = 4",
                            "default_domain = \"example.org\"")
                    .build();
            try (NodeProcesses p = new NodeProcesses(c, dir)) {
                p.start("n1");
                p.start("n2");
                create(c, "s1", "n1/a", "n2/a");
                create(c, "s2", "n2/b", "n1/b");
                eventually(Duration.ofSeconds(60), () -> assertThat(p.status("n2")).contains("self=n2 in sync as of epoch"));
                eventually(Duration.ofSeconds(60), () -> assertThat(p.status("n1")).contains("self=n1 in sync as of epoch"));
                p.addUsersThrough("n1", "alice");

                long filling = System.nanoTime();
                deliverMany(c.port("n1", "lmtp"), MESSAGES);
                System.out.printf("old messages: %d of ~%d bytes delivered in %d ms%n", MESSAGES, BODY, (System.nanoTime() - filling) / 1_000_000);
                try (NodeProcesses.Imap imap = p.imap("n1", "alice")) {
                    assertThat(imap.command("CREATE Kept").getLast()).contains("OK");
                    assertThat(imap.command("CREATE Work/2026").getLast()).contains("OK");
                    assertThat(imap.command("SELECT INBOX").getLast()).contains("OK");
                    assertThat(imap.command("UID COPY 1:" + MESSAGES / 3 + " Kept").getLast()).contains("OK");
                    assertThat(imap.command("UID MOVE " + (MESSAGES / 3 + 1) + ":" + MESSAGES / 2 + " Work/2026").getLast()).contains("OK");
                    assertThat(imap.command("UID STORE 1:" + MESSAGES / 4 + " +FLAGS (\\Seen)").getLast()).contains("OK");
                    assertThat(imap.command("UID STORE " + MESSAGES / 8 + ":" + MESSAGES / 3 + " +FLAGS ($Important project-x)").getLast()).contains("OK");
                    assertThat(imap.command("SELECT Kept").getLast()).contains("OK");
                    assertThat(imap.command("STORE 1:* +FLAGS (\\Answered)").getLast()).contains("OK");
                    assertThat(imap.command("STORE 1:10 +FLAGS (\\Deleted)").getLast()).contains("OK");
                    assertThat(imap.command("EXPUNGE").getLast()).contains("OK");
                }
                SortedMap<String, String> before = UserSnapshot.read(c.config("n1"), "alice");
                assertThat(before).containsKeys("INBOX UIDVALIDITY", "Kept UIDVALIDITY", "Work/2026 UIDVALIDITY");

                NodeProcesses.Imap client = p.imap("n1", "alice");
                assertThat(client.command("SELECT INBOX").getLast()).contains("OK");

                Deliveries live = new Deliveries(p);
                Thread deliverer = Thread.ofPlatform().name("deliveries").start(live);
                eventually(Duration.ofSeconds(30), () -> assertThat(live.acknowledged).hasSizeGreaterThan(10));

                CliRun move = CliRun.run("", "user", "move", "alice", "--to", "s2", "--config", c.config("n1").toString());
                System.out.println("cairn user move: " + move.out() + move.err());
                assertThat(move.status()).as(move.toString()).isZero();
                assertThat(move.out()).contains("user alice moved from store s1 to s2").contains("old copy removed");

                int atMove = live.acknowledged.size();
                eventually(Duration.ofSeconds(60), () -> assertThat(live.acknowledged).hasSizeGreaterThan(atMove + 20));
                live.stop.set(true);
                deliverer.join(60_000);
                System.out.printf("deliveries: %d acknowledged, %d answered 451 (waited and retried), %d failed, longest answer %d ms%n",
                        live.acknowledged.size(), live.waits.get(), live.failures.size(), live.longest.get());
                assertThat(live.failures).as("failed deliveries").isEmpty();

                // The IMAP client of n1 was told once, and its reconnect to the new place sees everything.
                assertThat(client.lastBye().isEmpty() ? readBye(client) : client.lastBye()).startsWith("* BYE [UNAVAILABLE]");
                client.close();
                List<String> subjects = subjects(p, "n2");
                List<String> expected = new ArrayList<>(live.acknowledged);
                for (int i = 0; i < MESSAGES; i++) expected.add("old-" + i); // in INBOX, or moved to Work/2026
                assertThat(subjects).containsExactlyInAnyOrderElementsOf(expected);

                // Every message of before, with its flags, MODSEQ, UID and UIDVALIDITY, on the new master.
                SortedMap<String, String> after = UserSnapshot.read(c.config("n2"), "alice");
                before.forEach((k, v) -> assertThat(after.get(k)).as(k).isEqualTo(v));
                long newInInbox = after.keySet().stream().filter(k -> k.startsWith("INBOX ") && !before.containsKey(k)).count();
                assertThat(newInInbox).as("new messages in INBOX: the acknowledged deliveries, each once").isEqualTo(live.acknowledged.size());

                // The old copy is gone from s1: its master (n1/a) and, through replication of the removal, its replica (n2/a).
                String token = ClusterToken.of(ConfigLoader.load(c.config("n1")).replication().config().secret());
                assertThat(seq(c, "n1", "s1", token)).isZero();
                eventually(Duration.ofSeconds(30), () -> assertThat(seq(c, "n2", "s1", token)).isZero());
                // s2's replica (n1/b) has alice as its master (n2/b) has her (`cairn replica verify`'s comparison).
                eventually(Duration.ofSeconds(60), () -> {
                    StringWriter out = new StringWriter();
                    ReplicaVerifier.Outcome o = new ReplicaVerifier(new PrintWriter(out)).compare(
                            ReplicaVerifier.Target.of(ConfigLoader.load(c.config("n2")), "n2"),
                            ReplicaVerifier.Target.of(ConfigLoader.load(c.config("n1")), "n1"), List.of("alice"));
                    assertThat(o.differences()).as(out.toString()).isZero();
                    assertThat(o.messages()).isEqualTo(after.keySet().stream().filter(k -> !k.endsWith(" UIDVALIDITY")).count());
                });

                // The group job (every 2 s here, on the elected controller's node) moves her back once
                // her domain's store is s1: again without a failed delivery, and nothing of hers lost.
                Deliveries back = new Deliveries(p);
                Thread backDeliverer = Thread.ofPlatform().name("deliveries-back").start(back);
                eventually(Duration.ofSeconds(30), () -> assertThat(back.acknowledged).hasSizeGreaterThan(10));
                try (var directory = Directories.open(ConfigLoader.load(c.config("n1")))) {
                    directory.placement().setDomainStore("example.org", java.util.Optional.of("s1"));
                }
                eventually(Duration.ofSeconds(60), () -> {
                    assertThat(seq(c, "n1", "s1", token)).isPositive();
                    assertThat(seq(c, "n2", "s2", token)).isZero();
                });
                int atMoveBack = back.acknowledged.size();
                eventually(Duration.ofSeconds(60), () -> assertThat(back.acknowledged).hasSizeGreaterThan(atMoveBack + 10));
                back.stop.set(true);
                backDeliverer.join(60_000);
                System.out.printf("moved back by the group job: %d deliveries acknowledged, %d answered 451, %d failed%n",
                        back.acknowledged.size(), back.waits.get(), back.failures.size());
                assertThat(back.failures).as("failed deliveries").isEmpty();
                expected.addAll(back.acknowledged);
                assertThat(subjects(p, "n1")).containsExactlyInAnyOrderElementsOf(expected);
                SortedMap<String, String> home = UserSnapshot.read(c.config("n1"), "alice");
                before.forEach((k, v) -> assertThat(home.get(k)).as(k).isEqualTo(v));
            }
        }
    }

    /** The user's seq in the node's slot of the store (0: not there), through the move's own endpoint. */
    private static long seq(TestCluster c, String node, String store, String token) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port(node, "admin")
                    + "/users/move/seq?store=" + store + "&user=alice")).header("Authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return Long.parseLong(r.body().strip());
        }
    }

    private static void create(TestCluster c, String store, String master, String replica) {
        CliRun r = CliRun.run("", "store", "create", store, "--master", master, "--replicas", replica, "--config", c.config("n1").toString());
        assertThat(r.status()).as(r.toString()).isZero();
    }

    /** The old messages in one LMTP session (old-0, old-1, ...), each acknowledged. */
    private static void deliverMany(int port, int n) throws IOException {
        String padding = "x".repeat(70) + "\r\n";
        String body = padding.repeat(Math.max(1, BODY / padding.length()));
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
            var out = new java.io.BufferedOutputStream(s.getOutputStream());
            in.readLine();
            out.write("LHLO test\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            for (String l = in.readLine(); l.startsWith("250-"); l = in.readLine()) { }
            for (int i = 0; i < n; i++) {
                out.write(("MAIL FROM:<load@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                assertThat(in.readLine()).startsWith("250");
                assertThat(in.readLine()).startsWith("250");
                assertThat(in.readLine()).startsWith("354");
                out.write(("From: load@example.org\r\nTo: alice@example.org\r\nSubject: old-" + i + "\r\nMessage-ID: <old-" + i
                        + "@test>\r\n\r\n" + body + ".\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                assertThat(in.readLine()).startsWith("250");
            }
            out.write("QUIT\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    /** Reads until the server's BYE (or the end); the BYE line or "". */
    private static String readBye(NodeProcesses.Imap client) {
        try {
            client.command("NOOP");
        } catch (IOException closed) {
            // after the BYE
        }
        return client.lastBye();
    }

    private static List<String> subjects(NodeProcesses p, String node) throws Exception {
        List<String> out = new ArrayList<>();
        try (NodeProcesses.Imap imap = p.imap(node, "alice")) {
            for (String mailbox : List.of("INBOX", "Kept", "Work/2026")) {
                if (mailbox.equals("Kept")) continue; // copies of INBOX's
                assertThat(imap.command("SELECT " + mailbox).getLast()).contains("OK");
                for (String l : imap.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) {
                    if (l.startsWith("Subject: ")) out.add(l.substring(9).strip());
                }
            }
        }
        return out;
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Delivers to alice without a pause: on a 451 it tries again at once on the other node. */
    static final class Deliveries implements Runnable {
        final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger waits = new AtomicInteger();
        final AtomicLong longest = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        private final NodeProcesses p;

        Deliveries(NodeProcesses p) { this.p = p; }

        @Override public void run() {
            String node = "n1";
            for (int i = 0; !stop.get(); i++) {
                String subject = "live-" + i;
                while (true) {
                    long start = System.nanoTime();
                    String answer;
                    try {
                        answer = p.deliver(node, "alice", subject);
                    } catch (IOException e) {
                        answer = "lost: " + e.getMessage(); // a lost answer is a failure: the sender would not know
                    }
                    longest.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
                    if (answer.startsWith("250")) {
                        acknowledged.add(subject);
                        break;
                    }
                    if (answer.startsWith("451")) {
                        if (waits.incrementAndGet() % 2 == 0) pause(); // both nodes said wait: a moment before the next round
                        node = node.equals("n1") ? "n2" : "n1";
                        continue;
                    }
                    failures.add(subject + ": " + answer);
                    break;
                }
            }
        }
    }
}
