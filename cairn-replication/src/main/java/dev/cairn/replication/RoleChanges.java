// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Replication.Promotion;
import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import dev.cairn.store.SlotStore;
import dev.cairn.store.replication.NewUidValidity;
import dev.cairn.store.replication.Role;
import dev.cairn.store.replication.SyncState;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a store's side on this node changes hands, and the record of it ({@link Failovers}). This
 * node's replica slot becomes the store's master at a new epoch in one of two ways: promoted (an
 * operator's `cairn store promote`, or the cluster's store map), its MODSEQs and UIDs moved past
 * every reservation, clean when it can show it is in sync ({@link InSyncClaim}), else only by force
 * and unclean (a new UIDVALIDITY for every mailbox); or taking the store over from its master in a
 * planned switchover ({@link Frame.TakeOver}), without the jump. This node's master stops writing
 * for the store as soon as anyone shows a newer epoch (a replica, a connecting master, the store
 * map), and after a switchover to one of its replicas. Every method runs under the node's lock
 * (the {@link Replication} methods that call them hold it).
 */
final class RoleChanges {
    /** The node's own: its lines read as the node's replication. */
    private static final Logger log = LoggerFactory.getLogger(Replication.class);

    private final Replication node;
    /** The last promotions and fencings here (the admin page). */
    private final Failovers failovers = new Failovers();

    RoleChanges(Replication node) { this.node = node; }

    /** The last promotions and fencings on this node, newest first. */
    List<Failovers.Failover> recent() { return failovers.recent(); }

    /** See {@link Replication#promote(String, long, boolean)}; {@code unclean}: whatever the slot's own claim says. */
    Promotion promote(String store, long epoch, boolean force, boolean unclean) {
        SlotStore slot = node.localSlot(store);
        if (slot == null) throw new IllegalArgumentException("no slot of store " + store + " here");
        StoreSpec s = node.map.get(store);
        if (node.masters.containsKey(store)) throw new IllegalStateException("store " + store + " is already mastered here");
        if (epoch <= slot.replication().epoch()) {
            throw new IllegalStateException("store " + store + " cannot be promoted here at epoch " + epoch + ": this slot is at epoch "
                    + slot.replication().epoch() + " already");
        }
        SyncState claim = node.claim(store).state();
        String former = node.currentMaster.getOrDefault(store, "its master");
        boolean clean = !unclean && claim != null && claim.inSync();
        String state = (claim == null ? "has never been told by a master that it holds everything the master acknowledged"
                : "is " + claim.describe()) + (unclean ? ", and was forced by an operator in the store map" : "");
        if (!clean && !force) {
            throw new IllegalStateException("replica " + node.self(s) + " of " + store + " " + state + ": promoting it may lose what only "
                    + former + " acknowledged" + (claim == null ? "" : " after that") + "; use --force to promote it anyway");
        }
        int bumped = slot.replication().promote(epoch, node.config.tuning().degradedUidWindow());
        List<String> lines = new ArrayList<>();
        if (clean) {
            lines.add("store " + store + " is now mastered here at epoch " + epoch + " (this replica " + state + ")");
        } else {
            List<NewUidValidity> renewed = slot.replication().renewUidValidities(epoch);
            lines.add("store " + store + " is now mastered here at epoch " + epoch + ", promoted by force (unclean: this replica "
                    + state + "); " + renewed.size() + " mailbox(es) get a new UIDVALIDITY");
            for (NewUidValidity n : renewed) {
                lines.add("store " + store + ": " + n.user() + " " + n.mailbox() + ": new UIDVALIDITY " + n.after() + " (was "
                        + n.before() + "): " + former + " may have handed out UIDs this slot never had; clients resync the mailbox");
            }
            node.promotions.addAll(lines);
        }
        node.claim(store).promoted();
        StoreSpec moved = StoreMap.movedTo(s, node.self(s));
        node.map.put(moved);
        log.warn("store {}: promoted to master at epoch {} ({} users moved past their reservations and the degraded window){}", store, epoch, bumped,
                clean ? "" : ", by force: " + (lines.size() - 1) + " mailbox(es) got a new UIDVALIDITY");
        node.becomeMaster(moved, true);
        failovers.add(new Failovers.Failover(java.time.Instant.now(), store, former, node.self(s).toString(), epoch,
                clean ? Failovers.How.CLEAN : Failovers.How.FORCED));
        return new Promotion(epoch, lines);
    }

