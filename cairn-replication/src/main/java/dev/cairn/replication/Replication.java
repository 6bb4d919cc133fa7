// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import dev.cairn.store.SlotStore;
import dev.cairn.store.replication.Role;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replication on one node: for every store it has a slot of, either the master side (a
 * {@link StoreMaster}) or the replica side (the slot fenced against local writes, fed by the
 * {@link ReplicaService} listener). Promotion and demotion switch a store between the two.
 */
public final class Replication implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Replication.class);
    /** UIDVALIDITY classes: slots of a store at the same position modulo this share one. */
    static final int UIDVALIDITY_CLASSES = 16;

    final ReplicationConfig config;
    private final Map<String, SlotStore> slots;
    private final MeterRegistry meters;
    private final Map<String, StoreMaster> masters = new ConcurrentHashMap<>();
    private final Map<String, String> currentMaster = new ConcurrentHashMap<>();
    private final Map<String, List<String>> resyncLog = new ConcurrentHashMap<>();
    private final ReplicaService service;
    private volatile boolean closed;
    /** Prunes the masters' logs now and then (below what every replica has acknowledged). */
    private final Thread pruner = FailureLog.loggedThreads(log, "cairn-repl-prune").unstarted(() -> {
        while (!closed) {
            try {
                Thread.sleep(60_000);
                prune();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("replication: pruning failed: {}", e.toString());
            }
        }
    });

    private Replication(ReplicationConfig config, Map<String, SlotStore> slots, MeterRegistry meters) throws IOException {
        this.config = config;
        this.meters = meters;
        this.slots = new LinkedHashMap<>(slots);
        this.service = new ReplicaService(this, config.listen());
    }

    /**
     * Starts replication: the listener, and for each store the side the config gives this node.
     *
     * @param slots this node's slots by name
     */
    public static Replication start(ReplicationConfig config, Map<String, SlotStore> slots, MeterRegistry meters) throws IOException {
        Replication r = new Replication(config, slots, meters);
        if (config.tls() == null && !config.peersOffLoopback().isEmpty()) {
            log.warn("replication: mail to and from {} crosses the network unencrypted (TLS is off)", config.peersOffLoopback());
        }
        for (StoreSpec s : config.stores()) {
            SlotRef self = r.self(s);
            if (self == null) continue;
            r.currentMaster.put(s.name(), s.master().toString());
            SlotStore slot = r.localSlot(s.name());
            // Each slot of the store gives UIDVALIDITYs of its own class: never one another slot gives.
            slot.replication().setUidValidityClass(s.slots().indexOf(self) % UIDVALIDITY_CLASSES, UIDVALIDITY_CLASSES);
            // A configured master that was taken over (and not promoted again since) stays a replica.
            Role role = slot.replication().role();
            if (role == Role.MASTER || role == null && s.master().equals(self)) r.becomeMaster(s, false);
            else r.becomeReplica(s, s.master().equals(self) ? "elsewhere (taken over at epoch " + slot.replication().epoch() + ")"
                    : s.master().toString());
        }
        r.pruner.start();
        return r;
    }

    /** Whether this node's replication connections are TLS ({@code [replication] tls = true}). */
    public boolean tls() { return config.tls() != null; }

    /** The bound address of the replication listener. */
    public InetSocketAddress address() { return service.address(); }

    private SlotRef self(StoreSpec s) {
        for (SlotRef r : s.slots()) if (r.node().equals(config.node()) && slots.containsKey(r.slot())) return r;
        return null;
    }

    SlotStore localSlot(String store) {
        StoreSpec spec;
        try {
            spec = config.store(store);
        } catch (IllegalArgumentException e) {
            return null;
        }
        SlotRef self = self(spec);
        return self == null ? null : slots.get(self.slot());
    }

    boolean isMaster(String store) { return masters.containsKey(store); }

    /** @param promoted just promoted here: no other slot has been in step with this master yet (see ReservationWindow) */
    private synchronized void becomeMaster(StoreSpec s, boolean promoted) {
        SlotStore slot = localSlot(s.name());
        StoreMaster m = new StoreMaster(s, config.node(), config.secret(), config.tls(), config.tuning(), slot, config.peers(), self(s),
                meters, this::newerEpoch, promoted);
        masters.put(s.name(), m);
        currentMaster.put(s.name(), self(s).toString());
        slot.replication().unfence();
        m.start();
        log.info("store {}: master here ({}), epoch {}, mode {}", s.name(), self(s), slot.replication().epoch(), s.mode());
    }

    private void becomeReplica(StoreSpec s, String master) {
        SlotStore slot = localSlot(s.name());
        slot.replication().fence("store " + s.name() + " is a replica here; its master is " + master);
        log.info("store {}: replica here ({}), master {}", s.name(), self(s), master);
    }

    /** A master connects: accept it if its epoch is current; a newer epoch demotes this node's master. */
    synchronized boolean acceptMaster(String store, String node, long epoch) {
        SlotStore slot = localSlot(store);
        long mine = slot.replication().epoch();
        if (epoch < mine) return false;
        if (masters.containsKey(store)) {
            if (epoch == mine) return false; // two masters at one epoch: refuse, an operator must decide
            newerEpoch(store, epoch);
        }
        slot.replication().raiseEpoch(epoch);
        slot.replication().setRole(Role.REPLICA);
        currentMaster.put(store, node);
        return true;
    }

    /** Someone knows a newer epoch of the store: stop writing for it at once. */
    synchronized void newerEpoch(String store, long epoch) {
        SlotStore slot = localSlot(store);
        slot.replication().fence("store " + store + " moved to another master (epoch " + epoch + ")");
        // Durable before the senders stop: stopping interrupts them, and this may run on one of them.
        slot.replication().raiseEpoch(epoch);
        slot.replication().setRole(Role.REPLICA);
        StoreMaster m = masters.remove(store);
        if (m != null) {
            FailureLog.loggedThreads(log, "cairn-repl-stop-" + store).start(m::stop); // not on the sender's own thread's stack
            log.warn("store {}: fenced: a newer epoch {} exists; this node no longer accepts writes for it", store, epoch);
        }
    }

    /**
     * Makes this node's slot the store's master: a new epoch, MODSEQs and UIDs past every
     * reservation, writes accepted, changes shipped to every other slot of the store.
     */
    public synchronized long promote(String store) {
        StoreSpec s = config.store(store);
        SlotStore slot = localSlot(store);
        if (slot == null) throw new IllegalArgumentException("no slot of store " + store + " here");
        if (masters.containsKey(store)) throw new IllegalStateException("store " + store + " is already mastered here");
        long epoch = slot.replication().epoch() + 1;
        int bumped = slot.replication().promote(epoch, config.tuning().degradedUidWindow());
        log.warn("store {}: promoted to master at epoch {} ({} users moved past their reservations and the degraded window)",
                store, epoch, bumped);
        becomeMaster(s, true);
        return epoch;
    }

    public void resync(String store, String userOrNull) {
        StoreMaster m = masters.get(store);
        if (m == null) throw new IllegalStateException("store " + store + " is not mastered here");
        m.resync(userOrNull);
    }

    void resynced(String store, String user) {
        resyncLog.computeIfAbsent(store, s -> java.util.Collections.synchronizedList(new ArrayList<>())).add(user);
    }

    /** Prunes the masters' change logs below what every replica has. */
    public int prune() {
        int n = 0;
        for (StoreMaster m : masters.values()) n += m.prune();
        return n;
    }

    /** What reconciliation and resyncs did (the replica report). */
    public List<String> report() {
        List<String> out = new ArrayList<>();
        for (StoreMaster m : masters.values()) out.addAll(m.report());
        resyncLog.forEach((s, users) -> { synchronized (users) { for (String u : users) out.add("store " + s + ": " + u + " copied whole from the master"); } });
        return out;
    }

    /** One line per store and one per channel with anything to say: role, master, mode, epoch, positions, lag. */
    public List<StoreStatus> status() {
        List<StoreStatus> out = new ArrayList<>();
        for (StoreSpec s : config.stores()) {
            SlotStore slot = localSlot(s.name());
            if (slot == null) continue;
            StoreMaster m = masters.get(s.name());
            List<ChannelStatus> channels = new ArrayList<>();
            String mode;
            String degraded = null;
            if (m != null) {
                mode = s.mode() == ReplicationConfig.Mode.ASYNC ? "async"
                        : m.degraded() && m.onReplicaLoss() == ReplicationConfig.OnReplicaLoss.DEGRADE ? "async (fallen back from sync)" : "sync";
                java.time.Instant since = m.degradedSince();
                if (since != null) {
                    degraded = (m.onReplicaLoss() == ReplicationConfig.OnReplicaLoss.REFUSE ? "refusing writes since " : "degraded since ")
                            + since.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
                }
                for (Map.Entry<String, ChannelSender[]> e : m.senders.entrySet()) {
                    for (ChannelSender c : e.getValue()) {
                        channels.add(new ChannelStatus(e.getKey(), c.config.channel(), c.connected(), c.ackedUsers(), c.lagChanges(), c.lagMillis()));
                    }
                }
            } else {
                mode = "replica";
            }
            out.add(new StoreStatus(s.name(), m != null ? "master" : "replica", currentMaster.getOrDefault(s.name(), "?"),
                    s.replicas().stream().map(Object::toString).toList(), mode, slot.replication().epoch(), degraded, channels));
        }
        return out;
    }

    /**
     * @param degraded null while a replica takes the store's writes (or on a replica); else
     *                 "degraded since TIME" or "refusing writes since TIME" (on_replica_loss = refuse)
     */
    public record StoreStatus(String store, String role, String master, List<String> replicas, String mode, long epoch,
                              String degraded, List<ChannelStatus> channels) {}

    public record ChannelStatus(String replica, int channel, boolean connected, int users, long lagChanges, long lagMillis) {}

    @Override public void close() {
        closed = true;
        pruner.interrupt();
        for (StoreMaster m : masters.values()) m.stop();
        masters.clear();
        service.close();
    }
}
