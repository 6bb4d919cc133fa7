// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.Map;

/**
 * An operator's {@code cairn store promote STORE [--to NODE/SLOT] [--force]} in a cluster: the
 * store record that makes a replica master, planned as a pure function here and written by
 * {@link ClusterAdmin#promote} (compare-and-set, then a failover record). Never the controller's
 * doing: the controller promotes only in-sync replicas of a dead master by itself.
 *
 * <p>Refused while the master is alive (registered, serving its slot: {@code cairn store switch}
 * moves it without loss), for a slot that is no replica of the store or whose node is not
 * registered (the map would name a master nobody runs), and, without {@code force}, for a replica
 * that is not in the record's in-sync set. Plain, it is the controller's promotion
 * ({@link StoreRecord#promote}); forced, {@link StoreRecord#force}: no replica in sync and
 * {@code forced=true}, which tells the new master's node to promote its slot unclean.
 *
 * @param read the record as read (the compare-and-set is made against its version)
 * @param next the record to write
 * @param why  the failover record's reason
 */
public record OperatorPromotion(VersionedStore read, StoreRecord next, String why) {
    /** How a forced promotion's failover record's {@code why} begins (the admin page tells it from the controller's clean ones by it). */
    public static final String FORCED = "forced by an operator";


    /** The promotion of {@code to} in {@code read}'s store, or IllegalStateException saying why not. */
    public static OperatorPromotion plan(VersionedStore read, SlotRef to, boolean force, Map<String, NodeRecord> nodes, long now) {
        StoreRecord r = read.record();
        String store = r.name();
        if (r.master().equals(to)) throw new IllegalStateException("store " + store + ": " + to + " is its master already (epoch " + r.epoch() + ")");
        if (!r.replicas().contains(to)) {
            throw new IllegalStateException("store " + store + ": " + to + " is not one of its replicas " + r.replicas());
        }
        NodeRecord master = nodes.get(r.master().node());
        if (master != null && master.slots().contains(r.master().slot())) {
            throw new IllegalStateException("store " + store + ": its master " + r.master() + " is alive (registered): `cairn store switch "
                    + store + " --to " + to + "` (with the master's --config) moves it without losing anything");
        }
        NodeRecord target = nodes.get(to.node());
        if (target == null || !target.slots().contains(to.slot())) {
            throw new IllegalStateException("store " + store + ": node " + to.node() + " is not registered with slot " + to.slot()
                    + ": start it first (a map naming a master nobody runs leaves the store without one)");
        }
        boolean inSync = r.inSync().contains(to);
        if (force) {
            return new OperatorPromotion(read, r.force(to, now), FORCED + " (cairn store promote --force): " + to + " was "
                    + (inSync ? "in the in-sync set" : "not in the in-sync set " + r.inSync()) + "; " + r.master()
                    + " is gone; unclean: every mailbox gets a new UIDVALIDITY");
        }
        if (!inSync) {
            throw new IllegalStateException("store " + store + ": " + to + " is not in the in-sync set " + r.inSync() + ": it may lack what only "
                    + r.master() + " acknowledged; `cairn store promote " + store + " --to " + to
                    + " --force` promotes it anyway (unclean: every mailbox of the store gets a new UIDVALIDITY)");
        }
        return new OperatorPromotion(read, r.promote(to, now), "promoted by an operator (cairn store promote): " + to
                + " is in the in-sync set; " + r.master() + " is gone");
    }
}
