// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.ClusterPaths;
import dev.cairn.cluster.FailoverRecord;
import dev.cairn.cluster.RecordCodec;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.cluster.StoreRecords;
import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.FaultProxy;
import dev.cairn.testkit.TestCluster;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
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
 * Issue 20: "an unclean promotion stays an operator's --force", in a cluster (real `cairn serve`
 * nodes on a real three-server ensemble, session timeout 4 s, sync_timeout 2 s). A replica cut off
 * from its degrading master leaves in_sync; the master is killed; the controller leaves the store
 * headless. `cairn store promote s1` is refused and names --force; with --force the map names the
 * replica master at the next epoch, marked forced, a failover record says so, and the replica's node
 * follows it unclean (new UIDVALIDITY, seen by an IMAP client), taking mail and logins. The former
 * master, restarted, rejoins as a replica and what only it had is merged (reconciliation).
 */
@Timeout(300)
class ClusterForcedPromotionIT {
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
    private static final Pattern SUBJECT = Pattern.compile("^Subject: (.*)$");
    private static final Pattern UIDVALIDITY = Pattern.compile("\\[UIDVALIDITY (\\d+)]");
    private static final SlotRef N1 = new SlotRef("n1", "s0"), N2 = new SlotRef("n2", "s0");

    @TempDir Path dir;

