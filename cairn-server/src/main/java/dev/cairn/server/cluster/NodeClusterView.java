// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import dev.cairn.replication.Failovers;
import dev.cairn.replication.Replication;
import dev.cairn.replication.ReplicationConfig;
import dev.cairn.replication.ReplicationConfig.SlotRef;
import dev.cairn.replication.ReplicationConfig.StoreSpec;
import dev.cairn.server.cluster.ClusterSnapshot.Reach;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The cluster as one node of a static replication config sees it: the nodes and stores its config
 * names, its {@link Replication#status()} (roles, masters, epochs, the in-sync set, degraded mode,
 * per replica lag on the stores it masters), its links to its peers (the channels it opens to its
 * replicas, the channels its masters open to it) and the store moves it took part in. A peer it has
 * no link with is {@link Reach#UNKNOWN}; a replica's lag is known only where its master is.
 */
public final class NodeClusterView implements ClusterView {
    private static final String DEGRADED = "degraded since ", REFUSING = "refusing writes since ";

    private final ReplicationConfig config;
    private final Replication replication;
    private final String name;
    private final Supplier<Map<String, String>> ownAddresses;
    private final Instant started = Instant.now();

    /**
     * @param replication  null on a node without [replication] (it is the whole cluster, with no stores to show)
     * @param ownAddresses this node's listeners' addresses by name ("admin", "imap", ...)
     */
    public NodeClusterView(Replication replication, ReplicationConfig config, Supplier<Map<String, String>> ownAddresses) {
        this.replication = replication;
        this.config = config;
        this.name = config == null ? "this node" : config.node();
        this.ownAddresses = ownAddresses;
    }

    @Override public ClusterSnapshot snapshot() {
        Instant now = Instant.now();
        if (replication == null) {
            ClusterSnapshot.Node self = new ClusterSnapshot.Node(name, true, ownAddresses.get(), Reach.REACHABLE, started, null, List.of());
            return new ClusterSnapshot(now, "node " + name, List.of(self), List.of(), List.of());
        }
        List<Replication.StoreStatus> status = replication.status();
        List<Replication.MasterLink> masterLinks = replication.masterLinks();
        return new ClusterSnapshot(now, "node " + name, nodes(status, masterLinks), stores(status, masterLinks), failovers());
    }

    /** One link's word on a peer: up or down since when; {@code seenUp}: it was connected once (its loss dates the peer's). */
    record Link(boolean connected, Instant since, boolean seenUp, String why) {}

    private List<ClusterSnapshot.Node> nodes(List<Replication.StoreStatus> status, List<Replication.MasterLink> masterLinks) {
        Map<String, List<Link>> links = new TreeMap<>();
        for (Replication.StoreStatus s : status) {
            for (Replication.ReplicaStatus r : s.links()) {
                links.computeIfAbsent(r.replica(), k -> new ArrayList<>())
                        .add(new Link(r.connected(), r.since(), r.lastAck() != null, r.lastFailure()));
            }
        }
        for (Replication.MasterLink m : masterLinks) {
            links.computeIfAbsent(m.master(), k -> new ArrayList<>()).add(new Link(m.connected(), m.since(), true, m.lastFailure()));
        }
        Map<String, TreeSet<String>> slots = new TreeMap<>();
        for (String peer : config.peers().keySet()) slots.put(peer, new TreeSet<>());
        for (StoreSpec spec : config.stores()) for (SlotRef r : spec.slots()) slots.computeIfAbsent(r.node(), k -> new TreeSet<>()).add(r.slot());
        List<ClusterSnapshot.Node> out = new ArrayList<>();
        slots.forEach((node, its) -> {
            Map<String, String> addresses = new LinkedHashMap<>();
            var replicationAddress = config.peers().get(node);
            if (replicationAddress != null) {
                addresses.put("replication", replicationAddress.getHostString() + ":" + replicationAddress.getPort());
            }
            boolean self = node.equals(name);
            if (self) addresses.putAll(ownAddresses.get());
            ClusterSnapshot.Node n = self ? new ClusterSnapshot.Node(node, true, addresses, Reach.REACHABLE, started, null, List.copyOf(its))
                    : peer(node, addresses, List.copyOf(its), links.getOrDefault(node, List.of()));
            out.add(n);
        });
        return out;
    }

    /**
     * Reachable while any link to it is up (since the oldest of those); unreachable when every one
     * is down, since the last moment one was seen up (or, when none ever was, since the first
     * tried); unknown without a link.
     */
    static ClusterSnapshot.Node peer(String node, Map<String, String> addresses, List<String> slots, List<Link> links) {
        if (links.isEmpty()) return new ClusterSnapshot.Node(node, false, addresses, Reach.UNKNOWN, null, null, slots);
        Link up = links.stream().filter(Link::connected).min((a, b) -> a.since().compareTo(b.since())).orElse(null);
        if (up != null) return new ClusterSnapshot.Node(node, false, addresses, Reach.REACHABLE, up.since(), null, slots);
        Link lost = links.stream().filter(Link::seenUp).max((a, b) -> a.since().compareTo(b.since()))
                .orElseGet(() -> links.stream().min((a, b) -> a.since().compareTo(b.since())).orElseThrow());
        return new ClusterSnapshot.Node(node, false, addresses, Reach.UNREACHABLE, lost.since(), lost.why(), slots);
    }

    private List<ClusterSnapshot.Store> stores(List<Replication.StoreStatus> status, List<Replication.MasterLink> masterLinks) {
        List<ClusterSnapshot.Store> out = new ArrayList<>();
        for (Replication.StoreStatus s : status) {
            StoreSpec spec = config.store(s.store());
            String master = slotOf(s.store(), s.master());
            boolean here = s.role().equals("master");
            List<ClusterSnapshot.Replica> replicas = new ArrayList<>();
            for (SlotRef r : spec.slots()) {
                if (r.toString().equals(master)) continue;
                replicas.add(here ? replicaSeenByMaster(s, r) : replicaSeenByReplica(s, r, master, masterLinks));
            }
            Instant degraded = null;
            boolean refusing = false;
            if (s.degraded() != null) {
                refusing = s.degraded().startsWith(REFUSING);
                degraded = instant(s.degraded().substring(refusing ? REFUSING.length() : s.degraded().startsWith(DEGRADED) ? DEGRADED.length() : 0));
            }
            String mode = here ? s.mode() : spec.mode().name().toLowerCase(java.util.Locale.ROOT);
            out.add(new ClusterSnapshot.Store(s.store(), master, mode, s.epoch(), degraded, refusing, replicas));
        }
        return out;
    }

    private static ClusterSnapshot.Replica replicaSeenByMaster(Replication.StoreStatus s, SlotRef r) {
        String sync = s.inSync().get(r.node());
        Replication.ReplicaStatus link = s.links().stream().filter(l -> l.replica().equals(r.node())).findFirst().orElse(null);
        if (link == null) return new ClusterSnapshot.Replica(r.toString(), inSync(sync), sync, null, null, null, null);
        return new ClusterSnapshot.Replica(r.toString(), inSync(sync), sync, link.connected(), link.since(), link.lagChanges(), link.lagMillis());
    }

    /** This node's own slot: its claim, and whether its master's channels are up; another replica: nothing known here. */
    private ClusterSnapshot.Replica replicaSeenByReplica(Replication.StoreStatus s, SlotRef r, String master,
                                                         List<Replication.MasterLink> masterLinks) {
        if (!r.node().equals(name)) return new ClusterSnapshot.Replica(r.toString(), null, null, null, null, null, null);
        String sync = s.inSync().get(name);
        String masterNode = master == null ? null : SlotRef.parse(master).node();
        Replication.MasterLink link = masterLinks.stream().filter(l -> l.store().equals(s.store()) && l.master().equals(masterNode))
                .findFirst().orElse(null);
        return new ClusterSnapshot.Replica(r.toString(), inSync(sync), sync, link == null ? null : link.connected(),
                link == null ? null : link.since(), null, null);
    }

    private static Boolean inSync(String words) { return words == null ? null : words.startsWith("in sync"); }

    private List<ClusterSnapshot.Failover> failovers() {
        List<ClusterSnapshot.Failover> out = new ArrayList<>();
        for (Failovers.Failover f : replication.failovers()) {
            ClusterSnapshot.How how = switch (f.how()) {
                case CLEAN -> ClusterSnapshot.How.CLEAN;
                case PLANNED -> ClusterSnapshot.How.PLANNED;
                case FORCED -> ClusterSnapshot.How.FORCED;
                case FENCED -> ClusterSnapshot.How.FENCED;
            };
            out.add(new ClusterSnapshot.Failover(f.at(), f.store(), slotOfOr(f.store(), f.from(), f.from()),
                    f.to() == null ? null : slotOfOr(f.store(), f.to(), f.to()), f.epoch(), how));
        }
        return out;
    }

    /** The store's slot a master is named by ("n1/s0", or only its node "n1", as a master's Hello names it); null when none fits. */
    private String slotOf(String store, String master) { return slotOfOr(store, master, null); }

    private String slotOfOr(String store, String master, String otherwise) {
        if (master == null) return otherwise;
        for (SlotRef r : config.store(store).slots()) {
            if (r.toString().equals(master) || r.node().equals(master)) return r.toString();
        }
        return otherwise;
    }

    private static Instant instant(String text) {
        try {
            return Instant.parse(text.strip());
        } catch (DateTimeParseException e) {
            return Instant.now(); // the words changed; the store is degraded all the same
        }
    }
}
