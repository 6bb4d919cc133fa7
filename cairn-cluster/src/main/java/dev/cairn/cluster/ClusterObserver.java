// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the whole cluster read-only: registrations, store records with their progress reports,
 * failover records, each kept by a Curator {@link CuratorCache} (ZooKeeper watches: the ensemble
 * tells it every change, nothing is polled). {@link #state()} never talks to the ensemble: it
 * decodes what the caches hold, again only after a change, so asking it twice a second per open
 * admin page costs nothing, and it answers at once when the ensemble is unreachable (with what it
 * last saw, marked stale since the connection went down).
 *
 * <p>It writes nothing. On a node it shares the {@link ClusterMember}'s client (no second session);
 * a command line tool gives it a config and it opens a client of its own.
 */
public final class ClusterObserver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterObserver.class);

    private final CuratorFramework client;
    private final boolean ownClient;
    private final ClusterPaths paths;
    private final CuratorCache nodesCache, storesCache, failoversCache, frontendsCache;
    private final AtomicInteger loaded = new AtomicInteger();
    /** Bumped by every change the caches see: {@link #state()} decodes again only after one. */
    private final AtomicLong changes = new AtomicLong();
    private final Map<String, Long> departed = new ConcurrentHashMap<>();
    private final Set<String> refusedLogged = ConcurrentHashMap.newKeySet();
    /** 0 while the connection is up; else when it went down (ms, this JVM's clock). */
    private volatile long downSince;
    private volatile Decoded decoded;
    private final ConnectionStateListener connectionListener = (c, state) -> connectionChanged(state);
    private final List<Runnable> changeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** On a node: shares the member's client (its session and connection); the member is started. */
    public ClusterObserver(ClusterMember member) {
        this(member.client(), false, member.paths());
    }

    /** Off a node (e.g. {@code cairn cluster status}): a client of its own, closed with this. */
    public ClusterObserver(ClusterConfig config) {
        this(CuratorFrameworkFactory.builder().connectString(config.zookeeper())
                .sessionTimeoutMs(Math.toIntExact(config.sessionTimeout().toMillis()))
                .connectionTimeoutMs(Math.toIntExact(config.connectionTimeout().toMillis()))
                .retryPolicy(new ExponentialBackoffRetry(100, 3)).build(), true, new ClusterPaths(config.root()));
    }

    ClusterObserver(CuratorFramework client, boolean ownClient, ClusterPaths paths) {
        this.client = client;
        this.ownClient = ownClient;
        this.paths = paths;
        this.nodesCache = CuratorCache.build(client, paths.nodes());
        this.storesCache = CuratorCache.build(client, paths.stores());
        this.failoversCache = CuratorCache.build(client, paths.failovers());
        this.frontendsCache = CuratorCache.build(client, paths.frontends());
    }

    /** Starts watching; returns at once (the first read completes in the background: {@link #loaded()}). */
    public void start() {
        client.getConnectionStateListenable().addListener(connectionListener);
        if (ownClient) client.start();
        if (!client.getZookeeperClient().isConnected()) downSince = System.currentTimeMillis();
        for (CuratorCache cache : List.of(nodesCache, storesCache, failoversCache, frontendsCache)) {
            cache.listenable().addListener(new CuratorCacheListener() {
                @Override public void event(Type type, ChildData before, ChildData after) {
                    if (cache == nodesCache) registrationEvent(type, before, after);
                    changes.incrementAndGet();
                    changed();
                }

                @Override public void initialized() {
                    loaded.incrementAndGet();
                    changes.incrementAndGet();
                    changed();
                }
            });
            cache.start();
        }
    }

    /** Whether the first read of everything is done. */
    public boolean loaded() { return loaded.get() == 4; }

    /** The cluster as last seen; never waits for the ensemble. */
    public ClusterState state() {
        long now = System.currentTimeMillis(), down = downSince;
        Decoded d = decoded;
        long seen = changes.get();
        if (d == null || d.changes != seen) {
            d = decode(seen);
            decoded = d;
        }
        String stale = !loaded() ? "the first read from ZooKeeper is not done"
                : down != 0 ? "no connection to ZooKeeper since " + java.time.Instant.ofEpochMilli(down) : null;
        return new ClusterState(down != 0 ? down : now, stale, d.nodes, Map.copyOf(departed), d.stores, d.failovers, d.frontends);
    }

    /**
     * Runs {@code listener} after every change the observer sees (and after each change of its
     * connection), on Curator's thread: it must not block. What changed is read with {@link #state()}.
     */
    public void onChange(Runnable listener) { changeListeners.add(listener); }

    private record Decoded(long changes, Map<String, ClusterState.Registration> nodes, Map<String, ClusterState.ObservedStore> stores,
                           List<FailoverRecord> failovers, Map<String, FrontendRecord> frontends) {}

    private Decoded decode(long seen) {
        Map<String, ClusterState.Registration> nodes = new TreeMap<>();
        nodesCache.stream().forEach(d -> {
            String node = paths.nodeOf(d.getPath());
            if (node == null) return;
            String refused;
            NodeRecord r = null;
            try {
                r = RecordCodec.decode(d.getData(), d.getPath(), NodeRecord.class);
                refused = r.node().equals(node) ? null : d.getPath() + ": names node " + r.node();
            } catch (RecordFormatException e) {
                refused = e.getMessage();
            }
            if (refused != null) logRefused(d, refused);
            nodes.put(node, new ClusterState.Registration(node, refused == null ? r : null, d.getStat().getCtime(), refused));
        });
        Map<String, StoreRecord> records = new TreeMap<>();
        Map<String, Long> changedAt = new HashMap<>();
        Map<String, Map<SlotRef, ProgressRecord>> progress = new HashMap<>();
        storesCache.stream().forEach(d -> {
            String store = paths.storeOf(d.getPath());
            if (store != null) {
                StoreRecord r = decodeOrNull(d, StoreRecord.class);
                if (r != null && r.name().equals(store)) {
                    records.put(store, r);
                    changedAt.put(store, d.getStat().getMtime());
                }
                return;
            }
            String of = paths.storeOfProgress(d.getPath());
            if (of == null) return;
            ProgressRecord p = decodeOrNull(d, ProgressRecord.class);
            if (p != null && d.getPath().endsWith("/" + p.slot().progressName()))
                progress.computeIfAbsent(of, k -> new HashMap<>()).put(p.slot(), p);
        });
        Map<String, ClusterState.ObservedStore> stores = new TreeMap<>();
        records.forEach((name, r) -> stores.put(name, new ClusterState.ObservedStore(r, changedAt.get(name), progress.getOrDefault(name, Map.of()))));
        // sequence numbers sort as text (ten digits): the newest last
        List<ChildData> failoverData = new ArrayList<>(failoversCache.stream().filter(d -> d.getPath().startsWith(paths.failoverPrefix())).toList());
        failoverData.sort(Comparator.comparing(ChildData::getPath).reversed());
        List<FailoverRecord> failovers = new ArrayList<>();
        for (ChildData d : failoverData) {
            FailoverRecord f = decodeOrNull(d, FailoverRecord.class);
            if (f != null) failovers.add(f);
        }
        Map<String, FrontendRecord> frontends = new TreeMap<>();
        frontendsCache.stream().forEach(d -> {
            String name = paths.frontendOf(d.getPath());
            if (name == null) return;
            FrontendRecord f = decodeOrNull(d, FrontendRecord.class);
            if (f != null && f.name().equals(name)) frontends.put(name, f);
        });
        return new Decoded(seen, nodes, stores, failovers, frontends);
    }

    private void changed() {
        for (Runnable l : changeListeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                log.warn("cluster view: a change listener failed: {}", e.toString());
            }
        }
    }

    private <R extends ClusterRecord> R decodeOrNull(ChildData d, Class<R> type) {
        if (d.getData() == null) return null; // a directory znode (progress/)
        try {
            return RecordCodec.decode(d.getData(), d.getPath(), type);
        } catch (RecordFormatException e) {
            logRefused(d, e.getMessage());
            return null;
        }
    }

    private void logRefused(ChildData d, String why) {
        if (refusedLogged.add(d.getPath() + " " + d.getStat().getVersion())) log.warn("cluster view: refused, not shown: {}", why);
    }

    /** A registration seen going dates its node's departure; one seen coming back clears it. */
    private void registrationEvent(CuratorCacheListener.Type type, ChildData before, ChildData after) {
        ChildData d = after != null ? after : before;
        String node = d == null ? null : paths.nodeOf(d.getPath());
        if (node == null) return;
        switch (type) {
            case NODE_DELETED -> departed.put(node, System.currentTimeMillis());
            case NODE_CREATED, NODE_CHANGED -> departed.remove(node);
        }
    }

    private void connectionChanged(ConnectionState state) {
        switch (state) {
            case SUSPENDED, LOST, READ_ONLY -> {
                if (downSince == 0) downSince = System.currentTimeMillis();
            }
            // the caches read everything again after a reconnection (Curator's persistent watch is reset)
            case CONNECTED, RECONNECTED -> downSince = 0;
        }
        changed();
    }

    @Override public void close() {
        client.getConnectionStateListenable().removeListener(connectionListener);
        nodesCache.close();
        storesCache.close();
        failoversCache.close();
        frontendsCache.close();
        if (ownClient) client.close();
    }
}
