// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.cluster.ClusterAdmin;
import dev.cairn.cluster.OperatorPromotion;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreConflictException;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.server.config.NodeConfig;
import java.io.PrintWriter;

/**
 * {@code cairn store promote} with [cluster]: the operator's way out for a store the controller
 * leaves without a master (no in-sync replica alive). It writes the store map, never promotes a
 * slot behind the map's back: the record names the replica master at the next epoch (with
 * {@code --force}: {@code forced=true}, no replica in sync), a failover record says so, and the
 * replica's node follows the map (cairn-replication's {@code MapFollowing}: unclean, a new
 * UIDVALIDITY for every mailbox). See cairn-cluster's
 * {@link OperatorPromotion} for what is refused.
 */
final class ClusterPromote {
    private ClusterPromote() {}

    static int run(NodeConfig config, String store, String to, boolean force, PrintWriter out, PrintWriter err) throws Exception {
        String node = NodeCommand.requireClusterNode(config);
        try (ClusterAdmin cluster = ClusterAdmin.open(config.cluster())) {
            SlotRef target;
            if (to != null) {
                target = SlotRef.parse(to);
            } else {
                StoreRecord r = cluster.stores((name, e) -> { }).get(store);
                if (r == null) throw new IllegalStateException("no store " + store + " in the cluster's map");
                target = r.slots().stream().filter(s -> s.node().equals(node)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("store " + store + " has no slot on node " + node + ": name one with --to NODE/SLOT"));
            }
            OperatorPromotion p;
            try {
                p = cluster.promote(store, target, force);
            } catch (IllegalStateException e) {
                err.println(e.getMessage());
                err.flush();
                return 1;
            } catch (StoreConflictException e) {
                err.println("store " + store + ": its record changed while this ran (" + e.getMessage() + "): look at `cairn store list` and run again");
                err.flush();
                return 1;
            }
            StoreRecord n = p.next();
            out.println("store " + store + ": " + n.master() + " is master in the cluster's map at epoch " + n.epoch()
                    + (n.forced() ? ", by force (its node promotes it unclean: every mailbox of the store gets a new UIDVALIDITY, clients resync)" : "")
                    + "; replicas " + n.replicas() + ", in sync " + n.inSync() + "; " + p.read().record().master()
                    + " rejoins as a replica and what only it held is merged (reconciliation)");
            out.flush();
            return 0;
        }
    }
}