    @Test void aHeadlessStoreIsPromotedOnlyByForceThroughTheMapUncleanAndTheFormerMasterIsReconciled() throws Exception {
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.connectString(), new ExponentialBackoffRetry(100, 3))) {
            client.start();
            StoreRecords map = new StoreRecords(client, new ClusterPaths("/cairn"));
            TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                    .disable("pop3").cluster("cluster forced promotion test secret", zk.connectString(),
                            "session_timeout = \"" + SESSION_TIMEOUT.toSeconds() + "s\"", "failover_damping = \"0s\"", "rejoin_grace = \"0s\"")
                    .replication("sync_timeout = \"2s\"").build();
            try (FaultProxy link = FaultProxy.to(c.port("n2", TestCluster.REPLICATION));
                 NodeProcesses p = new NodeProcesses(c, dir)) {
                c.route("n1", "n2", link.port());
                p.start("n1");
                p.start("n2");
                CliRun create = CliRun.run("", "store", "create", "s1", "--master", "n1/s0", "--replicas", "n2/s0", "--config", c.config("n1").toString());
                assertThat(create.status()).as(create.err()).isZero();
                eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=master"));
                p.awaitInSync("n2");
                p.addUsersThrough("n1", "alice");
                List<String> shared = new ArrayList<>(), onlyN1 = new ArrayList<>();
                for (int i = 0; i < 5; i++) assertThat(p.deliver("n1", "alice", "a-" + i)).startsWith("250");
                for (int i = 0; i < 5; i++) shared.add("a-" + i);
                long uidValidityBefore = uidValidity(p, "n1");
                eventually(Duration.ofSeconds(10), () -> assertThat(client.getChildren().forPath("/cairn/stores/s1/progress")).contains("n2_s0"));

                // The link cut: n1 goes on degraded and takes n2 out of in_sync; what it acknowledges now only n1 has.
                link.refuse();
                for (int i = 0; i < 3; i++) {
                    assertThat(p.deliver("n1", "alice", "cut-" + i)).as("the master goes on degraded").startsWith("250");
                    onlyN1.add("cut-" + i);
                }
                assertThat(map.read("s1").orElseThrow().record().inSync()).isEmpty();
                long epoch = map.read("s1").orElseThrow().record().epoch();
                p.kill("n1");
                eventually(Duration.ofSeconds(30), () -> assertThat(Files.readString(p.log("n2")))
                        .contains("store s1 has no master").contains("n2/s0 is not in the in-sync set"));
                assertThat(map.read("s1").orElseThrow().record().master()).as("headless: the controller forces nothing").isEqualTo(N1);

                // Without --force: refused, naming --force; the map unchanged.
                CliRun refused = CliRun.run("", "store", "promote", "s1", "--config", c.config("n2").toString());
                assertThat(refused.status()).isEqualTo(1);
                assertThat(refused.err()).contains("n2/s0 is not in the in-sync set []").contains("--force");
                assertThat(map.read("s1").orElseThrow().record().epoch()).isEqualTo(epoch);
                // Nor does the node's own admin endpoint promote behind the map, forced or not.
                var direct = p.adminCall("n2", "POST", "/replication/promote?store=s1&force=true");
                assertThat(direct.statusCode()).as(direct.body()).isEqualTo(409);
                assertThat(direct.body()).contains("follows the cluster's store map");
                assertThat(map.read("s1").orElseThrow().record().epoch()).isEqualTo(epoch);

                // With --force: the map names n2/s0 at the next epoch, forced; n2's node follows it unclean.
                long forcedAt = System.nanoTime();
                CliRun forced = CliRun.run("", "store", "promote", "s1", "--force", "--config", c.config("n2").toString());
                assertThat(forced.status()).as(forced.err()).isZero();
                assertThat(forced.out()).contains("n2/s0 is master in the cluster's map at epoch " + (epoch + 1)).contains("by force");
                StoreRecord r = map.read("s1").orElseThrow().record();
                assertThat(r.master()).isEqualTo(N2);
                assertThat(r.epoch()).isEqualTo(epoch + 1);
                assertThat(r.replicas()).containsExactly(N1);
                assertThat(r.forced()).isTrue();
                List<String> failovers = new ArrayList<>(client.getChildren().forPath("/cairn/failovers"));
                Collections.sort(failovers);
                FailoverRecord f = RecordCodec.decode(client.getData().forPath("/cairn/failovers/" + failovers.getLast()), "f", FailoverRecord.class);
                assertThat(f.from()).isEqualTo(N1);
                assertThat(f.to()).isEqualTo(N2);
                assertThat(f.epoch()).isEqualTo(epoch + 1);
                assertThat(f.why()).startsWith("forced by an operator");

                long firstAck = -1;
                for (int i = 0; firstAck < 0 && System.nanoTime() - forcedAt < Duration.ofSeconds(30).toNanos(); i++) {
                    String answer = p.deliver("n2", "alice", "b-" + i);
                    if (answer.startsWith("250")) {
                        shared.add("b-" + i);
                        firstAck = (System.nanoTime() - forcedAt) / 1_000_000;
                    } else {
                        assertThat(answer).startsWith("4");
                        Thread.sleep(50);
                    }
                }
                assertThat(firstAck).as("n2 takes mail after the forced promotion").isNotNegative();
                System.out.printf("forced promotion: first 250 on n2 %d ms after the command started%n", firstAck);
                assertThat(Files.readString(p.log("n2"))).contains("by force");
                long uidValidityAfter = uidValidity(p, "n2");
                assertThat(uidValidityAfter).as("unclean: a new UIDVALIDITY (RFC 9051 2.3.1.1: greater)").isGreaterThan(uidValidityBefore);
                assertThat(subjects(p, "n2")).containsAll(shared).doesNotContainAnyElementsOf(onlyN1);

                // n1 back (the link healed): a replica at the new epoch; what only it had is merged into n2.
                link.heal();
                p.start("n1");
                eventually(Duration.ofSeconds(60), () -> assertThat(p.status("n1")).contains("role=replica"));
                long rejoined = System.nanoTime();
                eventually(Duration.ofSeconds(60), () -> assertThat(subjects(p, "n2")).containsAll(onlyN1));
                System.out.printf("reconciliation: n1's %d messages on n2 %d ms after n1 was a replica%n", onlyN1.size(),
                        (System.nanoTime() - rejoined) / 1_000_000);
                assertThat(subjects(p, "n2")).containsAll(shared);
                assertThat(uidValidity(p, "n2")).as("the merge keeps the new UIDVALIDITY").isEqualTo(uidValidityAfter);
                assertThat(map.read("s1").orElseThrow().record().master()).isEqualTo(N2);
            } finally {
                printLog("n1");
                printLog("n2");
            }
        }
    }

    private void printLog(String node) throws Exception {
        if (Files.exists(dir.resolve(node + ".log"))) System.out.println(node + ".log:\n" + Files.readString(dir.resolve(node + ".log")).lines()
                .filter(l -> l.contains("cluster") || l.contains("store s1") || l.contains("reconcil")).limit(80).reduce("", (a, b) -> a + b + "\n"));
    }

    private static long uidValidity(NodeProcesses p, String node) throws Exception {
        try (NodeProcesses.Imap imap = p.imap(node, "alice")) {
            for (String l : imap.command("SELECT INBOX")) {
                Matcher m = UIDVALIDITY.matcher(l);
                if (m.find()) return Long.parseLong(m.group(1));
            }
        }
        throw new AssertionError("no UIDVALIDITY from " + node);
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
