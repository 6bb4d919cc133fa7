// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster as the ensemble held it, read-only ({@link ClusterObserver#state()}): what an admin
 * page or {@code cairn cluster status} shows. Every record in it was decoded by {@link RecordCodec};
 * one that was refused is left out (a registration that was refused stays, without its record).
 *
 * @param asOf      when this was last known to be what the ensemble holds, ms since 1970 (the
 *                  observer's clock): now while its connection is up, else when it went down
 * @param stale     null while it is current; else why it may be out of date (the connection is
 *                  down since {@code asOf}, or the first read is not done)
 * @param nodes     the registered nodes, by name (sorted, as are the other maps)
 * @param departed  nodes whose registration the observer saw go, by name: when it saw it (its
 *                  clock); a node that left before the observer started is not here
 * @param stores    every store record that decoded, by name
 * @param failovers the failover records, newest first
 * @param frontends the registered front-ends ({@code cairn proxy}) whose record decoded, by name
 */
public record ClusterState(long asOf, String stale, Map<String, Registration> nodes, Map<String, Long> departed,
                           Map<String, ObservedStore> stores, List<FailoverRecord> failovers, Map<String, FrontendRecord> frontends) {
    public ClusterState {
        frontends = Collections.unmodifiableSortedMap(new TreeMap<>(frontends));
        nodes = Collections.unmodifiableSortedMap(new TreeMap<>(nodes));
        departed = Collections.unmodifiableSortedMap(new TreeMap<>(departed));
        stores = Collections.unmodifiableSortedMap(new TreeMap<>(stores));
        failovers = List.copyOf(failovers);
    }

    /** Without front-ends. */
    public ClusterState(long asOf, String stale, Map<String, Registration> nodes, Map<String, Long> departed,
                        Map<String, ObservedStore> stores, List<FailoverRecord> failovers) {
        this(asOf, stale, nodes, departed, stores, failovers, Map.of());
    }

    /**
     * A registration, {@code nodes/<node>}.
     *
     * @param record       null when it did not decode ({@code refused} says why): the node is alive
     * @param registeredAt when its znode was created, ms since 1970 (the ensemble's clock)
     */
    public record Registration(String node, NodeRecord record, long registeredAt, String refused) {}

    /**
     * A store record with what its replicas report.
     *
     * @param changedAt when the record was last written, ms since 1970 (the ensemble's clock)
     * @param progress  the replica slots' reports that decoded, by slot (ephemeral: a slot whose node's
     *                  session ended has none)
     */
    public record ObservedStore(StoreRecord record, long changedAt, Map<SlotRef, ProgressRecord> progress) {
        public ObservedStore {
            progress = Map.copyOf(progress);
        }
    }

    /** Whether the store's master is live by the controller's rule 1 (its node registered and serving the slot). */
    public boolean masterLive(StoreRecord store) {
        Registration r = nodes.get(store.master().node());
        return r != null && FailoverPlanner.serves(new FailoverPlanner.LiveNode(r.record(), r.registeredAt()), store.master());
    }
}
