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
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, must-show 1, as a benchmark (bench/cluster-failover.sh; not CI: it runs only with
 * CAIRN_FAILOVER_ROUNDS set): a real three-server ensemble and two `cairn serve` nodes, LMTP
 * deliveries and QRESYNC IMAP clients running throughout, and ROUNDS times: kill -9 of the
 * current master's node, the time until the first 250 on the new master, the killed node
 * restarted and waited for until it is back in the store record's in_sync. At the end: every
 * acknowledged message (its Message-ID) present exactly once, and no UID the clients saw under a
 * UIDVALIDITY named two messages. Prints the failover times' p50 and p99 with the session timeout.
 */
@EnabledIfEnvironmentVariable(named = "CAIRN_FAILOVER_ROUNDS", matches = "[1-9][0-9]*")
@Timeout(value = 3, unit = java.util.concurrent.TimeUnit.HOURS)
class ClusterFailoverRoundsIT {
    private static final Pattern MESSAGE_ID = Pattern.compile("^Message-ID: <(.*)>", Pattern.CASE_INSENSITIVE);

    @TempDir Path dir;

    private volatile boolean running = true;
    /** Message-IDs that got 250, and deliveries that got a temporary failure. */
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final AtomicLong failed = new AtomicLong();
    /** (UIDVALIDITY, UID) -> Message-ID, as the QRESYNC clients saw them. */
    private final Map<String, String> uids = QresyncWatch.sharedUids();

