// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.ClusterMember;
import dev.cairn.cluster.ClusterObserver;
import dev.cairn.cluster.ClusterState;
import dev.cairn.cluster.FailoverRecord;
import dev.cairn.cluster.ProgressRecord;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.server.cluster.ClusterSnapshot.Reach;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The cluster as its ZooKeeper ensemble holds it ({@link ClusterObserver}: registrations, store
 * records, progress reports, failover records, kept by watches, so a snapshot costs no call to the
 * ensemble and never waits for it). When the ensemble is unreachable the snapshot is the last
 * picture, {@code at} the moment the connection went down and {@code stale} saying so.
 *
 * <ul>
 *   <li>A registered node is reachable since its registration (the znode's creation, the ensemble's
 *       clock); a node a store record names that is not registered is unreachable, since the moment
 *       the observer saw its registration go (not known when it went before the observer started).
 *   <li>A store's master is shown only while it is live by the controller's rule 1 (its node
 *       registered and serving the slot); otherwise the store has no master and the slot the
 *       record still names is listed first among its slots, saying why.
 *   <li>A sync store whose in-sync set is empty while it has replicas is degraded (its master
 *       acknowledges without them; refusing with {@code on_replica_loss = "refuse"}), since the
 *       record's last write at the latest (ZooKeeper keeps no earlier date).
 *   <li>Lag in changes is the master's progress position minus the replica's, both reported at the
 *       store's epoch (a position is the sum over the slot's users of the highest change applied,
 *       so the difference counts changes); it is not known when the master's slot reports none.
 *       Beside it, the replica's words say how far it is behind the furthest replica that reports.
 *       Lag in seconds is not known from ZooKeeper (reports carry no time).
 *   <li>Failovers are the controller's records, newest first, clean (it promotes only an in-sync
 *       replica), and an operator's ({@code cairn store promote}), forced ones shown so.
 * </ul>
 */
public final class ZooKeeperClusterView implements ClusterView, AutoCloseable {
    /** Failover records shown, the newest. */
    static final int FAILOVERS_SHOWN = 20;

    private final ClusterObserver observer;
    private final String self;
    private final String source;

    /**
     * @param observer started by the caller, closed with this view
     * @param self     the node showing the page, or null (a command off the cluster)
     */
    public ZooKeeperClusterView(ClusterObserver observer, String self, String source) {
        this.observer = observer;
        this.self = self;
        this.source = source;
    }

    /** On a node: watches through the member's own client (no second session). */
    public static ZooKeeperClusterView of(ClusterMember member) {
        ClusterObserver o = new ClusterObserver(member);
        o.start();
        return of(member, o);
    }

    /** On a node, over an observer it shares (started; closed with this view). */
    public static ZooKeeperClusterView of(ClusterMember member, ClusterObserver observer) {
        return new ZooKeeperClusterView(observer, member.node(), "ZooKeeper " + member.config().root() + " through node " + member.node());
    }

    /** Off a node: a client of its own. */
    public static ZooKeeperClusterView of(ClusterConfig config) {
        ClusterObserver o = new ClusterObserver(config);
        o.start();
        return new ZooKeeperClusterView(o, null, "ZooKeeper " + config.zookeeper() + config.root());
    }

    /** Whether the first read from the ensemble is done (a command waits for it before it prints). */
    public boolean loaded() { return observer.loaded(); }

    @Override public ClusterSnapshot snapshot() { return snapshot(observer.state(), source, self); }

    @Override public void close() { observer.close(); }

    /** The mapping, records to snapshot (no ZooKeeper in it). */
    static ClusterSnapshot snapshot(ClusterState state, String source, String self) {
        return new ClusterSnapshot(Instant.ofEpochMilli(state.asOf()), source, state.stale(), nodes(state, self), stores(state), failovers(state),
                state.frontends().values().stream().map(f -> new ClusterSnapshot.Frontend(f.name(), f.addresses(), f.version(),
                        Instant.ofEpochMilli(f.joined()))).toList());
    }

