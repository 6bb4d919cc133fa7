// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.ClusterMember;
import dev.cairn.cluster.Controller;
import dev.cairn.cluster.NodeRecord;
import dev.cairn.cluster.ProgressRecord;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreMapListener;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.replication.Replication;
import dev.cairn.replication.ReplicationConfig;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node of a cluster ([cluster]): its membership on ZooKeeper (registration with its listeners'
 * addresses and its slots), the store map it follows (each record naming a slot of this node is
 * handed to {@link Replication#follow}; each registered node's replication address to
 * {@link Replication#setPeer}), its write lease fencing its masters' acknowledgements (where data
 * is written: {@link Replication#fenceAcknowledgements}), its replica slots' progress reports,
 * and the controller every node runs (one is elected and active).
 *
 * <p>The listener runs on the member's event thread and never calls ZooKeeper: following the map
 * is local work (the slot's epoch and role, the master's channels). A record this node cannot
 * follow (a map older than its slot, a promotion its slot's in-sync claim does not allow) is
 * logged once and left; the node does not act on it.
 */
final class NodeCluster implements StoreMapListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeCluster.class);

    private final Replication replication;
    private final String node;
    private final ClusterMember member;
    private dev.cairn.server.cluster.ZooKeeperClusterView view;
    /** The locator's picture of the cluster (unified mode), through the member's client. */
    private dev.cairn.cluster.ClusterObserver observer;
    private final Controller controller;
    private final ScheduledExecutorService progress;
    private NodeRecord self;
    /** Only on the member's event thread: the last refusal logged per store (each logged once). */
    private final Map<String, String> refusals = new HashMap<>();
    /** Peers a registration names off loopback while replication is not encrypted here: not used (each logged once). */
    private final Set<String> refusedPeers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Whether a peer at an address may be reached in clear (loopback, or [replication] insecure); asked only with TLS off. */
    private java.util.function.Predicate<InetSocketAddress> mayReachInClear = a -> a.getAddress() != null && a.getAddress().isLoopbackAddress();
    /** Only on the progress thread: stores seen mastered here one epoch past their record, at that epoch (claimed on the next look). */
    private final Map<String, Long> unrecorded = new HashMap<>();
    /** Only on the progress thread: what was last reported per store. */
    private final Map<String, ProgressRecord> reported = new HashMap<>();

    private NodeCluster(ClusterConfig config, Replication replication, NodeRecord self) {
        this.replication = replication;
        this.node = self.node();
        this.self = self;
        this.member = new ClusterMember(config, self, this);
        this.controller = new Controller(member);
        this.progress = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("cairn-cluster-progress").factory());
    }

    /**
     * Joins the cluster: the lease fences this node's masters from before the map is first learned,
     * then the member registers and learns the map (followed before this returns), the controller
     * takes part in the election, and progress is reported every second.
     *
     * @param addresses this node's listeners by kind (imap, pop3, lmtp, admin), host:port
     */
    static NodeCluster start(ClusterConfig config, Replication replication, List<String> slots, Map<String, String> addresses,
                             String version, java.util.function.Predicate<InetSocketAddress> mayReachInClear) throws IOException {
        String node = replication.node();
        // What others connect to ([cluster] advertise, else the bound address; never a wildcard).
        Map<String, String> registered = new TreeMap<>();
        addresses.forEach((kind, address) -> {
            InetSocketAddress bound = parse(address);
            if (NodeRecord.ADDRESS_KINDS.contains(kind) && bound != null) registered.put(kind, AdvertisedAddress.of(bound, config.advertise()));
        });
        registered.put("replication", AdvertisedAddress.of(replication.address(), config.advertise()));
        log.info("cluster: registering {}", registered);
        NodeRecord self = new NodeRecord(node, registered, slots, version == null ? "dev" : version, 0, System.currentTimeMillis());
        NodeCluster c = new NodeCluster(config, replication, self);
        c.mayReachInClear = mayReachInClear;
        // A write waits up to a session timeout for a lease that lapsed: the same session back (a
        // ZooKeeper leader elected) acknowledges it; a session gone fails it.
        replication.fenceAcknowledgements(c.member.lease()::mayAcknowledge, config.sessionTimeout());
        replication.publishInSync(c::publishInSync);
        c.member.onRegistrations(c::learnPeers);
        try {
            c.member.start();
            c.controller.start();
        } catch (Exception e) {
            c.close();
            throw e instanceof IOException io ? io : new IOException("cluster: cannot join " + config.zookeeper() + config.root() + ": " + e, e);
        }
        c.progress.scheduleWithFixedDelay(c::reportProgress, 1, 1, TimeUnit.SECONDS);
        return c;
    }

    /** The member (its lease, its map, its registrations). */
    ClusterMember member() { return member; }

    Controller controller() { return controller; }

    /**
     * On the member's event thread: each registered node's replication address, as it registered
     * it, unless [replication.peers] names one for it (a proxy or a NAT between the nodes: the
     * configured address wins).
     */
    private void learnPeers(Map<String, NodeRecord> nodes) {
        for (NodeRecord r : nodes.values()) {
            String address = r.addresses().get("replication");
            if (address == null || r.node().equals(node) || replication.peerConfigured(r.node())) continue;
            InetSocketAddress a = parse(address);
            if (a == null) continue;
            // With TLS on every link is verified against [replication] trust, the peers learned here as
            // the configured ones; with it off, mail goes in clear only where the config allows it.
            if (!replication.tls() && !mayReachInClear.test(a)) {
                if (refusedPeers.add(r.node() + "@" + address)) {
                    log.error("cluster: not replicating with {} at {}: it is not on loopback and replication is not encrypted here "
                            + "([replication] tls = true with the cluster's CA; or, on a network you trust, tls = false and insecure = true)",
                            r.node(), address);
                }
                continue;
            }
            replication.setPeer(r.node(), a);
        }
    }

    @Override public void onStores(Map<String, StoreRecord> stores) {
        Map<String, NodeRecord> nodes = member.registrations();
        learnPeers(nodes);
        for (StoreRecord r : stores.values()) {
            if (r.slots().stream().noneMatch(s -> s.node().equals(node))) continue;
            for (SlotRef s : r.slots()) {
                // A peer that has not registered since this node started (dead, or not yet up): its
                // channels retry until its registration gives the address.
                if (!s.node().equals(node) && !replication.hasPeer(s.node())) {
                    replication.setPeer(s.node(), InetSocketAddress.createUnresolved("unregistered." + s.node(), 1));
                }
            }
            try {
                String did = replication.follow(spec(r), r.epoch(), r.forced());
                refusals.remove(r.name());
                if (!did.endsWith("(unchanged)")) log.info("cluster: {}", did);
            } catch (IllegalStateException | IllegalArgumentException e) {
                String why = "epoch " + r.epoch() + ": " + e.getMessage();
                if (!why.equals(refusals.put(r.name(), why))) {
                    log.error("cluster: store {}: not following the map's record at {}", r.name(), why);
                }
            }
        }
    }

    /**
     * A planned switchover of a store this node masters to {@code to} (a step of {@code cairn node
     * drain}), recorded in the store map: once {@code to} took the store over, its record names it
     * master at the next epoch and the old master an in-sync replica (compare-and-set; see
     * {@link dev.cairn.replication.SwitchRecord}; should this node fail to write it,
     * {@code to}'s node does: {@link #claimTakenOver}). Refused when the map does not name this
     * node master or {@code to} is not in the in-sync set.
     */
    dev.cairn.replication.SwitchResult switchOver(String store, SlotRef to, java.time.Duration budget) throws Exception {
        dev.cairn.cluster.VersionedStore read = member.stores().read(store)
                .orElseThrow(() -> new IllegalArgumentException("no store " + store + " in the cluster's map"));
        StoreRecord r = read.record();
        if (!r.master().node().equals(node)) {
            throw new IllegalStateException("store " + store + " is mastered by " + r.master() + ", not by this node (" + node + ")");
        }
        if (!r.inSync().contains(to)) throw new IllegalStateException(to + " is not an in-sync replica of store " + store + " " + r.inSync());
        return replication.switchOver(store, slot(to), budget, epoch -> recordSwitch(read, to, epoch));
    }

    /** Writes the switch into the record (null), or says why not; throws when whether it was written is unknown. */
    private String recordSwitch(dev.cairn.cluster.VersionedStore read, SlotRef to, long epoch) throws Exception {
        SlotRef from = read.record().master();
        dev.cairn.cluster.VersionedStore v = read;
        for (int attempt = 1; ; attempt++) {
            StoreRecord r = v.record();
            if (r.master().equals(to) && r.epoch() == epoch) return null; // written, and the answer was lost
            if (!r.master().equals(from) || r.epoch() + 1 != epoch) return "its record names " + r.master() + " at epoch " + r.epoch();
            if (!r.inSync().contains(to)) return to + " left the in-sync set " + r.inSync();
            try {
                member.stores().compareAndSet(v, r.switchTo(to, System.currentTimeMillis()));
                return null;
            } catch (dev.cairn.cluster.StoreConflictException e) {
                if (attempt >= 5) return "its record kept changing (" + e.getMessage() + ")";
            } catch (Exception e) {
                if (attempt >= 5) throw e;
                Thread.sleep(100); // a lost connection: read again to learn whether the write happened
            }
            v = member.stores().read(r.name()).orElse(null);
            if (v == null) return "it was deleted";
        }
    }

    /**
     * Each store this node masters at one epoch past its record while the record names another
     * master: a planned switchover to this node whose old master did not record it (it died, or
     * lost ZooKeeper, right after the takeover). Written here, as the old master would have: without
     * it the map would name a master that stopped writing, and this node, a master, is no candidate
     * for the controller. Only when the record still lists this slot in sync, and when it was so a
     * second ago too (the old master writes it a moment after the takeover).
     */
    private void claimTakenOver(List<Replication.StoreStatus> status) throws Exception {
        Map<String, StoreRecord> records = member.storeMap();
        Map<String, Long> before = Map.copyOf(unrecorded);
        unrecorded.clear();
        for (Replication.StoreStatus s : status) {
            StoreRecord r = records.get(s.store());
            if (!s.role().equals("master") || r == null || s.epoch() != r.epoch() + 1) continue;
            unrecorded.put(s.store(), s.epoch());
            if (!Long.valueOf(s.epoch()).equals(before.get(s.store()))) continue;
            SlotRef self = r.replicas().stream().filter(x -> x.node().equals(node)).findFirst().orElse(null);
            if (self == null || !r.inSync().contains(self)) continue;
            dev.cairn.cluster.VersionedStore v = member.stores().read(s.store()).orElse(null);
            if (v == null || !v.record().equals(r)) continue; // changed meanwhile: looked at again in a second
            String refused = recordSwitch(v, self, s.epoch());
            if (refused == null) log.warn("cluster: store {}: recorded this node's takeover at epoch {} (its old master {} did not)", s.store(),
                    s.epoch(), r.master());
        }
    }

    /**
     * A master's in-sync set into its store record (replication's {@link dev.cairn.replication.InSyncPublisher}):
     * compare-and-set of {@code in_sync}, only while the record names this node master at
     * {@code epoch} (a record moved on means this master is stale: refused, so it acknowledges
     * nothing that needed it). Read from the ensemble each time, not from the followed map.
     */
    private void publishInSync(String store, long epoch, Set<String> replicas) throws Exception {
        for (int attempt = 1; ; attempt++) {
            dev.cairn.cluster.VersionedStore read = member.stores().read(store)
                    .orElseThrow(() -> new IllegalStateException("store " + store + " is not in the store map"));
            StoreRecord r = read.record();
            if (r.epoch() != epoch || !r.master().node().equals(node)) {
                throw new IllegalStateException("store " + store + ": the record names master " + r.master() + " at epoch " + r.epoch()
                        + ", not this node at epoch " + epoch);
            }
            Set<SlotRef> inSync = new java.util.LinkedHashSet<>();
            for (SlotRef s : r.replicas()) if (replicas.contains(s.node())) inSync.add(s);
            if (inSync.equals(r.inSync())) return;
            try {
                member.stores().compareAndSet(read, r.withInSync(inSync));
                log.info("cluster: store {}: in_sync {} -> {} (epoch {})", store, r.inSync(), inSync, epoch);
                return;
            } catch (dev.cairn.cluster.StoreConflictException e) {
                if (attempt >= 5) throw e; // written meanwhile (a promotion, a switch): read again
            }
        }
    }

    /** The store map's record as replication's spec. */
    static StoreSpec spec(StoreRecord r) {
        return new StoreSpec(r.name(),
                switch (r.mode()) {
                    case SYNC -> ReplicationConfig.Mode.SYNC;
                    case ASYNC -> ReplicationConfig.Mode.ASYNC;
                },
                slot(r.master()), r.replicas().stream().map(NodeCluster::slot).toList(),
                switch (r.onReplicaLoss()) {
                    case DEGRADE -> ReplicationConfig.OnReplicaLoss.DEGRADE;
                    case REFUSE -> ReplicationConfig.OnReplicaLoss.REFUSE;
                });
    }

    private static ReplicationConfig.SlotRef slot(SlotRef s) { return new ReplicationConfig.SlotRef(s.node(), s.slot()); }

    /**
     * Every second: each slot's progress (written only when it changed; the member writes at most
     * once a second; a master's never claims in sync, it is what replicas' lag is counted from),
     * withdrawn for a store this node no longer holds; the masters held, in the registration's load.
     */
    private void reportProgress() {
        try {
            Map<String, ProgressRecord> now = new HashMap<>();
            for (Replication.ReplicaProgress p : replication.replicaProgress()) {
                now.put(p.store(), new ProgressRecord(new SlotRef(node, p.slot()), p.inSync(), p.epoch(), p.position()));
            }
            for (Map.Entry<String, ProgressRecord> e : now.entrySet()) {
                if (!e.getValue().equals(reported.get(e.getKey())) && member.reportProgress(e.getKey(), e.getValue())) {
                    reported.put(e.getKey(), e.getValue());
                }
            }
            for (String store : Set.copyOf(reported.keySet())) {
                if (now.containsKey(store)) continue;
                member.withdrawProgress(store, reported.remove(store).slot());
            }
            List<Replication.StoreStatus> status = replication.status();
            claimTakenOver(status);
            int masters = (int) status.stream().filter(s -> s.role().equals("master")).count();
            if (masters != self.load()) {
                self = self.withLoad(masters);
                member.updateRegistration(self);
            }
        } catch (Exception e) {
            log.warn("cluster: progress not reported: {}", e.toString());
        }
    }

    private static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) return null;
        try {
            String host = hostPort.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The admin page's picture from the ensemble, through this member's client (watches start on first use). */
    synchronized dev.cairn.server.cluster.ZooKeeperClusterView view() {
        if (view == null) view = dev.cairn.server.cluster.ZooKeeperClusterView.of(member, observer());
        return view;
    }

    /** One observer of the ensemble per node, for the page and the locator (its caches hold the whole tree once). */
    private synchronized dev.cairn.cluster.ClusterObserver observer() {
        if (observer == null) {
            observer = new dev.cairn.cluster.ClusterObserver(member);
            observer.start();
        }
        return observer;
    }

    /**
     * Where users are served (unified mode, issue 21): a {@link dev.cairn.proxy.ClusterLocator} on an
     * observer through this member's client; a store this node masters is {@code Here}.
     */
    synchronized dev.cairn.proxy.Locator locator(dev.cairn.store.routing.Placement placement) {
        return new dev.cairn.proxy.ClusterLocator(observer(), placement, node);
    }

    /** Leaves the cluster (after the node's listeners closed): the controller, then the lease, the registration and the progress reports. */
    @Override public void close() {
        progress.shutdownNow();
        synchronized (this) {
            if (view != null) view.close(); // and the observer it shares
            else if (observer != null) observer.close();
        }
        try {
            controller.close();
        } catch (RuntimeException e) {
            log.warn("cluster: stopping the controller failed: {}", e.toString());
        }
        member.close();
    }
}
