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
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20 must-show 4: the ZooKeeper ensemble's leader killed (SIGKILL) while LMTP deliveries run
 * without pause to the master of a sync store (two real `cairn serve` nodes, n1 master, n2
 * replica, session timeout 4 s). The nodes lose their connections while the ensemble elects a
 * leader, and get them back on the same sessions: every delivery is answered 250 (a commit waits
 * for the lease to come back on the same session instead of failing), nothing fails over (the
 * store's epoch and master are unchanged, no failover record), both registrations are still those
 * of the nodes' first sessions. The server is started again, and the user logs in and gets mail.
 */
@Timeout(240)
class ZooKeeperLeaderKilledIT {
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);

    @TempDir Path dir;

    @Test void theZooKeeperLeaderKilledUnderDeliveriesFailsNoDeliveryAndMovesNoStore() throws Exception {
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.connectString(), new ExponentialBackoffRetry(100, 3))) {
            client.start();
            StoreRecords map = new StoreRecords(client, new ClusterPaths("/cairn"));
            TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                    .disable("pop3").cluster("zookeeper leader test secret", zk.connectString(),
                            "session_timeout = \"" + SESSION_TIMEOUT.toSeconds() + "s\"", "failover_damping = \"0s\"", "rejoin_grace = \"0s\"")
                    .replication("sync_timeout = \"2s\"").build();
            try (NodeProcesses p = new NodeProcesses(c, dir); WriteLoad load = new WriteLoad()) {
                p.start("n1");
                p.start("n2");
                CliRun create = CliRun.run("", "store", "create", "s1", "--master", "n1/s0", "--replicas", "n2/s0",
                        "--config", c.config("n1").toString());
                assertThat(create.status()).as(create.err()).isZero();
                eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=master"));
                p.awaitInSync("n2");
                p.addUsersThrough("n1", "alice", "bob");
                StoreRecord before = map.read("s1").orElseThrow().record();
                long n1Session = client.checkExists().forPath("/cairn/nodes/n1").getEphemeralOwner();
                long n2Session = client.checkExists().forPath("/cairn/nodes/n2").getEphemeralOwner();
                int failoversBefore = client.getChildren().forPath("/cairn/failovers").size();

                load.deliveries(p, "lmtp-a", "n1", "alice", 0);
                load.deliveries(p, "lmtp-b", "n1", "bob", 0);
                eventually(Duration.ofSeconds(20), () -> assertThat(load.acknowledged()).hasSizeGreaterThan(20));
                int leader = zk.leader();
                assertThat(leader).as("the ensemble's leader").isNotNegative();
                long killed = System.nanoTime();
                zk.kill(leader);
                long elected = 0;
                while (elected == 0 && System.nanoTime() - killed < Duration.ofSeconds(60).toNanos()) {
                    if (zk.leader() >= 0) elected = System.nanoTime();
                    else Thread.sleep(20);
                }
                assertThat(elected).as("a new leader within 60 s").isNotZero();
                // Deliveries go on past the election until the nodes acknowledge again.
                int atElection = load.acknowledged().size();
                eventually(Duration.ofSeconds(30), () -> assertThat(load.acknowledged()).hasSizeGreaterThan(atElection + 20));
                zk.restart(leader);
                load.close();

                List<WriteLoad.Answer> answers = load.answers();
                List<WriteLoad.Answer> failed = answers.stream().filter(a -> !a.acknowledged()).toList();
                long slowest = answers.stream().filter(a -> a.answered() - killed > 0).mapToLong(a -> a.answered() - a.started()).max().orElse(0);
                long firstAfter = answers.stream().filter(a -> a.started() - killed > 0).mapToLong(a -> a.answered() - killed).min().orElse(0);
                System.out.printf("zookeeper leader killed (server %d, session timeout %d ms): new leader after %d ms; %d deliveries, %d failed; "
                                + "slowest answer after the kill %d ms; first delivery started after the kill answered at %d ms%n",
                        leader, SESSION_TIMEOUT.toMillis(), (elected - killed) / 1_000_000, answers.size(), failed.size(), slowest / 1_000_000,
                        firstAfter / 1_000_000);
                assertThat(failed).as("deliveries not answered 250").isEmpty();

                StoreRecord after = map.read("s1").orElseThrow().record();
                assertThat(after.epoch()).as("the store's epoch").isEqualTo(before.epoch());
                assertThat(after.master()).isEqualTo(new SlotRef("n1", "s0"));
                assertThat(client.getChildren().forPath("/cairn/failovers")).as("failover records").hasSize(failoversBefore);
                assertThat(client.checkExists().forPath("/cairn/nodes/n1").getEphemeralOwner()).as("n1's session").isEqualTo(n1Session);
                assertThat(client.checkExists().forPath("/cairn/nodes/n2").getEphemeralOwner()).as("n2's session").isEqualTo(n2Session);
                for (String n : List.of("n1", "n2")) {
                    String log = Files.readString(p.log(n));
                    assertThat(log).as(n + "'s log").doesNotContain("learned the store map (new session");
                    log.lines().filter(l -> l.contains("ZooKeeper connection")).forEach(l -> System.out.println(n + ": " + l));
                }

                FailoverChecks.everyUserLogsInAndReceivesMail(p, "n1", List.of("alice", "bob"), "after-election");
                p.awaitInSync("n2");
                List<String> onMaster = new ArrayList<>(FailoverChecks.subjectsByUid(p, "n1", "alice").values());
                onMaster.addAll(FailoverChecks.subjectsByUid(p, "n1", "bob").values());
                assertThat(onMaster).containsAll(load.acknowledged());
                for (String user : List.of("alice", "bob")) {
                    CliRun verify = CliRun.run("", "replica", "verify", "--config", c.config("n1").toString(), "--with", c.config("n2").toString(),
                            "--user", user);
                    assertThat(verify.status()).as(verify.out() + verify.err()).isZero();
                }
            }
        }
    }
}
