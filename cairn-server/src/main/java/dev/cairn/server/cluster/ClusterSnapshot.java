// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The cluster at one moment, as the admin page and {@code GET /cluster/state} show it: every node,
 * every store with its slots, the last failovers. Cluster-wide by shape; how much of it is known
 * depends on the {@link ClusterView} (one node knows its own links only: a peer it has no link
 * with is {@link Reach#UNKNOWN}, a replica's lag is known on the store's master).
 *
 * @param at        when it was taken; for a stale picture, when it was last known current
 * @param source    where it comes from, for the reader ("node n2": what that node sees)
 * @param stale     null while it is current; else why it may be out of date (e.g. "no connection to
 *                  ZooKeeper since ..."): its age is from {@code at}
 * @param nodes     by name
 * @param stores    by name
 * @param failovers newest first
 * @param frontends the registered front-ends ({@code cairn proxy}), by name
 */
public record ClusterSnapshot(Instant at, String source, String stale, List<Node> nodes, List<Store> stores, List<Failover> failovers,
                              List<Frontend> frontends) {
    public ClusterSnapshot {
        nodes = List.copyOf(nodes);
        stores = List.copyOf(stores);
        failovers = List.copyOf(failovers);
        frontends = List.copyOf(frontends);
    }

    /** With no front-end known (a node's own view knows none). */
    public ClusterSnapshot(Instant at, String source, String stale, List<Node> nodes, List<Store> stores, List<Failover> failovers) {
        this(at, source, stale, nodes, stores, failovers, List.of());
    }

    /**
     * A front-end ({@code cairn proxy}, issue 21) as it registered.
     *
     * @param addresses by listener ("imap", "imaps", "admin", ...)
     * @param joined    when it registered (its clock)
     */
    public record Frontend(String name, Map<String, String> addresses, String version, Instant joined) {
        public Frontend {
            addresses = Map.copyOf(addresses);
        }
    }

    /** A current picture. */
    public ClusterSnapshot(Instant at, String source, List<Node> nodes, List<Store> stores, List<Failover> failovers) {
        this(at, source, null, nodes, stores, failovers);
    }

    /** Whether a node answers. */
    public enum Reach { REACHABLE, UNREACHABLE, UNKNOWN }

    /**
     * @param self      the node that took the snapshot (a node-local view)
     * @param addresses by listener ("replication", "admin", "imap", ...): what is known of it
     * @param since     when {@code reach} began (null: not known)
     * @param why       why it is unreachable (the last failure), or null
     * @param slots     its slots' names
     */
    public record Node(String name, boolean self, Map<String, String> addresses, Reach reach, Instant since, String why,
                       List<String> slots) {
        public Node {
            addresses = Map.copyOf(addresses);
            slots = List.copyOf(slots);
        }
    }

    /**
     * @param master   the master's slot ("n1/s0"), null when the store has none
     * @param mode     "sync", "async", "async (fallen back from sync)", or null when not known
     * @param epoch    the highest epoch known
     * @param degraded null while a replica takes the master's writes; else since when it does not
     * @param refusing the master refuses writes without a replica ({@code on_replica_loss = "refuse"})
     * @param replicas every slot of the store but the master
     */
    public record Store(String name, String master, String mode, long epoch, Instant degraded, boolean refusing,
                        List<Replica> replicas) {
        public Store {
            replicas = List.copyOf(replicas);
        }
    }

    /**
     * @param slot        "n2/s0"
     * @param inSync      whether it is in the store's in-sync set (null: not known)
     * @param sync        the in-sync set's words for it ("in sync as of epoch 1", "out of sync since ..."), or null
     * @param connected   whether its master's channels to it are up (null: not known)
     * @param since       when {@code connected} began (null: not known)
     * @param lagChanges  changes it has not acknowledged (null: not known)
     * @param lagMillis   age of the oldest commit it has not acknowledged (null: not known)
     */
    public record Replica(String slot, Boolean inSync, String sync, Boolean connected, Instant since, Long lagChanges,
                          Long lagMillis) {}

    /** How a store moved: promoted in sync, handed over (a planned switchover), promoted by force, or seen from the former master (fenced). */
    public enum How { CLEAN, PLANNED, FORCED, FENCED }

    /** @param to the new master's slot, or null when not known (a fencing seen by the former master) */
    public record Failover(Instant at, String store, String from, String to, long epoch, How how) {}
}
