// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import dev.cairn.testkit.ZooKeeperEnsemble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * What the cluster's integration tests share: one real three-server ensemble per test class
 * (separate JVMs, {@link ZooKeeperEnsemble}), a fresh cluster root per test, an observer client
 * that looks at the ensemble directly, and the nodes a test starts (closed after it).
 */
abstract class EnsembleFixture {
    /** Short enough for quick tests, long enough for a loaded two-core machine. */
    static final Duration SESSION = Duration.ofSeconds(4);
    private static final AtomicInteger roots = new AtomicInteger();
    static ZooKeeperEnsemble zk;
    static Path dir;
    final List<AutoCloseable> closeAfter = new ArrayList<>();
    ClusterConfig config;
    CuratorFramework observer;

    @BeforeAll
    static void startEnsemble() throws Exception {
        dir = Files.createTempDirectory("cairn-zk");
        zk = ZooKeeperEnsemble.start(dir, 3);
    }

    @AfterAll
    static void stopEnsemble() throws java.io.IOException {
        if (zk != null) zk.close();
        if (dir == null) return;
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** A fresh root for the calling test and an observer on the whole ensemble. */
    ClusterConfig cluster() throws Exception {
        config = new ClusterConfig(zk.connectString(), "/it" + roots.incrementAndGet() + "/cairn", SESSION, Duration.ofSeconds(3),
                Duration.ofSeconds(60), Duration.ofSeconds(30));
        observer = CuratorFrameworkFactory.newClient(zk.connectString(), 20_000, 3_000, new ExponentialBackoffRetry(100, 5));
        observer.start();
        if (!observer.blockUntilConnected(10, TimeUnit.SECONDS)) throw new AssertionError("observer could not connect");
        closeAfter.add(observer);
        return config;
    }

    ClusterPaths paths() { return new ClusterPaths(config.root()); }

    SimNode node(String name, boolean behindProxy, boolean withController, String... slots) throws Exception {
        SimNode n = SimNode.start(zk, config, name, behindProxy, withController, slots);
        closeAfter.add(n);
        return n;
    }

    static StoreRecord store(String name, SlotRef master, List<SlotRef> replicas, Set<SlotRef> inSync, long masterSince) {
        return new StoreRecord(name, StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, master, replicas, 0, inSync, masterSince);
    }

    @AfterEach
    void closeNodes() {
        for (AutoCloseable c : closeAfter.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                // the next test has a root of its own
            }
        }
        closeAfter.clear();
    }
}
