// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.ClusterPaths;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.cluster.StoreRecords;
import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.TestCluster;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20 must-shows 3 and 6: a partition. The master node n1 runs in a network namespace of its
 * own ({@link NetworkNamespace}); its link to ZooKeeper and to its replica n2 is cut, both ways,
 * silently, while its clients still reach it (another link). n1 goes on answering, but once its
 * lease is over (well before its session can expire on the ensemble) it acknowledges nothing:
 * no acknowledgement from n1 after its session expired, the delivery that had its recipient when
 * the link was cut is refused. n2 is promoted and takes mail; the link heals and n1 follows the map
 * as n2's replica, reconciled: n2 has every message anyone acknowledged (those n1 acknowledged alone
 * before its lease ended come back by reconciliation), no UID names two messages, `cairn replica
 * verify` finds both the same. Every user of the store logs in and gets mail on n2 (accounts
 * follow the store here; MasterFrozenIT uses the PostgreSQL directory).
 */
@Timeout(240)
class MasterPartitionIT {
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
    private static final List<String> USERS = List.of("alice", "bob", "carol");

    @TempDir Path dir;

    @Test void aMasterCutOffFromZooKeeperAndItsReplicaAcknowledgesNothingOnceItsLeaseEndsAndRejoinsAsReplica() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create();
             ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"), 3, ns.clusterAddress());
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.connectString(), new ExponentialBackoffRetry(100, 3))) {
            client.start();
            StoreRecords map = new StoreRecords(client, new ClusterPaths("/cairn"));
            TestCluster.Builder spec = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                    .disable("pop3").cluster("cluster partition test secret", zk.connectString(),
                            "session_timeout = \"" + SESSION_TIMEOUT.toSeconds() + "s\"", "failover_damping = \"0s\"", "rejoin_grace = \"0s\"")
                    // replication crosses the namespaces' links, off loopback: in clear only because the config says so
                    .replication("sync_timeout = \"2s\"", "tls = false", "insecure = true")
                    .host("n1", TestCluster.REPLICATION, ns.nodeClusterAddress()).host("n2", TestCluster.REPLICATION, ns.clusterAddress());
            for (String l : List.of("imap", "lmtp", "admin")) spec.host("n1", l, ns.nodeClientAddress());
            spec.lines("n1", "imap", "trusted_networks = [\"" + ns.clientNetwork() + "\"]"); // plain-text logins off loopback
            TestCluster c = spec.build();
            try (NodeProcesses p = new NodeProcesses(c, dir); WriteLoad load = new WriteLoad()) {
                p.startThrough("n1", ns.exec());
                p.start("n1");
                p.start("n2");
                CliRun create = CliRun.run("", "store", "create", "s1", "--master", "n1/s0", "--replicas", "n2/s0",
                        "--config", c.config("n1").toString());
                assertThat(create.status()).as(create.err()).isZero();
                eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=master"));
                p.awaitInSync("n2");
                p.addUsersThrough("n1", USERS.toArray(String[]::new)); // the accounts follow the store
                for (String u : USERS) assertThat(p.deliver("n1", u, "first-" + u)).startsWith("250");
                eventually(Duration.ofSeconds(10), () -> assertThat(client.getChildren().forPath("/cairn/stores/s1/progress")).contains("n2_s0"));

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

                ns.cut();
                long cut = System.nanoTime();
                long inMap = 0, accepted = 0;
                long healAt = cut + SESSION_TIMEOUT.multipliedBy(2).toNanos();
                while (System.nanoTime() < healAt || inMap == 0 || accepted == 0) {
                    if (System.nanoTime() - cut > Duration.ofSeconds(30).toNanos()) break;
                    if (inMap == 0 && map.read("s1").orElseThrow().record().master().equals(new SlotRef("n2", "s0"))) inMap = System.nanoTime();
                    if (inMap != 0 && accepted == 0 && p.deliver("n2", "alice", "n2-first-alice").startsWith("250")) {
                        accepted = System.nanoTime();
                        assertThat(p.deliver("n2", "bob", "n2-first-bob")).startsWith("250");
                    }
                    Thread.sleep(50);
                }
                assertThat(expired.get()).as("n1's registration deleted (its session expired) while it was cut off").isNotZero();
                assertThat(inMap).as("n2/s0 master in the map while n1 was cut off").isNotZero();
                assertThat(accepted).as("a delivery accepted on n2 while n1 was cut off").isNotZero();
                // n1 is still up and reachable by its clients: a delivery it had the recipient of is refused now.
                String heldAnswer = held.finish("held-carol");
                held.close();
                assertThat(heldAnswer).as("the delivery under way when n1 was cut off, finished after its session expired")
                        .matches("^(4\\d\\d |closed).*");
                List<WriteLoad.Answer> fromN1 = load.from("n1");
                long lastAck = fromN1.stream().filter(WriteLoad.Answer::acknowledged).mapToLong(WriteLoad.Answer::answered).max().orElseThrow();
                long firstRefusal = fromN1.stream().filter(a -> a.answer().startsWith("4") || a.answer().contains("NO "))
                        .mapToLong(WriteLoad.Answer::answered).min().orElse(0);
                long refusedWhileCut = fromN1.stream().filter(a -> a.answered() - cut > 0 && !a.acknowledged()).count();
                long healed = System.nanoTime();
                ns.heal();

                eventually(Duration.ofSeconds(60), () -> assertThat(p.status("n1")).contains("role=replica"));
                load.close();
                imap.close();
                System.out.printf("master cut off (partition %d ms, session timeout %d ms): last 250/OK from n1 %+d ms, n1's first refusal %+d ms, "
                                + "n1's session expired %d ms, n2 master in the map %d ms, first 250 from n2 %d ms (all from the cut); "
                                + "%d writes sent, %d refused by n1 while cut off; held delivery: %s%n",
                        (healed - cut) / 1_000_000, SESSION_TIMEOUT.toMillis(), ms(lastAck - cut), ms(firstRefusal - cut), ms(expired.get() - cut),
                        ms(inMap - cut), ms(accepted - cut), load.sent(), refusedWhileCut, heldAnswer);
                // Running all along, n1 has no excuse of a pause: nothing of its own acknowledged once its
                // session was gone; only deliveries it relayed to n2 once healed, as n2's replica.
                FailoverChecks.assertRelayedTo(p, load.from("n1").stream().filter(a -> a.acknowledged() && a.answered() - expired.get() > 0).toList(),
                        MasterFrozenIT.WRITERS, "n2", Map.of("alice", "n2-first-alice", "bob", "n2-first-bob"));
                assertThat(lastAck - cut).as("n1's last acknowledgement, from the cut (the lease ends within the session timeout)")
                        .isLessThan(SESSION_TIMEOUT.toNanos());

                StoreRecord after = map.read("s1").orElseThrow().record();
                assertThat(after.master()).isEqualTo(new SlotRef("n2", "s0"));
                assertThat(after.epoch()).isEqualTo(before + 1);
                assertThat(after.replicas()).contains(new SlotRef("n1", "s0"));
                FailoverChecks.everyUserLogsInAndReceivesMail(p, "n2", USERS, "after-partition");

                p.awaitInSync("n1");
                FailoverChecks.assertReconciled(p, c, load, "n2", "n1");
            } finally {
                Path log = dir.resolve("n1.log");
                if (Files.exists(log)) System.out.println("n1.log:\n" + Files.readString(log).lines()
                        .filter(l -> l.contains("cluster") || l.contains("store s1") || l.contains("ZooKeeper") || l.contains("WARN")).limit(100)
                        .reduce("", (a, b) -> a + b + "\n"));
            }
        }
    }

    private static long ms(long nanos) { return nanos / 1_000_000; }
}
