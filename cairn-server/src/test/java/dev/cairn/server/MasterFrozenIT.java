// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.ClusterPaths;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.cluster.StoreRecords;
import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.PostgresServer;
import dev.cairn.testkit.TestCluster;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20 must-shows 2 and 6: a master node frozen (SIGSTOP) for twice the ZooKeeper session
 * timeout under LMTP deliveries and an IMAP session, then resumed. Two real `cairn serve` nodes
 * (n1 master, n2 replica of the sync store s1) on a real three-server ensemble, the cluster's
 * directory in a real PostgreSQL. While n1 is frozen its session expires, n2 is promoted and takes
 * mail; after SIGCONT n1 acknowledges nothing itself (every delivery it answers is 4xx or cut, the
 * one that was under way when it froze too, or, once it follows the map, relayed to n2 and
 * acknowledged there), follows the map as n2's replica and is reconciled: n2
 * has every message anyone acknowledged, no UID n1 gave names another message on n2, and
 * `cairn replica verify` finds both nodes identical. Every user of the store logs in and gets
 * mail on n2.
 */
@Timeout(240)
class MasterFrozenIT {
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
    private static final List<String> USERS = List.of("alice", "bob", "carol");
    /** The user each writer of the load writes to. */
    static final Map<String, String> WRITERS = Map.of("imap", "alice", "lmtp-a", "alice", "lmtp-b", "bob");

    @TempDir Path dir;

