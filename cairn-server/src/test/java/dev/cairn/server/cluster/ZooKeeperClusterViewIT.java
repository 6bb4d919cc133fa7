// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.ClusterMember;
import dev.cairn.cluster.ClusterPaths;
import dev.cairn.cluster.FailoverRecord;
import dev.cairn.cluster.NodeRecord;
import dev.cairn.cluster.ProgressRecord;
import dev.cairn.cluster.RecordCodec;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.server.cluster.ClusterSnapshot.Reach;
import dev.cairn.testkit.FaultProxy;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The admin page's picture of a real three-server ensemble (separate JVMs, 250 ms ticks): members
 * are {@link ClusterMember}s in this JVM, each behind a {@link FaultProxy} so that one can be cut
 * off (its session then ends on the ensemble as a dead machine's would). No controller runs: the
 * test writes the failover record itself, and a dead master's store stays where it was.
 */
@Timeout(120)
class ZooKeeperClusterViewIT {
    private static final Duration SESSION = Duration.ofSeconds(4);
    private static final AtomicInteger roots = new AtomicInteger();
    private static ZooKeeperEnsemble zk;
    private static Path dir;
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeAll
    static void startEnsemble() throws Exception {
        dir = Files.createTempDirectory("cairn-zkview");
        zk = ZooKeeperEnsemble.start(dir, 3);
    }

    @AfterAll
    static void stopEnsemble() throws Exception {
        if (zk != null) zk.close();
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @AfterEach
    void close() {
        for (AutoCloseable c : closeAfter.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                // the next test has a root of its own
            }
        }
    }

    private ClusterConfig config() {
        return new ClusterConfig(zk.connectString(), "/view" + roots.incrementAndGet() + "/cairn", SESSION, Duration.ofSeconds(3),
                Duration.ofSeconds(60), Duration.ofSeconds(30));
    }

    private <C extends AutoCloseable> C closing(C c) {
        closeAfter.add(c);
        return c;
    }

    /** A member reaching the ensemble through a proxy to server 0, registered with {@code slots}. */
    private ClusterMember member(ClusterConfig config, FaultProxy proxy, String node, String... slots) throws Exception {
        NodeRecord self = new NodeRecord(node, Map.of("imap", "127.0.0.1:1143", "replication", "127.0.0.1:7000"), List.of(slots), "test", 0,
                System.currentTimeMillis());
        ClusterMember m = closing(new ClusterMember(config.withZookeeper("127.0.0.1:" + proxy.port()), self, stores -> { }));
        m.start();
        return m;
    }

    private static StoreRecord store(String name, SlotRef master, SlotRef replica, long epoch) {
        return new StoreRecord(name, StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, master, List.of(replica), epoch, Set.of(replica),
                System.currentTimeMillis());
    }

    private static ClusterSnapshot.Node node(ClusterSnapshot s, String name) {
        return s.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no node " + name + " in " + s.nodes()));
    }

    private static ClusterSnapshot.Store store(ClusterSnapshot s, String name) {
        return s.stores().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no store " + name + " in " + s.stores()));
    }

    @Test
    void twoMembersTwoStoresAndAFailoverAreShownAndAKilledMemberIsUnreachableWithItsStoreWithoutALiveMaster() throws Exception {
        ClusterConfig config = config();
        FaultProxy toA = closing(FaultProxy.to(zk.clientPort(0))), toB = closing(FaultProxy.to(zk.clientPort(1)));
        ClusterMember a = member(config, toA, "na", "s0", "s1"), b = member(config, toB, "nb", "s0", "s1");
        SlotRef a0 = new SlotRef("na", "s0"), a1 = new SlotRef("na", "s1"), b0 = new SlotRef("nb", "s0"), b1 = new SlotRef("nb", "s1");
        a.stores().create(store("alpha", a0, b0, 3));
        a.stores().create(store("beta", b1, a1, 1));
        ZooKeeperClusterView view = closing(ZooKeeperClusterView.of(b));
        eventually(Duration.ofSeconds(10), () -> assertThat(b.storeMap()).containsKeys("alpha", "beta"));
        assertThat(b.reportProgress("alpha", new ProgressRecord(b0, true, 3, 40))).isTrue();
        assertThat(b.reportProgress("beta", new ProgressRecord(b1, true, 1, 55))).isTrue(); // the master's own position
        eventually(Duration.ofSeconds(10), () -> assertThat(a.storeMap()).containsKeys("beta"));
        assertThat(a.reportProgress("beta", new ProgressRecord(a1, true, 1, 50))).isTrue();
        try (CuratorFramework controller = CuratorFrameworkFactory.newClient(zk.connectString(), 20_000, 3_000, new ExponentialBackoffRetry(100, 5))) {
            controller.start();
            controller.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(new ClusterPaths(config.root()).failoverPrefix(),
                    RecordCodec.encode(new FailoverRecord(1_765_000_000_000L, "alpha", b0, a0, 3, "node nb is gone")));
        }

        eventually(Duration.ofSeconds(10), () -> {
            ClusterSnapshot s = view.snapshot();
            assertThat(s.stale()).isNull();
            assertThat(s.nodes()).extracting(ClusterSnapshot.Node::name).containsExactly("na", "nb");
            assertThat(s.nodes()).allSatisfy(n -> assertThat(n.reach()).isEqualTo(Reach.REACHABLE));
            assertThat(node(s, "nb").self()).isTrue();
            assertThat(node(s, "na").slots()).containsExactly("s0", "s1");
            assertThat(node(s, "na").addresses()).containsEntry("imap", "127.0.0.1:1143");
            ClusterSnapshot.Store alpha = store(s, "alpha"), beta = store(s, "beta");
            assertThat(alpha.master()).isEqualTo("na/s0");
            assertThat(alpha.epoch()).isEqualTo(3);
            assertThat(alpha.replicas()).singleElement().satisfies(r -> {
                assertThat(r.slot()).isEqualTo("nb/s0");
                assertThat(r.inSync()).isTrue();
                assertThat(r.sync()).contains("position 40");
            });
            assertThat(beta.master()).isEqualTo("nb/s1");
            assertThat(beta.replicas().get(0).lagChanges()).as("the master's position 55 less the replica's 50").isEqualTo(5L);
            assertThat(s.failovers()).singleElement().satisfies(f -> {
                assertThat(f.store()).isEqualTo("alpha");
                assertThat(f.from()).isEqualTo("nb/s0");
                assertThat(f.to()).isEqualTo("na/s0");
                assertThat(f.at()).isEqualTo(Instant.ofEpochMilli(1_765_000_000_000L));
            });
        });
        String json = ClusterJson.write(view.snapshot());
        assertThat(json).contains("\"stale\":null", "{\"name\":\"na\",\"self\":false,\"reach\":\"reachable\"",
                "{\"name\":\"alpha\",\"master\":\"na/s0\",\"mode\":\"sync\",\"epoch\":3,", "\"lag_changes\":5,",
                "{\"at\":\"2025-12-06T05:46:40Z\",\"store\":\"alpha\",\"from\":\"nb/s0\",\"to\":\"na/s0\",\"epoch\":3,\"how\":\"clean\"}");

        Instant cut = Instant.now();
        toA.refuse(); // na is dead to the ensemble once its session expires
        eventually(SESSION.plusSeconds(8), () -> {
            ClusterSnapshot s = view.snapshot();
            ClusterSnapshot.Node na = node(s, "na");
            assertThat(na.reach()).isEqualTo(Reach.UNREACHABLE);
            assertThat(na.since()).isAfter(cut);
            assertThat(na.slots()).as("from the store records").containsExactly("s0", "s1");
            ClusterSnapshot.Store alpha = store(s, "alpha");
            assertThat(alpha.master()).isNull();
            assertThat(alpha.replicas()).extracting(ClusterSnapshot.Replica::slot).containsExactly("na/s0", "nb/s0");
            assertThat(store(s, "beta").master()).as("nb is alive").isEqualTo("nb/s1");
            assertThat(store(s, "beta").replicas().get(0).sync()).as("na's progress went with its session").contains("reports no progress");
        });
        assertThat(ClusterJson.write(view.snapshot())).contains("{\"name\":\"na\",\"self\":false,\"reach\":\"unreachable\"",
                "{\"name\":\"alpha\",\"master\":null,");
    }

    @Test
    void whenZooKeeperIsUnreachableTheViewAnswersAtOnceWithTheLastPictureMarkedStale() throws Exception {
        ClusterConfig config = config();
        FaultProxy toMember = closing(FaultProxy.to(zk.clientPort(2))), toView = closing(FaultProxy.to(zk.clientPort(0)));
        ClusterMember a = member(config, toMember, "na", "s0");
        a.stores().create(new StoreRecord("alpha", StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, new SlotRef("na", "s0"), List.of(),
                1, Set.of(), System.currentTimeMillis()));
        ZooKeeperClusterView view = closing(ZooKeeperClusterView.of(config.withZookeeper("127.0.0.1:" + toView.port())));
        eventually(Duration.ofSeconds(10), () -> {
            ClusterSnapshot s = view.snapshot();
            assertThat(view.loaded()).isTrue();
            assertThat(s.stale()).isNull();
            assertThat(s.stores()).extracting(ClusterSnapshot.Store::name).containsExactly("alpha");
        });

        Instant cut = Instant.now();
        toView.blackhole(); // a partition: nothing answers, connections hang
        long slowest = 0;
        ClusterSnapshot last = null;
        long deadline = System.nanoTime() + SESSION.plusSeconds(6).toNanos();
        while (System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            last = view.snapshot();
            slowest = Math.max(slowest, System.nanoTime() - t0);
            if (last.stale() != null) break;
            Thread.sleep(50);
        }
        assertThat(last.stale()).as("marked stale within the session timeout and a little").startsWith("no connection to ZooKeeper since ");
        assertThat(last.at()).as("dated when the connection went down").isAfterOrEqualTo(cut.minusMillis(1)).isBefore(Instant.now());
        assertThat(last.stores()).extracting(ClusterSnapshot.Store::master).containsExactly("na/s0");
        assertThat(last.nodes()).extracting(ClusterSnapshot.Node::name).containsExactly("na");
        for (int i = 0; i < 20; i++) {
            long t0 = System.nanoTime();
            ClusterSnapshot s = view.snapshot();
            slowest = Math.max(slowest, System.nanoTime() - t0);
            assertThat(s.at()).isEqualTo(last.at());
        }
        // a call to the ensemble would wait for the 3 s connection timeout; 500 ms leaves room for a loaded machine's pauses
        assertThat(Duration.ofNanos(slowest)).as("a snapshot never waits for the ensemble").isLessThan(Duration.ofMillis(500));
        assertThat(ClusterJson.write(last)).contains("\"stale\":\"no connection to ZooKeeper since ");
        assertThat(ClusterStatusText.render(last, Instant.now())).contains("STALE (");

        toView.heal();
        eventually(Duration.ofSeconds(20), () -> assertThat(view.snapshot().stale()).isNull());
        assertThat(view.snapshot().stores()).extracting(ClusterSnapshot.Store::name).containsExactly("alpha");
    }
}
