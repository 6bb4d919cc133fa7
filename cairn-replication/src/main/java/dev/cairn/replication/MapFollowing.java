// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import dev.cairn.store.SlotStore;
import dev.cairn.store.replication.Role;
import dev.cairn.store.replication.SlotReplication;

/**
 * One change of the cluster's store map as this node follows it ({@link Replication#follow}):
 * what the map says of a store at an epoch, against what this node's slot knows (its epoch and
 * durable role). A store new to this node starts; this node named master at a newer epoch is
 * promoted at it (plainly: a replica that cannot show it is in sync is refused, as by an operator);
 * named replica while it masters the store at an older epoch it is fenced and follows the named
 * master (reconciled when that one connects); a master whose replicas changed starts its channels
 * again for the new set. A map older than what the slot knows is refused: the slot's epoch is the
 * fence, not the map. A map whose master an operator forced at this epoch (the store record's
 * {@code forced}) promotes by force and unclean: a new UIDVALIDITY for every mailbox, whatever
 * the slot's own claim says. Runs under the node's lock.
 */
final class MapFollowing {
    private final Replication node;
    private final StoreSpec spec;
    private final long epoch;
    private final String store;
    private final boolean forced;

    MapFollowing(Replication node, StoreSpec spec, long epoch, boolean forced) {
        this.node = node;
        this.spec = spec;
        this.epoch = epoch;
        this.store = spec.name();
        this.forced = forced;
    }

    String run() {
        StoreSpec before = node.map.get(store);
        boolean known = before != null && node.localSlot(store) != null;
        SlotRef self = node.self(spec);
        if (self == null) {
            for (SlotRef r : spec.slots()) {
                if (r.node().equals(node.config.node())) throw new IllegalArgumentException("store " + store + ": no slot " + r.slot() + " on this node");
            }
            return known ? leave() : "store " + store + ": no slot here";
        }
        if (known && !self.equals(node.self(before))) {
            throw new IllegalArgumentException("store " + store + " is in slot " + node.self(before) + " here, not " + self);
        }
        SlotReplication slot = node.slot(self.slot()).replication();
        long mine = slot.epoch();
        if (epoch < mine) {
            throw new IllegalStateException("store " + store + ": this slot is at epoch " + mine + "; the map's epoch " + epoch + " is older");
        }
        boolean masterHere = node.isMaster(store);
        if (spec.master().equals(self)) {
            // Checked before anything stops: a master whose channels cannot start is no master.
            for (SlotRef r : spec.replicas()) {
                if (node.map.address(r.node()) == null) throw new IllegalArgumentException("store " + store + ": no address for node " + r.node());
            }
        }
        if (spec.master().equals(self)) return masterHere ? stayMaster(mine) : becomeMaster(self, slot, mine, known);
        if (masterHere && epoch == mine) {
            throw new IllegalStateException("store " + store + " is mastered here at epoch " + mine + "; the map names " + spec.master()
                    + " at the same epoch: the controller must raise it");
        }
        if (!masterHere && !known && epoch == mine && slot.role() == Role.MASTER) {
            throw new IllegalStateException("store " + store + ": this slot was its master at epoch " + mine + "; the map names "
                    + spec.master() + " at the same epoch: the controller must raise it");
        }
        return becomeReplica(self, slot, masterHere, known);
    }

    /** This node is no longer named: it stops mastering the store (a newer epoch only) and forgets it; the slot stays fenced. */
    private String leave() {
        if (node.isMaster(store)) {
            long mine = node.localSlot(store).replication().epoch();
            if (epoch <= mine) {
                throw new IllegalStateException("store " + store + " is mastered here at epoch " + mine + "; a map at epoch " + epoch
                        + " that leaves this node out is not newer");
            }
            node.newerEpoch(store, epoch);
        }
        node.map.remove(store);
        return "store " + store + ": left (its slot here stays fenced)";
    }

    /** Already master: a newer epoch or another set of replicas starts the channels again. */
    private String stayMaster(long mine) {
        StoreSpec now = node.map.get(store);
        if (epoch == mine && now.replicas().equals(spec.replicas()) && now.mode() == spec.mode()
                && now.onReplicaLoss() == spec.onReplicaLoss()) {
            return "store " + store + ": master here at epoch " + mine + " (unchanged)";
        }
        node.localSlot(store).replication().raiseEpoch(epoch);
        node.restartMaster(spec);
        return "store " + store + ": master here at epoch " + epoch + ", replicas " + spec.replicas();
    }

    private String becomeMaster(SlotRef self, SlotReplication slot, long mine, boolean known) {
        Role role = slot.role();
        if (epoch == mine && role == Role.REPLICA) {
            throw new IllegalStateException("store " + store + ": the map names this slot master at epoch " + epoch
                    + ", but it is a replica at that epoch: promote it at a newer one");
        }
        node.map.put(spec);
        if (!known) node.joined(spec, self);
        SlotStore s = node.slot(self.slot());
        if (epoch == mine || role == null && s.users().isEmpty()) {
            // This node's own store (restarted), or a new one: nothing to jump past.
            slot.raiseEpoch(epoch);
            node.becomeMaster(spec, false);
            return "store " + store + ": master here at epoch " + epoch;
        }
        try {
            return node.promote(store, epoch, forced, forced).lines().getFirst();
        } catch (RuntimeException e) {
            if (!known) node.becomeReplica(spec, "unknown (this node's promotion was refused)");
            throw e;
        }
    }

    private String becomeReplica(SlotRef self, SlotReplication slot, boolean masterHere, boolean known) {
        node.map.put(spec);
        if (masterHere) {
            node.newerEpoch(store, epoch); // fenced; reconciled when the new master connects
        } else {
            if (!known) node.joined(spec, self);
            if (epoch > slot.epoch()) {
                slot.raiseEpoch(epoch); // a master of an older epoch is refused from now on
                slot.setRole(Role.REPLICA, store);
                node.claim(store).newEpoch(epoch);
            }
            if (!known) node.becomeReplica(spec, spec.master().toString());
        }
        node.currentMaster.put(store, spec.master().toString());
        return "store " + store + ": replica here of " + spec.master() + " at epoch " + epoch;
    }
}
