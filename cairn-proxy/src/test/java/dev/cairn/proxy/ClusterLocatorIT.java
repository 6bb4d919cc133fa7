// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.ClusterObserver;
import dev.cairn.cluster.ClusterPaths;
import dev.cairn.cluster.NodeRecord;
import dev.cairn.cluster.RecordCodec;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.cluster.StoreRecords;
import dev.cairn.cluster.VersionedStore;
import dev.cairn.store.routing.Placement;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * The cluster's locator against a real three-server ZooKeeper ensemble: registrations and store records written
 * with cairn-cluster's own API, as nodes and the controller write them; the locator reads only
 * what its observer's watches hold.
 */
@Timeout(90)
class ClusterLocatorIT {
    private static final AtomicInteger roots = new AtomicInteger();
    private static final SlotRef N1 = new SlotRef("n1", "s0"), N2 = new SlotRef("n2", "s0");
    private static final Map<String, String> N1_ADDRESSES = Map.of("imap", "127.0.0.1:1143", "pop3", "127.0.0.1:1110");
    private static final Map<String, String> N2_ADDRESSES = Map.of("imap", "[::1]:2143", "pop3", "[::1]:2110");
    private static final Placement PLACEMENT = user -> switch (user) {
        case "alice", "bob" -> Optional.of("s1");
        case "carol" -> Optional.of("s2");
        default -> Optional.empty();
    };
    static ZooKeeperEnsemble zk;
    static Path dir;
    final List<AutoCloseable> closeAfter = new ArrayList<>();
    ClusterConfig config;
    ClusterPaths paths;
    StoreRecords stores;

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("cairn-zk");
        zk = ZooKeeperEnsemble.start(dir, 3);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (zk != null) zk.close();
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @AfterEach
    void closeAll() {
        for (AutoCloseable c : closeAfter.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                // the next test has a root of its own
            }
        }
        closeAfter.clear();
    }

    /** A fresh root with stores s1 (master n1, replica n2 in sync, epoch 3) and s2 (master n2), n1 and n2 registered. */
    private CuratorFramework cluster(ZooKeeperEnsemble on) throws Exception {
        config = ClusterConfig.of(on.connectString()).withRoot("/loc" + roots.incrementAndGet()).withSessionTimeout(Duration.ofSeconds(4));
        paths = new ClusterPaths(config.root());
        CuratorFramework writer = client(on);
        stores = new StoreRecords(writer, paths);
        stores.create(new StoreRecord("s1", StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, N1, List.of(N2), 3, Set.of(N2), 0));
        stores.create(new StoreRecord("s2", StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, N2, List.of(N1), 1, Set.of(N1), 0));
        register(client(on), "n1", N1_ADDRESSES);
        register(client(on), "n2", N2_ADDRESSES);
        return writer;
    }

    private CuratorFramework client(ZooKeeperEnsemble on) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.newClient(on.connectString(), 4_000, 3_000, new ExponentialBackoffRetry(100, 3));
        c.start();
        if (!c.blockUntilConnected(10, TimeUnit.SECONDS)) throw new AssertionError("no connection to ZooKeeper");
        closeAfter.add(c);
        return c;
    }

    /** A node's registration as ClusterMember writes it: ephemeral, on the node's own session. */
    private void register(CuratorFramework session, String node, Map<String, String> addresses) throws Exception {
        session.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
                .forPath(paths.node(node), RecordCodec.encode(new NodeRecord(node, addresses, List.of("s0"), "test", 1, System.currentTimeMillis())));
    }

    private ClusterObserver observer() throws Exception {
        ClusterObserver o = new ClusterObserver(config);
        o.start();
        closeAfter.add(o);
        eventually(Duration.ofSeconds(10), () -> {
            assertThat(o.loaded()).isTrue();
            assertThat(o.state().nodes()).containsKeys("n1", "n2");
        });
        return o;
    }

    @Test
    void anotherNodesMasterIsReachedAtItsRegisteredListenerAndOwnStoresAreServedHere() throws Exception {
        cluster(zk);
        ClusterObserver o = observer();
        ClusterLocator onN2 = new ClusterLocator(o, PLACEMENT, "n2"), onN1 = new ClusterLocator(o, PLACEMENT, "n1"),
                proxy = new ClusterLocator(o, PLACEMENT, null);

        assertThat(onN2.locate("imap", "alice", Duration.ZERO)).isEqualTo(new Location.At("s1", 3, new Backend("n1", "imap", "127.0.0.1", 1143)));
        assertThat(onN2.locate("pop3", "bob", Duration.ZERO)).isEqualTo(new Location.At("s1", 3, new Backend("n1", "pop3", "127.0.0.1", 1110)));
        assertThat(onN2.locate("imap", "carol", Duration.ZERO)).isEqualTo(new Location.Here("s2"));
        assertThat(onN1.locate("imap", "alice", Duration.ZERO)).isEqualTo(new Location.Here("s1"));
        assertThat(onN1.locate("imap", "carol", Duration.ZERO)).isEqualTo(new Location.At("s2", 1, new Backend("n2", "imap", "::1", 2143)));
        assertThat(proxy.locate("imap", "alice", Duration.ZERO)).isEqualTo(new Location.At("s1", 3, new Backend("n1", "imap", "127.0.0.1", 1143)));
        // a listener the master did not register is no place to send a client
        assertThat(proxy.locate("lmtp", "alice", Duration.ZERO)).isInstanceOfSatisfying(Location.Nowhere.class,
                n -> assertThat(n.reason()).contains("node n1", "registered no lmtp listener"));
    }

    @Test
    void aUserWithNoPlacementIsNowhereAtOnce() throws Exception {
        cluster(zk);
        ClusterLocator proxy = new ClusterLocator(observer(), PLACEMENT, null);
        long start = System.nanoTime();
        assertThat(proxy.locate("imap", "mallory", Duration.ofSeconds(10))).isInstanceOfSatisfying(Location.Nowhere.class,
                n -> assertThat(n.reason()).contains("mallory", "placed on no store"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no wait: a failover does not place users").isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aLoginDuringAFailoverWaitsForTheNewMasterAndIsAnsweredAsSoonAsItIsRecorded() throws Exception {
        CuratorFramework writer = cluster(zk);
        CuratorFramework n1Session = client(zk);
        // n1 re-registers on a session the test can end: its registration goes as a dead node's does
        writer.delete().forPath(paths.node("n1"));
        register(n1Session, "n1", N1_ADDRESSES);
        ClusterObserver o = observer();
        ClusterLocator proxy = new ClusterLocator(o, PLACEMENT, null);
        assertThat(proxy.locate("imap", "alice", Duration.ZERO)).isInstanceOf(Location.At.class);

        n1Session.close();
        eventually(Duration.ofSeconds(10), () -> assertThat(o.state().nodes()).doesNotContainKey("n1"));
        CompletableFuture<Location> waiting = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                waiting.complete(proxy.locate("imap", "alice", Duration.ofSeconds(20)));
            } catch (Throwable e) {
                waiting.completeExceptionally(e);
            }
        });
        // blocked in the wait (no answer while the store has no live master)
        eventually(Duration.ofSeconds(5), () -> assertThat(t.getState()).isIn(Thread.State.WAITING, Thread.State.TIMED_WAITING));
        assertThat(waiting).isNotDone();

        VersionedStore s1 = stores.read("s1").orElseThrow();
        long promoted = System.nanoTime();
        stores.compareAndSet(s1, s1.record().promote(N2, System.currentTimeMillis()));
        Location answer = waiting.get(15, TimeUnit.SECONDS);
        long afterWrite = (System.nanoTime() - promoted) / 1_000_000;
        System.out.printf("a waiting locate answered %d ms after the promotion was written%n", afterWrite);
        assertThat(answer).isEqualTo(new Location.At("s1", 4, new Backend("n2", "imap", "::1", 2143)));
        assertThat(afterWrite).as("a watch, not a poll of the wait's length").isLessThan(2_000);
    }

    @Test
    void aStoreWithNoLiveMasterPastTheWaitIsNowhere() throws Exception {
        CuratorFramework writer = cluster(zk);
        ClusterObserver o = observer();
        writer.delete().forPath(paths.node("n1"));
        eventually(Duration.ofSeconds(10), () -> assertThat(o.state().nodes()).doesNotContainKey("n1"));
        ClusterLocator proxy = new ClusterLocator(o, PLACEMENT, null);
        long start = System.nanoTime();
        Location l = proxy.locate("imap", "alice", Duration.ofMillis(600));
        long waited = (System.nanoTime() - start) / 1_000_000;
        assertThat(l).isInstanceOfSatisfying(Location.Nowhere.class, n -> assertThat(n.reason()).contains("store s1 has no live master"));
        assertThat(waited).as("the whole wait, and not much more").isBetween(600L, 5_000L);
        // the other store is unaffected
        assertThat(proxy.locate("imap", "carol", Duration.ZERO)).isInstanceOf(Location.At.class);
    }

    @Test
    void withTheEnsembleGoneTheLastPictureThatNamesALiveMasterIsUsed() throws Exception {
        Path own = Files.createTempDirectory("cairn-zk-own");
        ZooKeeperEnsemble alone = ZooKeeperEnsemble.start(own, 3);
        try {
            CuratorFramework writer = cluster(alone);
            writer.delete().forPath(paths.node("n1")); // s1 has no live master in the last picture; s2 has n2
            ClusterObserver o = new ClusterObserver(config);
            o.start();
            closeAfter.add(o);
            eventually(Duration.ofSeconds(10), () -> {
                assertThat(o.loaded()).isTrue();
                assertThat(o.state().nodes()).containsOnlyKeys("n2");
            });
            ClusterLocator proxy = new ClusterLocator(o, PLACEMENT, null);
            assertThat(proxy.locate("imap", "carol", Duration.ZERO)).isInstanceOf(Location.At.class);

            for (int i = 0; i < alone.size(); i++) alone.kill(i);
            eventually(Duration.ofSeconds(15), () -> assertThat(o.state().stale()).contains("no connection to ZooKeeper"));
            assertThat(proxy.locate("imap", "carol", Duration.ZERO)).isEqualTo(new Location.At("s2", 1, new Backend("n2", "imap", "::1", 2143)));
            assertThat(proxy.locate("imap", "alice", Duration.ofMillis(200))).isInstanceOfSatisfying(Location.Nowhere.class,
                    n -> assertThat(n.reason()).contains("store s1 has no live master", "no connection to ZooKeeper"));
        } finally {
            closeAll();
            alone.close();
            try (var files = Files.walk(own)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