    /**
     * The replica's side of a switchover ({@link Frame.TakeOver} from its master): takes the store
     * over at the new epoch, without the promotion's jump or new UIDVALIDITYs: the master stopped
     * writing and waited until this slot acknowledged everything it committed (checked there, user
     * by user), so nothing it handed out is missing here.
     */
    Frame.TakenOver takeOver(Frame.Hello hello, Frame.TakeOver t) {
        String store = hello.store();
        SlotStore slot = node.localSlot(store);
        long mine = slot.replication().epoch();
        String refused = hello.version() < FrameCodec.VERSION ? "a TakeOver on a protocol-" + hello.version() + " connection"
                : !t.store().equals(store) ? "a TakeOver for store " + t.store() + " on a connection of " + store
                : node.masters.containsKey(store) ? "store " + store + " is mastered here already"
                : hello.epoch() != mine || t.epoch() != mine ? "this replica is at epoch " + mine + ", the master at " + t.epoch()
                : t.newEpoch() <= mine ? "the new epoch " + t.newEpoch() + " is not above " + mine : null;
        if (refused != null) {
            log.warn("store {}: refused to take over from {}: {}", store, hello.node(), refused);
            return new Frame.TakenOver(store, mine, false, refused);
        }
        StoreSpec s = node.map.get(store);
        slot.replication().raiseEpoch(t.newEpoch());
        slot.replication().setRole(Role.MASTER, store);
        node.claim(store).promoted();
        StoreSpec moved = StoreMap.movedTo(s, node.self(s));
        node.map.put(moved);
        log.warn("store {}: took over from {} at epoch {} (a planned switchover: this slot holds everything it acknowledged)",
                store, hello.node(), t.newEpoch());
        node.becomeMaster(moved, false);
        failovers.add(new Failovers.Failover(java.time.Instant.now(), store, s.master().toString(), node.self(s).toString(), t.newEpoch(),
                Failovers.How.PLANNED));
        return new Frame.TakenOver(store, t.newEpoch(), true, "");
    }

    /** A master connects: accept it if its epoch is current; a newer epoch demotes this node's master. */
    boolean acceptMaster(String store, String master, long epoch) {
        SlotStore slot = node.localSlot(store);
        long mine = slot.replication().epoch();
        if (epoch < mine) return false;
        if (node.masters.containsKey(store)) {
            if (epoch == mine) return false; // two masters at one epoch: refuse, an operator must decide
            newerEpoch(store, epoch);
        }
        slot.replication().raiseEpoch(epoch);
        slot.replication().setRole(Role.REPLICA, store);
        node.claim(store).newEpoch(epoch);
        node.currentMaster.put(store, master);
        return true;
    }

    /** Someone knows a newer epoch of the store: stop writing for it at once. */
    void newerEpoch(String store, long epoch) {
        SlotStore slot = node.localSlot(store);
        slot.replication().fence("store " + store + " moved to another master (epoch " + epoch + ")");
        // Durable before the senders stop: stopping interrupts them, and this may run on one of them.
        slot.replication().raiseEpoch(epoch);
        slot.replication().setRole(Role.REPLICA, store);
        StoreMaster m = node.masters.remove(store);
        if (m != null) {
            StoreSpec spec = node.map.get(store); // the store map's (a store may have come from the cluster's map, not the config)
            SlotRef me = spec == null ? null : node.self(spec);
            failovers.add(new Failovers.Failover(java.time.Instant.now(), store, me == null ? node.config.node() : me.toString(), null, epoch,
                    Failovers.How.FENCED));
            FailureLog.loggedThreads(log, "cairn-repl-stop-" + store).start(m::stop); // not on the sender's own thread's stack
            log.warn("store {}: fenced: a newer epoch {} exists; this node no longer accepts writes for it", store, epoch);
        }
    }

    /** This node's master of the store gave way to {@code to} at the epoch: fenced, its replica from now on. */
    void movedAway(String store, SlotRef to, long epoch, String why) {
        newerEpoch(store, epoch);
        node.currentMaster.put(store, to.toString());
        StoreSpec s = node.map.get(store);
        if (s != null) node.map.put(StoreMap.movedTo(s, to));
        log.warn("store {}: {} (epoch {}): this node is a replica of it now", store, why, epoch);
    }
}
