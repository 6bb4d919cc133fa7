// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stores this node has a slot of, and the peers' replication addresses, as they are now: the
 * config's at start, then as the cluster's store map says ({@link Replication#follow},
 * {@link Replication#setPeer}) and as promotions and switchovers move masters. The one place both
 * sides read: the master's channels look a replica's address up at each connection, the listener
 * which stores this node has a slot of. Thread-safe.
 */
final class StoreMap {
    /** By name, in the order they became known (status lists them so). */
    private final Map<String, StoreSpec> stores = new LinkedHashMap<>();
    /** The config's addresses (a map a test may fill after start); {@link #learned} ones win. */
    private final Map<String, InetSocketAddress> configured;
    private final Map<String, InetSocketAddress> learned = new java.util.concurrent.ConcurrentHashMap<>();

    StoreMap(ReplicationConfig config) {
        this.configured = config.peers();
        for (StoreSpec s : config.stores()) stores.put(s.name(), s);
    }

    synchronized StoreSpec get(String store) { return stores.get(store); }

    synchronized List<StoreSpec> all() { return new ArrayList<>(stores.values()); }

    synchronized void put(StoreSpec spec) { stores.put(spec.name(), spec); }

    synchronized void remove(String store) { stores.remove(store); }

    /** A node's replication address: learned at run time, else from the config (null: unknown). */
    InetSocketAddress address(String node) {
        InetSocketAddress a = learned.get(node);
        return a != null ? a : configured.get(node);
    }

    void setPeer(String node, InetSocketAddress address) { learned.put(node, address); }

    /**
     * The store with {@code to} as its master and the former master in {@code to}'s place among the
     * replicas (the other slots keep their order).
     */
    static StoreSpec movedTo(StoreSpec s, SlotRef to) {
        List<SlotRef> replicas = new ArrayList<>();
        for (SlotRef r : s.replicas()) replicas.add(r.equals(to) ? s.master() : r);
        if (!s.replicas().contains(to) && !s.master().equals(to)) replicas.add(s.master());
        if (s.master().equals(to)) return s;
        return new StoreSpec(s.name(), s.mode(), to, replicas, s.onReplicaLoss());
    }
}
