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
 * {@link ReplicaService} listener). Promotion and demotion switch a store between the two
 * ({@link RoleChanges}).
 */
public final class Replication implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Replication.class);
    /** UIDVALIDITY classes: slots of a store at the same position modulo this share one. */
    static final int UIDVALIDITY_CLASSES = 16;

    final ReplicationConfig config;
    /** The stores and peers as they are now (the config's at start; the cluster's store map, promotions and switchovers change them). */
    final StoreMap map;
    /** The cluster secret and TLS context, replaced by {@link #reload}; ReplicationConfig's are the ones the node started with. */
    final ReplicationKeys keys;
    final Map<String, SlotStore> slots;
    private final MeterRegistry meters;
    final Map<String, StoreMaster> masters = new ConcurrentHashMap<>();
    final Map<String, String> currentMaster = new ConcurrentHashMap<>();
    final Map<String, List<String>> resyncLog = new ConcurrentHashMap<>();
    /** Each replica slot's claim to be in sync, by store. */
    private final Map<String, InSyncClaim> claims = new ConcurrentHashMap<>();
    /** What forced promotions did (the replica report). */
    final List<String> promotions = java.util.Collections.synchronizedList(new ArrayList<>());
    private final ReplicaService service;
    private volatile boolean closed;
    /** The cluster's write lease ({@link #fenceAcknowledgements}); without a cluster always true. */
    private final AcknowledgementFence lease = new AcknowledgementFence(() -> closed);
    /** Where masters publish their stores' in-sync sets ({@link #publishInSync}); null without a cluster. */
    private volatile InSyncPublisher inSyncPublisher;
    /** Per-user write fences of this node's masters (online user moves). */
    private final UserMoves userMoves = new UserMoves(this);
    /** Promotions, switchovers' takeovers and fencings of this node's side of a store, and their record. */
    private final RoleChanges roles = new RoleChanges(this);
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

    private Replication(ReplicationConfig config, Map<String, SlotStore> slots, MeterRegistry meters, boolean following) throws IOException {
        this.config = config;
        this.map = new StoreMap(config);
        this.keys = new ReplicationKeys(config.secret(), config.tls());
        this.meters = meters;
        this.slots = new LinkedHashMap<>(slots);
        if (following) {
            // The cluster's store map names every store: until it does, no slot takes a write (a
            // slot the map names master is unfenced by follow; one it names nowhere stays fenced).
            for (Map.Entry<String, SlotStore> e : this.slots.entrySet()) {
                e.getValue().replication().fence("slot " + e.getKey() + " waits for the cluster's store map to name it");
            }
        } else {
            refuseUnconfiguredFence();
        }
        // Before the listener takes a master's word: a claim from before this start no longer holds.
        for (StoreSpec s : map.all()) if (localSlot(s.name()) != null) claim(s.name()).restarted();
        this.service = new ReplicaService(this, config.listen());
    }

    /**
     * Starts replication: the listener, and for each store the side the config gives this node.
     *
     * @param slots this node's slots by name
     */
    public static Replication start(ReplicationConfig config, Map<String, SlotStore> slots, MeterRegistry meters) throws IOException {
        Replication r = new Replication(config, slots, meters, false);
        if (config.tls() == null && !config.peersOffLoopback().isEmpty()) {
            log.warn("replication: mail to and from {} crosses the network unencrypted (TLS is off)", config.peersOffLoopback());
        }
        for (StoreSpec s : r.map.all()) {
            if (r.self(s) != null) r.startStore(s);
        }
        r.pruner.start();
        return r;
    }

    /**
     * Starts replication for a node of a cluster: no store is configured, the cluster's store map
     * names them ({@link #follow}, {@link #setPeer}). Every slot is fenced until the map names it
     * (a slot fenced by an earlier run is not refused, as {@link #start} does without a store that
     * names it: the map names it, at an epoch the slot checks).
     */
    public static Replication startFollowing(ReplicationConfig config, Map<String, SlotStore> slots, MeterRegistry meters) throws IOException {
        if (!config.stores().isEmpty()) throw new IllegalArgumentException("a node that follows the cluster's store map has no configured stores");
        Replication r = new Replication(config, slots, meters, true);
        r.pruner.start();
        return r;
    }

    /** Whether this node's replication connections are TLS ({@code [replication] tls = true}). */
    public boolean tls() { return config.tls() != null; }

    /** The bound address of the replication listener. */
    public InetSocketAddress address() { return service.address(); }

    /** The store's side on this node as its slot's durable role says, the config's (or map's) word otherwise. */
    private void startStore(StoreSpec s) {
        SlotRef self = self(s);
        currentMaster.put(s.name(), s.master().toString());
        SlotStore slot = localSlot(s.name());
        // Each slot of the store gives UIDVALIDITYs of its own class: never one another slot gives.
        slot.replication().setUidValidityClass(s.slots().indexOf(self) % UIDVALIDITY_CLASSES, UIDVALIDITY_CLASSES);
        // A configured master that was taken over (and not promoted again since) stays a replica.
        Role role = slot.replication().role();
        if (role == Role.MASTER || role == null && s.master().equals(self)) becomeMaster(s, false);
        else becomeReplica(s, s.master().equals(self) ? "elsewhere (taken over at epoch " + slot.replication().epoch() + ")"
                : s.master().toString());
    }

    /** A store new to this node (the store map named it): its slot's UIDVALIDITY class, and no claim from before. */
    void joined(StoreSpec s, SlotRef self) {
        slot(self.slot()).replication().setUidValidityClass(s.slots().indexOf(self) % UIDVALIDITY_CLASSES, UIDVALIDITY_CLASSES);
        claim(s.name()).restarted();
    }

    SlotStore slot(String name) { return slots.get(name); }

    SlotRef self(StoreSpec s) {
        for (SlotRef r : s.slots()) if (r.node().equals(config.node()) && slots.containsKey(r.slot())) return r;
        return null;
    }

    /**
     * A fence is never forgotten: a slot that is a replica (or a taken-over former master) of a store
     * the config does not give it starts nothing of it, and would take local writes: refused.
     */
    private void refuseUnconfiguredFence() {
        for (Map.Entry<String, SlotStore> e : slots.entrySet()) {
            if (e.getValue().replication().role() != Role.REPLICA) continue;
            String store = e.getValue().replication().roleStore();
            boolean configured = config.stores().stream().anyMatch(s -> (store == null || s.name().equals(store))
                    && s.slots().stream().anyMatch(r -> r.node().equals(config.node()) && r.slot().equals(e.getKey())));
            if (!configured) {
                throw new IllegalStateException(fencedSlot("slot " + e.getKey(), store, e.getValue().replication().epoch())
                        + " but [replication] names no store with " + config.node() + "/" + e.getKey()
                        + ": name it in the store's slots again to rejoin, or take the slot over with `cairn store takeover "
                        + (store == null ? "STORE" : store) + "` (a node of its own, without [replication])");
            }
        }
    }

    /** The words for a slot whose role is REPLICA ({@code slot}: "slot s0", "this slot"), for the refusals that start with it. */
    public static String fencedSlot(String slot, String store, long epoch) {
        return slot + " is fenced: it is a replica of store " + (store == null ? "(unnamed)" : store)
                + " (or a former master another node took over), at epoch " + epoch + ",";
    }

    InSyncClaim claim(String store) {
        return claims.computeIfAbsent(store, s -> new InSyncClaim(localSlot(s).replication()));
    }

    SlotStore localSlot(String store) {
        StoreSpec spec = map.get(store);
        if (spec == null) return null;
        SlotRef self = self(spec);
        return self == null ? null : slots.get(self.slot());
    }

    boolean isMaster(String store) { return masters.containsKey(store); }

    /** @param promoted just promoted here: no other slot has been in step with this master yet (see ReservationWindow) */
    synchronized void becomeMaster(StoreSpec s, boolean promoted) {
        SlotStore slot = localSlot(s.name());
        StoreMaster m = new StoreMaster(s, config.node(), keys, config.tuning(), slot, map::address, self(s),
                meters, this::newerEpoch, promoted, lease, inSyncPublisher, userMoves.holds());
        masters.put(s.name(), m);
        currentMaster.put(s.name(), self(s).toString());
        slot.replication().unfence();
        m.start();
        log.info("store {}: master here ({}), epoch {}, mode {}", s.name(), self(s), slot.replication().epoch(), s.mode());
    }

    /** The master side again with another spec (replicas, epoch): its channels start over. */
    synchronized void restartMaster(StoreSpec s) {
        StoreMaster old = masters.remove(s.name());
        if (old != null) old.stop();
        map.put(s);
        becomeMaster(s, old != null && old.promoted);
    }

    void becomeReplica(StoreSpec s, String master) {
        SlotStore slot = localSlot(s.name());
        slot.replication().fence("store " + s.name() + " is a replica here; its master is " + master);
        log.info("store {}: replica here ({}), master {}", s.name(), self(s), master);
    }

    /** A master connects: accept it if its epoch is current; a newer epoch demotes this node's master. */
    synchronized boolean acceptMaster(String store, String node, long epoch) { return roles.acceptMaster(store, node, epoch); }

    /** Someone knows a newer epoch of the store: stop writing for it at once. */
    synchronized void newerEpoch(String store, long epoch) { roles.newerEpoch(store, epoch); }

    /** A promotion: its epoch, and what the operator is told (the first line says where the store now is). */
    public record Promotion(long epoch, List<String> lines) {}

    /** A plain promotion (refused for a replica that cannot show it is in sync); its epoch. */
    public long promote(String store) { return promote(store, false).epoch(); }

    /** A promotion at the next epoch (the slot's + 1): the operator's `cairn store promote`. */
    public synchronized Promotion promote(String store, boolean force) {
        SlotStore slot = localSlot(store);
        if (slot == null) throw new IllegalArgumentException("no slot of store " + store + " here");
        return promote(store, slot.replication().epoch() + 1, force);
    }

    /**
     * Makes this node's slot the store's master: a new epoch, MODSEQs and UIDs past every
     * reservation, writes accepted, changes shipped to every other slot of the store. A replica that
     * cannot show it is in sync ({@link InSyncClaim}) is refused unless {@code force}; forced, the
     * promotion is unclean: this slot cannot vouch for any UID the former master may have handed out
     * since, so every mailbox of every user gets a new UIDVALIDITY (clients resync), each listed
     * in the answer and in the report.
     *
     * @param epoch the new epoch, above the slot's (the cluster's controller raised it in the store
     *              map); refused when it is not
     */
    public synchronized Promotion promote(String store, long epoch, boolean force) {
        return promote(store, epoch, force, false);
    }

    /**
     * As {@link #promote(String, long, boolean)}; {@code unclean}: unclean whatever this slot's
     * own claim says (a cluster's map forced it: the store record, which the master kept, counts
     * this replica out of sync, and its claim "in sync until the link was lost" cannot outweigh
     * that).
     */
    synchronized Promotion promote(String store, long epoch, boolean force, boolean unclean) {
        return roles.promote(store, epoch, force, unclean);
    }

    /**
     * A planned switchover of a store this node masters to one of its replicas (at the next epoch):
     * writes wait while the replica catches the last changes, it takes over, and this node becomes
     * its replica; abandoned (writes go on here) when the budget passes first or the replica cannot
     * take it. See {@link Switchover}.
     */
    public SwitchResult switchOver(String store, SlotRef to, java.time.Duration budget) throws InterruptedException {
        return switchOver(store, to, budget, null);
    }

    /** A switchover that a cluster's store map records ({@code record}, or null: a static pair). */
    public SwitchResult switchOver(String store, SlotRef to, java.time.Duration budget, SwitchRecord record) throws InterruptedException {
        StoreMaster m;
        SlotStore slot;
        long epoch;
        synchronized (this) {
            m = masters.get(store);
            if (m == null) throw new IllegalStateException("store " + store + " is not mastered here");
            StoreSpec s = map.get(store);
            if (!s.replicas().contains(to)) throw new IllegalArgumentException(to + " is not a replica of store " + store + " (its slots: " + s.slots() + ")");
            slot = localSlot(store);
            epoch = slot.replication().epoch() + 1;
        }
        return new Switchover(store, m, slot, to, epoch, budget, record).run(new Switchover.Outcome() {
            @Override public void switched() { movedAway(store, to, epoch, "switched over to " + to); }

            @Override public void unknown(String why) { movedAway(store, to, epoch, why); }
        });
    }

    /** This node's master of the store gave way to {@code to} at the epoch: fenced, its replica from now on. */
    private synchronized void movedAway(String store, SlotRef to, long epoch, String why) { roles.movedAway(store, to, epoch, why); }

    /** The replica's side of a switchover ({@link Frame.TakeOver} from its master): see {@link RoleChanges#takeOver}. */
    synchronized Frame.TakenOver takeOver(Frame.Hello hello, Frame.TakeOver t) {
        return roles.takeOver(hello, t);
    }

    /**
     * Fences this node's masters with the cluster's write lease: from now on a commit is started
     * and acknowledged only while {@code lease} says true (a volatile read per commit; see
     * {@link WriteGate}). When it says false the commit waits up to {@code hold} for it to come
     * back (a connection to ZooKeeper that returns with the same session: a ZooKeeper leader's
     * election), then fails UNAVAILABLE. Without a cluster it stays always true. See {@link AcknowledgementFence}.
     */
    public void fenceAcknowledgements(java.util.function.BooleanSupplier lease, java.time.Duration hold) {
        this.lease.set(lease, hold);
    }

    /**
     * Has every master of this node keep its store's in-sync set true in the cluster's store map
     * from the next time it becomes master (call before the map is first followed): a replica
     * goes out of the published set before a write it lacks is acknowledged, and back once it
     * holds everything again ({@link InSyncPublication}). Without a cluster nothing is published.
     */
    public void publishInSync(InSyncPublisher publisher) { this.inSyncPublisher = publisher; }

    /** This node's slot of the store (as the config or the cluster's map says now), or null. */
    public String slotOf(String store) {
        StoreSpec s = map.get(store);
        SlotRef self = s == null ? null : self(s);
        return self == null ? null : self.slot();
    }

    /** The store whose slot on this node is {@code slot} by the map followed now, or null. */
    public String storeOfSlot(String slot) {
        for (StoreSpec s : map.all()) {
            SlotRef self = self(s);
            if (self != null && self.slot().equals(slot)) return s.name();
        }
        return null;
    }

    /** This node's name ([replication] node). */
    public String node() { return config.node(); }

    /** Whether this node knows an address for {@code node}'s replication listener (configured or learned). */
    public boolean hasPeer(String node) { return map.address(node) != null; }

    /** Whether the config names {@code node}'s replication address ([replication.peers]). */
    public boolean peerConfigured(String node) { return config.peers().containsKey(node); }

    /** A node's replication address, learned at run time (the cluster's registry): connections from now on use it. */
    public void setPeer(String node, InetSocketAddress address) { map.setPeer(node, address); }

    /**
     * Makes this node's side of a store match the cluster's store map at {@code epoch}; what it did,
     * in words. See {@link MapFollowing}.
     *
     * @throws IllegalArgumentException when the spec names a slot of this node that it does not have
     * @throws IllegalStateException    when this node knows better (a newer epoch, a master at the same
     *                                  one), or the promotion it asks for is refused (not in sync)
     */
    public synchronized String follow(StoreSpec spec, long epoch) {
        return follow(spec, epoch, false);
    }

    /**
     * As {@link #follow(StoreSpec, long)}; {@code forced}: the map's master was promoted at
     * {@code epoch} by an operator's {@code --force}, so this node, named master there, promotes
     * its slot unclean (a new UIDVALIDITY for every mailbox), whatever its own claim says.
     */
    public synchronized String follow(StoreSpec spec, long epoch, boolean forced) {
        return new MapFollowing(this, spec, epoch, forced).run();
    }

    /**
     * Replaces the cluster secret and the TLS context (null: TLS off, as the node started; TLS cannot
     * be turned on or off here): every connection opened from now on, in either direction, uses
     * them; connections already established go on. Meant for rotating the secret or the
     * certificates: peers that still have the old ones are refused until they reload too.
     *
     * @throws IllegalArgumentException when it would turn TLS on or off (nothing is replaced)
     */
    public void reload(byte[] secret, javax.net.ssl.SSLContext tls) {
        keys.replace(secret, tls);
        log.info("replication: reloaded the cluster secret{}: new connections use them, established ones go on",
                tls == null ? "" : " and the TLS certificate, key and trust");
    }

    /** Whether this node masters the store now. */
    public boolean masters(String store) { return isMaster(store); }

    /** The online moves of users off and onto this node's masters (cairn-server's UserMove drives them). */
    public UserMoves userMoves() { return userMoves; }

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
    public List<String> report() { return StatusReports.report(this); }

    /**
     * What each store this node holds a slot of can show of itself: for a replica what the
     * cluster's controller orders candidates by (cairn-cluster's ProgressRecord); for a master its
     * position, which a replica's lag is counted from.
     *
     * @param inSync   a replica slot's own claim: told in sync by its master (or in sync until the
     *                 link was lost); never for a master (a report left from its time as master must
     *                 not make it a candidate once it follows again)
     * @param position the sum over the slot's users of the highest change seq applied
     */
    public record ReplicaProgress(String store, String slot, boolean inSync, long epoch, long position) {}

    /** One per store with a slot here; reads every user's seq (meant for once a second or less). */
    public List<ReplicaProgress> replicaProgress() { return StatusReports.progress(this); }

    /** The last promotions and fencings on this node, newest first (the admin page). */
    public List<Failovers.Failover> failovers() { return roles.recent(); }

    /** Each master that connected to this node's listener, per store: whether any of its channels is connected now, since when. */
    public List<MasterLink> masterLinks() { return service.masterLinks(); }

    public record MasterLink(String store, String master, boolean connected, java.time.Instant since, String lastFailure) {}

    /** One line per store and one per channel with anything to say: role, master, mode, epoch, positions, lag. */
    public List<StoreStatus> status() { return StatusReports.status(this); }

    /**
     * @param degraded null while a replica takes the store's writes (or on a replica); else
     *                 "degraded since TIME" or "refusing writes since TIME" (on_replica_loss = refuse)
     * @param links    per replica (on the master): connected or not and since when, lag, last Ack
     * @param inSync   on a master each replica's place in the in-sync set, on a replica its own claim (by node)
     */
    public record StoreStatus(String store, String role, String master, List<String> replicas, String mode, long epoch,
                              String degraded, List<ChannelStatus> channels,
                              List<ReplicaStatus> links,
                              Map<String, String> inSync) {}
    /**
     * One replica of a store, all its channels together, as its master sees it.
     *
     * @param connected   whether at least one channel is connected
     * @param since       when it last became connected, or not connected (this node's start when it never was)
     * @param lagMillis   age of the oldest commit it has not acknowledged (0: none)
     * @param lastAck     when it last acknowledged a frame (null: not since this node started)
     * @param lastFailure why its last connection ended or attempt failed (null: none since it connected)
     */
    public record ReplicaStatus(String replica, boolean connected, int channelsUp, int channels, java.time.Instant since,
                                long lagChanges, long lagMillis, java.time.Instant lastAck, String lastFailure) {}

    public record ChannelStatus(String replica, int channel, boolean connected, int users, long lagChanges, long lagMillis) {}

    @Override public void close() {
        closed = true;
        pruner.interrupt();
        for (StoreMaster m : masters.values()) m.stop();
        masters.clear();
        service.close();
    }
}