    @Test void killedMasterNodesRoundAfterRound() throws Exception {
        int rounds = Integer.parseInt(System.getenv("CAIRN_FAILOVER_ROUNDS"));
        Duration sessionTimeout = Duration.parse("PT" + System.getenv().getOrDefault("CAIRN_FAILOVER_SESSION_TIMEOUT", "4s"));
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.connectString(), new ExponentialBackoffRetry(100, 3))) {
            client.start();
            StoreRecords map = new StoreRecords(client, new ClusterPaths("/cairn"));
            TestCluster c = TestCluster.of(dir, "n1", "n2").store("channels = 2").listen("imap", "lmtp", "admin")
                    .disable("pop3").cluster("cluster failover bench secret", zk.connectString(),
                            "session_timeout = \"" + sessionTimeout.toMillis() + "ms\"", "failover_damping = \"0s\"", "rejoin_grace = \"0s\"")
                    .replication("sync_timeout = \"2s\"").build();
            try (NodeProcesses p = new NodeProcesses(c, dir)) {
                p.start("n1");
                p.start("n2");
                CliRun create = CliRun.run("", "store", "create", "s1", "--master", "n1/s0", "--replicas", "n2/s0", "--config", c.config("n1").toString());
                assertThat(create.status()).as(create.err()).isZero();
                eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=master"));
                p.awaitInSync("n2");
                p.addUsersThrough("n1", "alice");
                AtomicLong seq = new AtomicLong();
                List<Thread> load = new ArrayList<>();
                for (int i = 0; i < 2; i++) load.add(Thread.ofPlatform().daemon().name("lmtp-" + i).start(() -> deliverWhileRunning(p, map, seq)));
                // QRESYNC clients of whichever node is master (RFC 7162), reconnecting after each failover
                List<QresyncWatch> watches = new ArrayList<>();
                for (int i = 0; i < 2; i++) watches.add(new QresyncWatch(Integer.toString(i), () -> {
                    String master = map.read("s1").orElseThrow().record().master().node();
                    if (!p.running(master)) throw new IOException(master + " is not running");
                    return p.imap(master, "alice");
                }, uids));

                List<Long> failovers = new ArrayList<>(), maps = new ArrayList<>(), rejoins = new ArrayList<>();
                for (int round = 1; round <= rounds; round++) {
                    StoreRecord before = map.read("s1").orElseThrow().record();
                    SlotRef killed = before.master(), next = before.replicas().getFirst();
                    assertThat(before.inSync()).as("round " + round + ": the replica in sync before the kill").contains(next);
                    eventually(Duration.ofSeconds(30), () -> assertThat(client.getChildren().forPath("/cairn/stores/s1/progress"))
                            .contains(next.node() + "_" + next.slot()));
                    long start = System.nanoTime();
                    p.kill(killed.node());
                    long ms = -1, inMap = -1;
                    for (int n = 0; ms < 0 && System.nanoTime() - start < Duration.ofSeconds(60).toNanos(); n++) {
                        if (map.read("s1").orElseThrow().record().master().equals(next)) {
                            if (inMap < 0) inMap = (System.nanoTime() - start) / 1_000_000;
                            String id = "probe-" + round + "-" + n;
                            try {
                                if (deliver(p, next.node(), id)) ms = (System.nanoTime() - start) / 1_000_000;
                            } catch (IOException e) {
                                // not taking connections yet
                            }
                        }
                        if (ms < 0) Thread.sleep(20);
                    }
                    assertThat(ms).as("round " + round + ": " + next + " takes mail within 60 s").isNotNegative();
                    failovers.add(ms);
                    maps.add(inMap);
                    long restart = System.nanoTime();
                    p.start(killed.node());
                    eventually(Duration.ofSeconds(120), () -> assertThat(map.read("s1").orElseThrow().record().inSync()).contains(killed));
                    rejoins.add((System.nanoTime() - restart) / 1_000_000);
                    System.out.printf("ClusterFailoverRoundsIT round %d: %s killed, %s master in the map after %d ms, its first 250 after %d ms; "
                                    + "the killed node back in in_sync %d ms after its restart%n", round, killed, next, inMap, ms, rejoins.getLast());
                }
                running = false;
                for (Thread t : load) t.join(60_000);
                for (QresyncWatch w : watches) w.stop();
                List<String> reused = watches.stream().flatMap(w -> w.reused().stream()).toList();
                long sessions = watches.stream().flatMap(w -> w.logins().stream()).filter(l -> l.failure() == null).count();

                String master = map.read("s1").orElseThrow().record().master().node();
                Map<String, Integer> present = new HashMap<>();
                try (NodeProcesses.Imap imap = p.imap(master, "alice")) {
                    assertThat(imap.command("SELECT INBOX").getLast()).contains("OK");
                    for (String l : imap.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")) {
                        Matcher m = MESSAGE_ID.matcher(l);
                        if (m.find()) present.merge(m.group(1).replaceFirst("@test$", ""), 1, Integer::sum); // NodeProcesses.deliver's form
                    }
                }
                List<String> lost = acknowledged.stream().filter(id -> !present.containsKey(id)).sorted().toList();
                List<String> twice = acknowledged.stream().filter(id -> present.getOrDefault(id, 0) > 1).sorted().toList();
                List<Long> sorted = failovers.stream().sorted().toList();
                System.out.printf("ClusterFailoverRoundsIT: %d rounds, session timeout %d ms: failover (kill -9 to first 250 on the new master) "
                                + "p50 %d ms, p99 %d ms, max %d ms (new master in the map p50 %d ms); rejoin to in_sync p50 %d ms; "
                                + "%d deliveries acknowledged, %d failed temporarily; %d acknowledged lost, %d present twice; "
                                + "%d UIDs seen by %d QRESYNC sessions, %d reused%n",
                        rounds, sessionTimeout.toMillis(), percentile(sorted, 50), percentile(sorted, 99), sorted.getLast(),
                        percentile(maps.stream().sorted().toList(), 50),
                        percentile(rejoins.stream().sorted().toList(), 50), acknowledged.size(), failed.get(), lost.size(), twice.size(),
                        uids.size(), sessions, reused.size());
                assertThat(lost).as("acknowledged and lost").isEmpty();
                assertThat(twice).as("acknowledged and present twice").isEmpty();
                assertThat(reused).as("a UID that named two messages").isEmpty();
                assertThat(percentile(sorted, 99)).as("p99 within the session timeout + 1 s").isLessThan(sessionTimeout.plusSeconds(1).toMillis());
            }
        }
    }

    private static long percentile(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    /** One delivery with this Message-ID; true on 250 (remembered), false on a temporary failure. */
    private boolean deliver(NodeProcesses p, String node, String id) throws IOException {
        String answer = p.deliver(node, "alice", id);
        if (answer.startsWith("250")) {
            acknowledged.add(id);
            return true;
        }
        if (!answer.startsWith("4")) throw new AssertionError("delivery of " + id + " on " + node + ": " + answer);
        failed.incrementAndGet();
        return false;
    }

    private void deliverWhileRunning(NodeProcesses p, StoreRecords map, AtomicLong seq) {
        while (running) {
            try {
                String master = map.read("s1").orElseThrow().record().master().node();
                if (!p.running(master) || !deliver(p, master, "load-" + seq.incrementAndGet())) Thread.sleep(50);
            } catch (IOException e) {
                failed.incrementAndGet(); // the node died under the connection
            } catch (Exception e) {
                if (running) sleep();
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
