// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import dev.cairn.replication.Replication;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ensemble's picture completed with what only a store's master knows: its channels to each
 * replica (up or down, since when) and the replica's lag, in changes and in time. ZooKeeper holds
 * no link, and its progress reports carry no time and are up to a second old; on the node that
 * masters a store the live figures replace them. Only where the ensemble names this node master at
 * the epoch it masters: a master here at another epoch is being replaced and its figures are not
 * the store's.
 */
public final class MasterLinks {
    private MasterLinks() {}

    /**
     * @param self   this node's name
     * @param status this node's replication status ({@link Replication#status()})
     */
    public static ClusterSnapshot withLinks(ClusterSnapshot snapshot, String self, List<Replication.StoreStatus> status) {
        Map<String, Replication.StoreStatus> mastered = new HashMap<>();
        for (Replication.StoreStatus s : status) if (s.role().equals("master")) mastered.put(s.store(), s);
        if (mastered.isEmpty()) return snapshot;
        List<ClusterSnapshot.Store> stores = new ArrayList<>();
        for (ClusterSnapshot.Store store : snapshot.stores()) {
            Replication.StoreStatus here = mastered.get(store.name());
            if (here == null || store.master() == null || !nodeOf(store.master()).equals(self) || here.epoch() != store.epoch()) {
                stores.add(store);
                continue;
            }
            List<ClusterSnapshot.Replica> replicas = new ArrayList<>();
            for (ClusterSnapshot.Replica r : store.replicas()) {
                Replication.ReplicaStatus link = here.links().stream().filter(l -> l.replica().equals(nodeOf(r.slot()))).findFirst().orElse(null);
                replicas.add(link == null ? r : new ClusterSnapshot.Replica(r.slot(), r.inSync(), r.sync(), link.connected(), link.since(),
                        link.lagChanges(), link.lagMillis()));
            }
            stores.add(new ClusterSnapshot.Store(store.name(), store.master(), store.mode(), store.epoch(), store.degraded(), store.refusing(),
                    replicas));
        }
        return new ClusterSnapshot(snapshot.at(), snapshot.source(), snapshot.stale(), snapshot.nodes(), stores, snapshot.failovers(), snapshot.frontends());
    }

    private static String nodeOf(String slot) {
        int slash = slot.indexOf('/');
        return slash < 0 ? slot : slot.substring(0, slash);
    }
}
