// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A store's entry in the store map, {@code <root>/stores/<store>} (persistent). Changed only by
 * compare-and-set on the znode's version ({@link StoreRecords#compareAndSet}).
 *
 * @param name          the store
 * @param mode          sync or async replication
 * @param onReplicaLoss what its master does when no replica takes its writes
 * @param master        the master slot
 * @param replicas      the replica slots, each on another node than the master and each other
 * @param epoch         raised by one at every change of master; frames of an older one are refused
 * @param inSync        the replicas that hold everything the master acknowledged; only these are
 *                      promoted. The master's node keeps it true: it takes a replica out (by
 *                      compare-and-set) before acknowledging a write that replica does not have
 * @param masterSince   when the master last changed, milliseconds since the epoch (damping)
 * @param forced        the master was promoted at this epoch by an operator's {@code --force}
 *                      ({@link #force}): its node promotes it unclean (a new UIDVALIDITY for every
 *                      mailbox) whatever its own in-sync claim says. Written as {@code forced=true}
 *                      only when true; a reader that does not know the key promotes plainly and is
 *                      refused (the store stays headless: safe)
 */
public record StoreRecord(String name, Mode mode, OnReplicaLoss onReplicaLoss, SlotRef master, List<SlotRef> replicas,
                          long epoch, Set<SlotRef> inSync, long masterSince, boolean forced) implements ClusterRecord {

    public enum Mode { SYNC, ASYNC }

    /** Go on alone (degraded) or refuse writes while no replica takes them. */
    public enum OnReplicaLoss { DEGRADE, REFUSE }

    public StoreRecord {
        ClusterNames.requireStore(name);
        if (mode == null || onReplicaLoss == null || master == null) throw new IllegalArgumentException("store " + name + ": mode, on_replica_loss and master are required");
        replicas = List.copyOf(replicas);
        inSync = Set.copyOf(inSync);
        Set<String> nodes = new HashSet<>();
        nodes.add(master.node());
        for (SlotRef r : replicas)
            if (!nodes.add(r.node())) throw new IllegalArgumentException("store " + name + ": two slots on node " + r.node());
        if (!replicas.containsAll(inSync)) throw new IllegalArgumentException("store " + name + ": in-sync " + inSync + " not all replicas " + replicas);
        if (epoch < 0) throw new IllegalArgumentException("store " + name + ": negative epoch " + epoch);
    }

    /** A store whose master was not promoted by force. */
    public StoreRecord(String name, Mode mode, OnReplicaLoss onReplicaLoss, SlotRef master, List<SlotRef> replicas,
                       long epoch, Set<SlotRef> inSync, long masterSince) {
        this(name, mode, onReplicaLoss, master, replicas, epoch, inSync, masterSince, false);
    }

    /** The master first, then the replicas. */
    public List<SlotRef> slots() {
        List<SlotRef> all = new ArrayList<>();
        all.add(master);
        all.addAll(replicas);
        return all;
    }

    /**
     * The store after {@code to} (an in-sync replica) became its master at {@code at}: the epoch
     * one higher, the old master a replica (not in sync: it may hold commits nobody else has,
     * which a reconciliation brings over), the other in-sync replicas still in sync (they hold
     * everything that was acknowledged; the new master's node takes out any it cannot keep so).
     */
    public StoreRecord promote(SlotRef to, long at) {
        if (!inSync.contains(to)) throw new IllegalArgumentException("store " + name + ": " + to + " is not an in-sync replica " + inSync);
        List<SlotRef> newReplicas = new ArrayList<>(replicas);
        newReplicas.remove(to);
        newReplicas.add(master);
        Set<SlotRef> newInSync = new LinkedHashSet<>(inSync);
        newInSync.remove(to);
        return new StoreRecord(name, mode, onReplicaLoss, to, newReplicas, epoch + 1, newInSync, at);
    }

    /**
     * The store after a planned switchover to {@code to} (an in-sync replica) at {@code at}: the
     * epoch one higher, the old master in {@code to}'s place among the replicas and in sync (the
     * switch waited until {@code to} held everything it acknowledged, and it stopped writing
     * before: it holds everything too), the other in-sync replicas still in sync.
     */
    public StoreRecord switchTo(SlotRef to, long at) {
        if (!inSync.contains(to)) throw new IllegalArgumentException("store " + name + ": " + to + " is not an in-sync replica " + inSync);
        List<SlotRef> newReplicas = new ArrayList<>();
        for (SlotRef r : replicas) newReplicas.add(r.equals(to) ? master : r); // the order the nodes' own switch keeps
        Set<SlotRef> newInSync = new LinkedHashSet<>(inSync);
        newInSync.remove(to);
        newInSync.add(master);
        return new StoreRecord(name, mode, onReplicaLoss, to, newReplicas, epoch + 1, newInSync, at);
    }

    /**
     * The store after an operator forced {@code to} (any replica) to be its master at {@code at}
     * ({@code cairn store promote --force}): the epoch one higher, the old master a replica, no
     * replica in sync (the new master may lack what the others hold; each is put back by the new
     * master's node once it caught up), {@link #forced} set. Never the controller's doing.
     */
    public StoreRecord force(SlotRef to, long at) {
        if (!replicas.contains(to)) throw new IllegalArgumentException("store " + name + ": " + to + " is not one of its replicas " + replicas);
        List<SlotRef> newReplicas = new ArrayList<>(replicas);
        newReplicas.remove(to);
        newReplicas.add(master);
        return new StoreRecord(name, mode, onReplicaLoss, to, newReplicas, epoch + 1, Set.of(), at, true);
    }

    /** The same store with another in-sync set (what a master's node writes). */
    public StoreRecord withInSync(Set<SlotRef> slots) {
        return new StoreRecord(name, mode, onReplicaLoss, master, replicas, epoch, slots, masterSince, forced);
    }
}