    @Test void aMasterFrozenPastItsSessionAcknowledgesNothingAfterItExpiredAndRejoinsAsReplica() throws Exception {
        try (PostgresServer postgres = PostgresServer.start();
             ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.connectString(), new ExponentialBackoffRetry(100, 3))) {
            postgres.createDatabase("cairn");
            Path password = postgres.writePasswordFile(dir.resolve("directory.password"));
            client.start();
            StoreRecords map = new StoreRecords(client, new ClusterPaths("/cairn"));
            TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                    .disable("pop3")
                    .directory("url = \"" + postgres.url("cairn") + "\"", "user = \"" + PostgresServer.USER + "\"",
                            "password_file = \"" + password.toString().replace("\\", "/") + "\"", "pool_size = 4",
                            "default_domain = \"example.org\"")
                    .cluster("cluster freeze test secret", zk.connectString(), "session_timeout = \"" + SESSION_TIMEOUT.toSeconds() + "s\"",
                            "failover_damping = \"0s\"", "rejoin_grace = \"0s\"")
                    .replication("sync_timeout = \"2s\"").build();
            try (NodeProcesses p = new NodeProcesses(c, dir); WriteLoad load = new WriteLoad()) {
                p.start("n1");
                p.start("n2");
                CliRun create = CliRun.run("", "store", "create", "s1", "--master", "n1/s0", "--replicas", "n2/s0",
                        "--config", c.config("n1").toString());
                assertThat(create.status()).as(create.err()).isZero();
                eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=master"));
                p.awaitInSync("n2");
                p.addUsersOn("n1", "s1", USERS.toArray(String[]::new)); // the cluster's directory, placed on s1: once, for every node
                for (String u : USERS) assertThat(p.deliver("n1", u, "first-" + u)).startsWith("250");
                eventually(Duration.ofSeconds(10), () -> assertThat(client.getChildren().forPath("/cairn/stores/s1/progress")).contains("n2_s0"));

                // Writes under way on n1: deliveries to alice and bob, alice's IMAP session appending, and
                // a delivery to carol that has its recipient and will send its message after the freeze.
                NodeProcesses.Imap imap = p.imap("n1", "alice");
                assertThat(imap.command("SELECT INBOX").getLast()).contains("OK");
                load.start("imap", "n1", subject -> FailoverChecks.append(imap, subject), 100, answer -> answer.startsWith("closed"));
                load.deliveries(p, "lmtp-a", "n1", "alice", 20);
                load.deliveries(p, "lmtp-b", "n1", "bob", 20);
                FailoverChecks.HeldDelivery held = new FailoverChecks.HeldDelivery(p, "n1", "carol");
                eventually(Duration.ofSeconds(20), () -> assertThat(load.from("n1").stream().filter(WriteLoad.Answer::acknowledged).count())
                        .isGreaterThan(10));
                AtomicLong expired = FailoverChecks.deletionOf(client, "/cairn/nodes/n1");
                long before = map.read("s1").orElseThrow().record().epoch();

                // From when `kill -STOP` returned (n1 is stopped): a write started before may have been under way.
                p.signal("n1", "STOP");
                long stopped = System.nanoTime();
                long inMap = 0, accepted = 0;
                // Frozen for twice the session timeout, and in any case until n2 took mail (at most 30 s).
                long resumeAt = stopped + SESSION_TIMEOUT.multipliedBy(2).toNanos();
                while ((System.nanoTime() < resumeAt || accepted == 0) && System.nanoTime() - stopped < Duration.ofSeconds(30).toNanos()) {
                    if (inMap == 0 && map.read("s1").orElseThrow().record().master().equals(new SlotRef("n2", "s0"))) inMap = System.nanoTime();
                    if (inMap != 0 && accepted == 0 && p.deliver("n2", "alice", "n2-first-alice").startsWith("250")) {
                        accepted = System.nanoTime();
                        assertThat(p.deliver("n2", "bob", "n2-first-bob")).startsWith("250");
                    }
                    Thread.sleep(50);
                }
                long resumed = System.nanoTime();
                p.signal("n1", "CONT");
                String heldAnswer = held.finish("held-carol");
                held.close();

                assertThat(expired.get()).as("n1's registration deleted (its session expired) while it was frozen").isNotZero();
                assertThat(inMap).as("n2/s0 master in the map while n1 was frozen").isNotZero();
                assertThat(accepted).as("a delivery accepted on n2 while n1 was frozen").isNotZero();
                assertThat(heldAnswer).as("the delivery under way when n1 froze, finished after").matches("^(4\\d\\d |closed).*");

                // n1 follows the map: n2's replica, in sync again once reconciled.
                eventually(Duration.ofSeconds(60), () -> assertThat(p.status("n1")).contains("role=replica"));
                load.close();
                imap.close();
                // n1, a replica now, relays a delivery to the master (every cluster node does, issue 21): n2's UID.
                AtomicReference<String> viaN1 = new AtomicReference<>();
                eventually(Duration.ofSeconds(15), () -> assertThat(viaN1.updateAndGet(was -> deliverOrClosed(p, "n1", "alice", "via-n1-alice")))
                        .startsWith("250"));
                assertThat(FailoverChecks.subjectsByUid(p, "n2", "alice").get(FailoverChecks.answeredUid(viaN1.get())))
                        .as("the message of the UID n1 answered (%s), on n2", viaN1.get()).isEqualTo("via-n1-alice");
                List<WriteLoad.Answer> fromN1 = load.from("n1");
                List<WriteLoad.Answer> late = FailoverChecks.assertLateAcknowledgementsWereReplicated(p, load, "n1", stopped, expired.get(),
                        WRITERS, "n2", Map.of("alice", "n2-first-alice", "bob", "n2-first-bob"));
                List<WriteLoad.Answer> relayed = fromN1.stream().filter(a -> a.acknowledged() && a.started() - stopped > 0).toList();
                FailoverChecks.assertRelayedTo(p, relayed, WRITERS, "n2", Map.of("alice", "n2-first-alice", "bob", "n2-first-bob"));
                assertThat(fromN1.stream().filter(a -> a.started() - stopped > 0 && !relayed.contains(a)))
                        .as("n1's answers to writes started after SIGSTOP, but for deliveries it relayed to n2").allMatch(WriteLoad.Answer::refusedOrCut);
                long lastAck = fromN1.stream().filter(WriteLoad.Answer::acknowledged).mapToLong(WriteLoad.Answer::answered).max().orElseThrow();
                long firstRefusal = fromN1.stream().filter(WriteLoad.Answer::refusedOrCut)
                        .mapToLong(WriteLoad.Answer::answered).min().orElse(0);
                System.out.printf("master frozen (SIGSTOP %d ms, session timeout %d ms): last 250/OK from n1 %+d ms, n1's session expired %d ms, "
                                + "n2 master in the map %d ms, first 250 from n2 %d ms, n1's first refusal after resume %+d ms (all from SIGSTOP); "
                                + "%d writes sent, %d answered by n1 after SIGCONT (%d relayed to n2); %d acknowledged by n1 after its session expired "
                                + "(each under way at SIGSTOP and replicated before it: %s); held delivery: %s; median answer before SIGSTOP: APPEND %d ms, "
                                + "LMTP %d ms%n",
                        (resumed - stopped) / 1_000_000, SESSION_TIMEOUT.toMillis(), ms(lastAck - stopped), ms(expired.get() - stopped),
                        ms(inMap - stopped), ms(accepted - stopped), ms(firstRefusal - stopped), load.sent(),
                        fromN1.stream().filter(a -> a.answered() - resumed > 0).count(), relayed.size(), late.size(),
                        late.stream().map(a -> a + " started " + ms(a.started() - stopped) + " ms, answered " + ms(a.answered() - stopped) + " ms")
                                .toList(), heldAnswer, medianMillis(fromN1, "imap", stopped), medianMillis(fromN1, "lmtp", stopped));

                StoreRecord after = map.read("s1").orElseThrow().record();
                assertThat(after.master()).isEqualTo(new SlotRef("n2", "s0"));
                assertThat(after.epoch()).isEqualTo(before + 1);
                assertThat(after.replicas()).contains(new SlotRef("n1", "s0"));
                FailoverChecks.everyUserLogsInAndReceivesMail(p, "n2", USERS, "after-freeze");

                p.awaitInSync("n1");
                FailoverChecks.assertReconciled(p, c, load, "n2", "n1");
            } finally {
                printLog("n1");
            }
        }
    }

    private static long ms(long nanos) { return nanos / 1_000_000; }

    private static String deliverOrClosed(NodeProcesses p, String node, String user, String subject) {
        try {
            return p.deliver(node, user, subject);
        } catch (java.io.IOException e) {
            return "closed: " + e.getMessage();
        }
    }

    /** The median time to an answer of the writers whose name starts with {@code kind}, among writes answered before {@code before}. */
    private static long medianMillis(List<WriteLoad.Answer> answers, String kind, long before) {
        long[] t = answers.stream().filter(a -> a.writer().startsWith(kind) && a.answered() - before < 0)
                .mapToLong(a -> a.answered() - a.started()).sorted().toArray();
        return t.length == 0 ? -1 : ms(t[t.length / 2]);
    }

    private void printLog(String node) throws java.io.IOException {
        Path log = dir.resolve(node + ".log");
        if (Files.exists(log)) System.out.println(node + ".log:\n" + Files.readString(log).lines()
                .filter(l -> l.contains("cluster") || l.contains("store s1") || l.contains("ZooKeeper") || l.contains("WARN") || l.contains("ERROR")).limit(100).reduce("", (a, b) -> a + b + "\n"));
    }
}
