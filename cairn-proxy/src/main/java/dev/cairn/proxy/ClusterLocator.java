// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.cluster.ClusterObserver;
import dev.cairn.cluster.ClusterState;
import dev.cairn.cluster.NodeRecord;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.store.routing.Placement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a user is served in a cluster: the directory's placement names the user's store, the
 * store map (as a {@link ClusterObserver} last saw it) the store's master, and the master node's
 * registration its listeners. An answer costs the placement's lookup and one map lookup: the
 * observer's watches keep the picture, and an index of every store with a live master is rebuilt
 * only after the picture changed (never a ZooKeeper read on a login).
 *
 * <p>While the user's store has no live master (its node's session ended and the controller has
 * not promoted a replica yet) a locate waits for the picture to change, up to its {@code wait},
 * and answers again. With the ensemble unreachable the last picture is used as long as it names a
 * live master (a node cut off from ZooKeeper fences its own writes: a login relayed there gets the
 * back-end's own temporary failure, never a write it should not take).
 */
public final class ClusterLocator implements Locator {
    private final ClusterObserver observer;
    private final Placement placement;
    private final String self;
    /** Bumped by every change the observer reports; the index is rebuilt when it lags. */
    private final AtomicLong changes = new AtomicLong();
    private final Object changed = new Object();
    private volatile Index index = new Index(-1, Map.of(), "not read yet");

    /**
     * @param observer  started by the caller (its changes are listened to from here on)
     * @param placement the user's store: the directory's placement table, and on a node the store of
     *                  the local slot that holds the user when the table has none
     * @param self      this node's name (a user whose store it masters is served here), or null on a
     *                  front-end that holds no mail
     */
    public ClusterLocator(ClusterObserver observer, Placement placement, String self) {
        this.observer = observer;
        this.placement = placement;
        this.self = self;
        observer.onChange(() -> {
            changes.incrementAndGet();
            synchronized (changed) {
                changed.notifyAll();
            }
        });
    }

    /** A store with a live master: who, at which epoch, and that node's registered listeners. */
    private record Master(String node, long epoch, Map<String, String> addresses) {}

    /**
     * @param masters stores whose master is live, by name
     * @param stale   why the picture may be out of date, or null
     */
    private record Index(long version, Map<String, Master> masters, String stale) {}

    @Override public Location locate(String protocol, String user, Duration wait) throws InterruptedException {
        Optional<String> placed = placement.storeOf(user);
        if (placed.isEmpty()) return new Location.Nowhere("user " + user + " is placed on no store (the directory's placement table has no row for it)");
        String store = placed.get();
        long deadline = System.nanoTime() + Math.max(0, wait.toNanos());
        while (true) {
            long version = changes.get();
            Location l = answer(protocol, store, current(version));
            long left = deadline - System.nanoTime();
            if (!(l instanceof Location.Nowhere) || left <= 0) return l;
            synchronized (changed) {
                // a change between the answer and here bumped the count: answer again at once
                if (changes.get() == version) TimeUnit.NANOSECONDS.timedWait(changed, left);
            }
        }
    }

    @Override public long masterEpoch(String store) {
        Master m = current(changes.get()).masters().get(store);
        return m == null ? -1 : m.epoch();
    }

    /** After this locator's own count of changes (its listener was the observer's first), so {@link #masterEpoch} is current. */
    @Override public void onChange(Runnable listener) { observer.onChange(listener); }

    private Location answer(String protocol, String store, Index index) {
        Master m = index.masters().get(store);
        if (m == null) {
            return new Location.Nowhere("store " + store + " has no live master" + (index.stale() == null ? "" : " (" + index.stale() + ")"));
        }
        if (m.node().equals(self)) return new Location.Here(store);
        String address = m.addresses().get(protocol);
        if (address == null) return new Location.Nowhere("node " + m.node() + ", master of store " + store + ", registered no " + protocol + " listener");
        return new Location.At(store, m.epoch(), Backend.parse(m.node(), protocol, address));
    }

    /** The index as of change {@code version} or later. */
    private Index current(long version) {
        Index i = index;
        if (i.version() >= version) return i;
        synchronized (this) {
            i = index;
            if (i.version() >= version) return i;
            ClusterState state = observer.state();
            Map<String, Master> masters = new HashMap<>();
            for (ClusterState.ObservedStore o : state.stores().values()) {
                StoreRecord r = o.record();
                if (!state.masterLive(r)) continue;
                NodeRecord node = state.nodes().get(r.master().node()).record();
                masters.put(r.name(), new Master(r.master().node(), r.epoch(), node == null ? Map.of() : node.addresses()));
            }
            i = new Index(version, Map.copyOf(masters), state.stale());
            index = i;
            return i;
        }
    }
}
