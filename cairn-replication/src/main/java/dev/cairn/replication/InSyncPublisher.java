// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.util.Set;

/**
 * Where a master publishes its store's in-sync set for the cluster's controller: cairn-server's
 * NodeCluster writes it into the store record's {@code in_sync} (cairn-cluster, by compare-and-set),
 * and only while the record names this node's slot master at {@code epoch}. Without a cluster
 * there is none and nothing is published (a static pair's promotion is an operator's command,
 * which asks the replica's own claim).
 *
 * <p>The master asks it from one thread per store ({@link InSyncPublication}) and never
 * acknowledges a write that a replica listed in the record lacks: a replica goes out of the
 * record before such a write is acknowledged, and comes back only once it holds everything again.
 */
@FunctionalInterface
public interface InSyncPublisher {
    /**
     * Makes the record's in-sync set exactly {@code replicas} (the nodes of its replica slots);
     * returns once the record says so (written, or said so already).
     *
     * @throws Exception when it could not: the coordination service unreachable within its
     *                   timeout, or the record names another master or epoch (this master is stale)
     */
    void publish(String store, long epoch, Set<String> replicas) throws Exception;
}