    private static List<ClusterSnapshot.Node> nodes(ClusterState state, String self) {
        Map<String, ClusterSnapshot.Node> out = new TreeMap<>();
        state.nodes().forEach((name, r) -> out.put(name, new ClusterSnapshot.Node(name, name.equals(self),
                r.record() == null ? Map.of() : r.record().addresses(), Reach.REACHABLE, Instant.ofEpochMilli(r.registeredAt()),
                r.refused() == null ? null : "registration refused: " + r.refused(), r.record() == null ? List.of() : r.record().slots())));
        Map<String, TreeSet<String>> named = new TreeMap<>();
        for (ClusterState.ObservedStore o : state.stores().values())
            for (SlotRef s : o.record().slots()) named.computeIfAbsent(s.node(), k -> new TreeSet<>()).add(s.slot());
        named.forEach((name, slots) -> {
            if (out.containsKey(name)) return;
            Long gone = state.departed().get(name);
            out.put(name, new ClusterSnapshot.Node(name, name.equals(self), Map.of(), Reach.UNREACHABLE,
                    gone == null ? null : Instant.ofEpochMilli(gone), "not registered: its ZooKeeper session ended", List.copyOf(slots)));
        });
        return List.copyOf(out.values());
    }

    private static List<ClusterSnapshot.Store> stores(ClusterState state) {
        List<ClusterSnapshot.Store> out = new ArrayList<>();
        for (ClusterState.ObservedStore o : state.stores().values()) {
            StoreRecord r = o.record();
            boolean live = state.masterLive(r);
            List<ClusterSnapshot.Replica> replicas = new ArrayList<>();
            if (!live) {
                String why = state.nodes().containsKey(r.master().node()) ? "no longer served by its node" : "its node is not registered";
                replicas.add(new ClusterSnapshot.Replica(r.master().toString(), null, "the record's master at epoch " + r.epoch() + ": " + why,
                        null, null, null, null));
            }
            ProgressRecord masterReport = current(o.progress().get(r.master()), r);
            long furthest = r.replicas().stream().map(s -> current(o.progress().get(s), r)).filter(p -> p != null)
                    .mapToLong(ProgressRecord::position).max().orElse(-1);
            for (SlotRef s : r.replicas()) replicas.add(replica(state, r, s, o.progress().get(s), masterReport, furthest));
            Instant degraded = r.mode() == StoreRecord.Mode.SYNC && !r.replicas().isEmpty() && r.inSync().isEmpty()
                    ? Instant.ofEpochMilli(o.changedAt()) : null;
            boolean refusing = degraded != null && r.onReplicaLoss() == StoreRecord.OnReplicaLoss.REFUSE;
            out.add(new ClusterSnapshot.Store(r.name(), live ? r.master().toString() : null, r.mode().name().toLowerCase(Locale.ROOT),
                    r.epoch(), degraded, refusing, replicas));
        }
        return out;
    }

    /** A report only counts at the store's epoch: an older one is of data under another master. */
    private static ProgressRecord current(ProgressRecord p, StoreRecord r) {
        return p != null && p.epoch() == r.epoch() ? p : null;
    }

    private static ClusterSnapshot.Replica replica(ClusterState state, StoreRecord r, SlotRef s, ProgressRecord p,
                                                   ProgressRecord masterReport, long furthest) {
        boolean inSet = r.inSync().contains(s);
        StringBuilder words = new StringBuilder(inSet ? "in the in-sync set at epoch " + r.epoch() : "not in the in-sync set");
        Long lag = null;
        if (p == null) {
            words.append("; reports no progress");
        } else {
            words.append("; reports ").append(p.inSync() ? "in sync" : "not in sync").append(" at epoch ").append(p.epoch())
                    .append(", position ").append(p.position());
            if (p.epoch() != r.epoch()) words.append(" (the store is at epoch ").append(r.epoch()).append(')');
            else if (furthest > p.position()) words.append(", ").append(furthest - p.position()).append(" changes behind the furthest replica");
            if (masterReport != null && p.epoch() == r.epoch()) lag = Math.max(0, masterReport.position() - p.position());
        }
        boolean registered = state.nodes().containsKey(s.node());
        Long gone = state.departed().get(s.node());
        // a replica whose node is not registered has no channel from its master; otherwise ZooKeeper does not know the links
        return new ClusterSnapshot.Replica(s.toString(), inSet, words.toString(), registered ? null : false,
                registered || gone == null ? null : Instant.ofEpochMilli(gone), lag, null);
    }

    private static List<ClusterSnapshot.Failover> failovers(ClusterState state) {
        List<ClusterSnapshot.Failover> out = new ArrayList<>();
        for (FailoverRecord f : state.failovers().subList(0, Math.min(FAILOVERS_SHOWN, state.failovers().size()))) {
            out.add(new ClusterSnapshot.Failover(Instant.ofEpochMilli(f.at()), f.store(), f.from().toString(), f.to().toString(), f.epoch(),
                    f.why().startsWith(dev.cairn.cluster.OperatorPromotion.FORCED) ? ClusterSnapshot.How.FORCED : ClusterSnapshot.How.CLEAN));
        }
        return out;
    }
}
