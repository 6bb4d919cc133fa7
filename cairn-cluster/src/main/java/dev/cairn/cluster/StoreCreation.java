// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * A new store's record, written once by an operator's tool ({@code cairn store create}) or a test,
 * on a short ZooKeeper session of its own. The store starts at epoch 1 with every replica in its
 * in-sync set (an empty store: they hold everything its master acknowledged, which is nothing);
 * the nodes named follow it at once.
 */
public final class StoreCreation {
    private StoreCreation() {}

    /** The record of a new store {@code name}: master and replicas as given, epoch 1, every replica in sync. */
    public static StoreRecord record(String name, StoreRecord.Mode mode, StoreRecord.OnReplicaLoss onReplicaLoss, SlotRef master,
                                     List<SlotRef> replicas, long now) {
        return new StoreRecord(name, mode, onReplicaLoss, master, replicas, 1, Set.copyOf(replicas), now);
    }

    /**
     * Creates the store's record on the cluster of {@code config}.
     *
     * @throws StoreConflictException when a store of that name exists already
     * @throws IOException            when the ensemble is not reachable within the connection timeout
     */
    public static VersionedStore create(ClusterConfig config, StoreRecord record) throws Exception {
        try (ClusterAdmin admin = ClusterAdmin.open(config)) {
            return admin.create(record);
        }
    }
}
