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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: two real `cairn serve` nodes of a cluster on a real three-server ZooKeeper ensemble
 * (session timeout 4 s). Store s1 is created in the map (`cairn store create`, master n1/s0,
 * replica n2/s0); the nodes follow the map; a user is added through n1 (the account follows the
 * store) and gets mail; n1 is killed with SIGKILL; n2's controller (or n1's, elected again) fails
 * the store over to n2 by itself, and n2 takes mail and the user's login with every message that
 * got a 250 before the kill. n1 restarted rejoins as n2's replica, and nothing is lost.
 */
@Timeout(240)
class ClusterFailoverIT {
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
    private static final Pattern SUBJECT = Pattern.compile("^Subject: (.*)$");

    @TempDir Path dir;

    @Test void aKilledMasterNodesStoreMovesToItsInSyncReplicaWithinTheSessionTimeoutAndLosesNothing() throws Exception {
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.connectString(), new ExponentialBackoffRetry(100, 3))) {
            client.start();
            StoreRecords map = new StoreRecords(client, new ClusterPaths("/cairn"));
            TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                    .disable("pop3").cluster("cluster failover test secret", zk.connectString(),
                            "session_timeout = \"" + SESSION_TIMEOUT.toSeconds() + "s\"", "failover_damping = \"0s\"", "rejoin_grace = \"0s\"")
                    .replication("sync_timeout = \"2s\"").build();
            try (NodeProcesses p = new NodeProcesses(c, dir)) {
                p.start("n1");
                p.start("n2");
                CliRun create = CliRun.run("", "store", "create", "s1", "--master", "n1/s0", "--replicas", "n2/s0",
                        "--config", c.config("n1").toString());
                assertThat(create.status()).as(create.err()).isZero();
                CliRun again = CliRun.run("", "store", "create", "s1", "--master", "n2/s0", "--config", c.config("n2").toString());
                assertThat(again.status()).isEqualTo(1);
                assertThat(again.err()).contains("store s1 exists already");
                eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=master"));
                p.awaitInSync("n2");
                p.addUsersThrough("n1", "alice"); // once: the account follows the store

                List<String> acknowledged = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    String answer = p.deliver("n1", "alice", "before-" + i);
                    assertThat(answer).startsWith("250");
                    acknowledged.add("before-" + i);
                }
                // The replica's own progress report says it is in sync (what the controller promotes on).
                eventually(Duration.ofSeconds(10), () -> assertThat(client.getChildren().forPath("/cairn/stores/s1/progress")).contains("n2_s0"));

                long killed = System.nanoTime();
                p.kill("n1");
                long inMap = 0, accepted = 0;
                long deadline = killed + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < deadline && (inMap == 0 || accepted == 0)) {
                    if (inMap == 0) {
                        StoreRecord r = map.read("s1").orElseThrow().record();
                        if (r.master().equals(new SlotRef("n2", "s0"))) inMap = System.nanoTime();
                    }
                    if (inMap != 0 && accepted == 0 && p.deliver("n2", "alice", "after-0").startsWith("250")) accepted = System.nanoTime();
                    if (accepted == 0) Thread.sleep(50);
                }
                assertThat(inMap).as("n2/s0 master in the map within 30 s").isNotZero();
                assertThat(accepted).as("a delivery accepted on n2 within 30 s").isNotZero();
                acknowledged.add("after-0");
                Duration toMap = Duration.ofNanos(inMap - killed), toWrite = Duration.ofNanos(accepted - killed);
                System.out.printf("cluster failover: kill -9 of the master node -> new master in the map %d ms, first delivery accepted %d ms "
                        + "(session timeout %d ms)%n", toMap.toMillis(), toWrite.toMillis(), SESSION_TIMEOUT.toMillis());
                assertThat(toWrite).isLessThan(SESSION_TIMEOUT.plusSeconds(1));

                assertThat(subjects(p, "n2")).containsAll(acknowledged);

                // n1 comes back: it follows the map (a replica of n2 at the new epoch) and is reconciled.
                p.start("n1");
                eventually(Duration.ofSeconds(60), () -> assertThat(p.status("n1")).contains("role=replica"));
                assertThat(p.deliver("n2", "alice", "after-rejoin")).startsWith("250");
                acknowledged.add("after-rejoin");
                p.awaitInSync("n1");
                assertThat(subjects(p, "n2")).containsAll(acknowledged);
                assertThat(map.read("s1").orElseThrow().record().master()).isEqualTo(new SlotRef("n2", "s0"));
                System.out.println("n1 after rejoining: " + p.status("n1").lines().filter(l -> l.contains("s1")).findFirst().orElse(""));
            } finally {
                if (Files.exists(dir.resolve("n1.log"))) System.out.println("n1.log:\n" + Files.readString(dir.resolve("n1.log")).lines()
                        .filter(l -> l.contains("cluster") || l.contains("store s1")).limit(40).reduce("", (a, b) -> a + b + "\n"));
            }
        }
    }

    /** The subjects in alice's INBOX on the node, over IMAP (a login that fails fails the test). */
    private static List<String> subjects(NodeProcesses p, String node) throws Exception {
        List<String> out = new ArrayList<>();
        try (NodeProcesses.Imap imap = p.imap(node, "alice")) {
            assertThat(imap.command("SELECT INBOX").getLast()).contains("OK");
            for (String l : imap.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) {
                Matcher m = SUBJECT.matcher(l);
                if (m.find()) out.add(m.group(1).strip());
            }
        }
        return out;
    }
}
