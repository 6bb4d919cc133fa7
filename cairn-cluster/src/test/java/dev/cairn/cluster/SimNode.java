// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import dev.cairn.testkit.FaultProxy;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node as the cluster sees it, in the test's JVM: a {@link ClusterMember} with its own Curator
 * client (and a {@link Controller} if asked), optionally reaching the ensemble only through a
 * {@link FaultProxy} to its first server, so that the test can cut it off ({@link #kill}: its
 * session then ends on the ensemble as a dead machine's would).
 */
final class SimNode implements AutoCloseable {
    final String name;
    final FaultProxy proxy;
    final ClusterMember member;
    final Controller controller;
    volatile Map<String, StoreRecord> map = Map.of();
    final AtomicInteger deliveries = new AtomicInteger();

    private SimNode(ZooKeeperEnsemble zk, ClusterConfig config, String name, boolean behindProxy, boolean withController,
                    List<String> slots) throws Exception {
        this.name = name;
        this.proxy = behindProxy ? FaultProxy.to(zk.clientPort(0)) : null;
        ClusterConfig mine = behindProxy ? config.withZookeeper("127.0.0.1:" + proxy.port()) : config;
        NodeRecord self = new NodeRecord(name, Map.of("imap", "127.0.0.1:1143", "replication", "127.0.0.1:7000"), slots, "test",
                0, System.currentTimeMillis());
        this.member = new ClusterMember(mine, self, stores -> {
            map = stores;
            deliveries.incrementAndGet();
        });
        member.start();
        this.controller = withController ? new Controller(member) : null;
        if (controller != null) controller.start();
    }

    static SimNode start(ZooKeeperEnsemble zk, ClusterConfig config, String name, boolean behindProxy, boolean withController,
                         String... slots) throws Exception {
        return new SimNode(zk, config, name, behindProxy, withController, List.of(slots));
    }

    SlotRef slot(String slot) { return new SlotRef(name, slot); }

    /** Reports a replica slot's progress (the store must be in this node's map). */
    void progress(String store, String slot, boolean inSync, long epoch, long position) {
        if (!member.reportProgress(store, new ProgressRecord(slot(slot), inSync, epoch, position)))
            throw new AssertionError("store " + store + " not in " + name + "'s map");
    }

    /** Cuts the node off the ensemble: no connection passes; its session ends after the timeout. */
    void kill() {
        proxy.refuse();
    }

    boolean leads() { return controller != null && controller.isLeader(); }

    @Override public void close() {
        if (controller != null) controller.close();
        member.close();
        if (proxy != null) proxy.close();
    }
}
