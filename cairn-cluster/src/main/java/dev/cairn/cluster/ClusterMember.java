// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.io.IOException;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's membership of the cluster: its ZooKeeper session (one Curator client), its
 * registration ({@code nodes/<node>}, ephemeral), the progress its replica slots report, the
 * store map it follows (every change handed to its {@link StoreMapListener}) and the
 * {@link WriteLease} that fences its acknowledgements.
 *
 * <p>Everything that touches the map or the lease's session runs on one event thread, in order:
 * the first learning of the map, each store record change the cache sees, each new session (the
 * map is read again, whole and after a {@code sync}, delivered, and only then is the lease opened
 * for that session). A heartbeat ({@code sync} through the ensemble's leader) every sixth of the
 * session timeout keeps the lease running while the session is healthy.
 */
public final class ClusterMember implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterMember.class);
    /** A replica's progress is written at most this often. */
    static final long PROGRESS_EVERY_MILLIS = 1_000;

    private final ClusterConfig config;
    private final ClusterPaths paths;
    private final StoreMapListener listener;
    private final WriteLease lease;
    private final CuratorFramework client;
    private final StoreRecords records;
    private final ExecutorService events;
    private final ScheduledExecutorService timer;
    /** Only on the event thread: the map as last delivered, by store; whether it was ever read whole. */
    private final Map<String, VersionedStore> known = new TreeMap<>();
    private boolean learned;
    /** Guarded by itself: progress znodes by path, and what is still to be written to them. */
    private final Map<String, PersistentNode> progressNodes = new HashMap<>();
    private final Map<String, byte[]> progressPending = new HashMap<>();
    private volatile NodeRecord self;
    private volatile Map<String, StoreRecord> delivered = Map.of();
    private PersistentNode registration;
    private CuratorCache cache;
    /** The nodes' registrations (the node's replication peers' addresses come from here). */
    private CuratorCache nodesCache;
    private volatile java.util.function.Consumer<Map<String, NodeRecord>> registrationListener = nodes -> { };
    private final java.util.concurrent.atomic.AtomicLong reconnections = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean closed;

    public ClusterMember(ClusterConfig config, NodeRecord self, StoreMapListener listener) {
        this(config, self, listener, new WriteLease());
    }

    ClusterMember(ClusterConfig config, NodeRecord self, StoreMapListener listener, WriteLease lease) {
        this.config = config;
        this.paths = new ClusterPaths(config.root());
        this.self = self;
        this.listener = listener;
        this.lease = lease;
        this.client = CuratorFrameworkFactory.builder()
                .connectString(config.zookeeper())
                .sessionTimeoutMs(Math.toIntExact(config.sessionTimeout().toMillis()))
                .connectionTimeoutMs(Math.toIntExact(config.connectionTimeout().toMillis()))
                .retryPolicy(new ExponentialBackoffRetry(100, 3))
                .build();
        this.records = new StoreRecords(client, paths);
        this.events = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("cluster-" + self.node()).factory());
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("cluster-timer-" + self.node()).factory());
    }

    /**
     * Connects, registers, learns the map (the listener gets it once before this returns) and
     * opens the write lease. Fails when the ensemble is not reachable within the connection timeout.
     */
    public void start() throws Exception {
        client.getConnectionStateListenable().addListener((c, state) -> connectionChanged(state));
        client.start();
        if (!client.blockUntilConnected(Math.toIntExact(config.connectionTimeout().toMillis()), TimeUnit.MILLISECONDS))
            throw new IOException("ZooKeeper " + config.zookeeper() + " not reachable within " + config.connectionTimeout());
        for (String dir : new String[] {paths.nodes(), paths.stores(), paths.failovers()}) {
            try {
                client.create().creatingParentsIfNeeded().forPath(dir);
            } catch (KeeperException.NodeExistsException e) {
                // made by another node
            }
        }
        registration = new PersistentNode(client, CreateMode.EPHEMERAL, false, paths.node(self.node()), RecordCodec.encode(self));
        registration.start();
        if (!registration.waitForInitialCreate(config.connectionTimeout().toMillis(), TimeUnit.MILLISECONDS))
            throw new IOException("could not register " + paths.node(self.node()) + " within " + config.connectionTimeout());
        nodesCache = CuratorCache.build(client, paths.nodes());
        java.util.concurrent.CountDownLatch nodesLoaded = new java.util.concurrent.CountDownLatch(1);
        nodesCache.listenable().addListener(new CuratorCacheListener() {
            @Override public void event(Type type, ChildData before, ChildData after) {
                onEvents(() -> registrationListener.accept(registrations()));
            }

            @Override public void initialized() { nodesLoaded.countDown(); }
        });
        nodesCache.start();
        // Before the map: a master's replicas' addresses are known when it follows the map.
        if (!nodesLoaded.await(config.connectionTimeout().toMillis(), TimeUnit.MILLISECONDS))
            throw new IOException("could not read " + paths.nodes() + " within " + config.connectionTimeout());
        cache = CuratorCache.build(client, paths.stores());
        cache.listenable().addListener((type, before, after) -> onEvents(() -> storeEvent(type, before, after)));
        cache.start();
        events.submit(() -> {
            learnMap("start");
            return null;
        }).get();
        long beat = Math.max(50, sessionTimeoutMillis() / 6);
        timer.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::flushProgress, PROGRESS_EVERY_MILLIS, PROGRESS_EVERY_MILLIS, TimeUnit.MILLISECONDS);
        log.info("node {} joined the cluster at {}{} (session 0x{}, timeout {} ms): {} stores", self.node(), config.zookeeper(),
                config.root(), Long.toHexString(lease.session()), sessionTimeoutMillis(), delivered.size());
    }

    /**
     * Sets what is told of the nodes' registrations, on the member's event thread (in order with
     * the store map): the whole set, on each change. Set it before {@link #start}; the map's first
     * delivery comes after the registrations were read, so {@link #registrations()} then has them.
     */
    public void onRegistrations(java.util.function.Consumer<Map<String, NodeRecord>> listener) { registrationListener = listener; }

    /** The registrations as this member's cache holds them now, by node; one that does not decode is left out (logged by the controller). */
    public Map<String, NodeRecord> registrations() {
        Map<String, NodeRecord> out = new TreeMap<>();
        if (nodesCache == null) return out;
        nodesCache.stream().forEach(d -> {
            String node = paths.nodeOf(d.getPath());
            if (node == null || d.getData() == null) return;
            try {
                NodeRecord r = RecordCodec.decode(d.getData(), d.getPath(), NodeRecord.class);
                if (r.node().equals(node)) out.put(node, r);
            } catch (RecordFormatException e) {
                // not a candidate, not a peer
            }
        });
        return out;
    }

    /** The fence the node's commit path asks before acknowledging a write. */
    public WriteLease lease() { return lease; }

    /** Reads and compare-and-sets of store records (what a master's node uses for its in-sync set). */
    public StoreRecords stores() { return records; }

    /** The map as last delivered to the listener. */
    public Map<String, StoreRecord> storeMap() { return delivered; }

    public ClusterPaths paths() { return paths; }

    public String node() { return self.node(); }

    public ClusterConfig config() { return config; }

    CuratorFramework client() { return client; }

    /** How often the connection came back with the same session (the lease reopened without re-learning). */
    public long reconnections() { return reconnections.get(); }

    /** Rewrites this node's registration (its slots, load, addresses changed). */
    public void updateRegistration(NodeRecord changed) throws Exception {
        if (!changed.node().equals(self.node())) throw new IllegalArgumentException("node " + self.node() + " registered as " + changed.node());
        self = changed;
        registration.setData(RecordCodec.encode(changed));
    }

    /**
     * Reports what one of this node's replica slots of {@code store} can show (written within a
     * second; the znode goes with the session). False when the store is not in the map: progress is
     * only kept under a store record that exists.
     */
    public boolean reportProgress(String store, ProgressRecord progress) {
        if (!progress.slot().node().equals(self.node())) throw new IllegalArgumentException("slot " + progress.slot() + " is not on node " + self.node());
        if (!delivered.containsKey(store)) return false;
        String path = paths.progress(store, progress.slot());
        byte[] data = RecordCodec.encode(progress);
        synchronized (progressNodes) {
            PersistentNode node = progressNodes.get(path);
            if (node == null) {
                node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, data);
                node.start();
                progressNodes.put(path, node);
            } else {
                progressPending.put(path, data);
            }
        }
        return true;
    }

    /** The slot no longer reports for {@code store} (it became master, or left the store). */
    public void withdrawProgress(String store, SlotRef slot) throws IOException {
        String path = paths.progress(store, slot);
        PersistentNode node;
        synchronized (progressNodes) {
            node = progressNodes.remove(path);
            progressPending.remove(path);
        }
        if (node != null) node.close();
    }

    private void flushProgress() {
        Map<String, byte[]> due;
        synchronized (progressNodes) {
            due = new HashMap<>(progressPending);
            progressPending.clear();
        }
        due.forEach((path, data) -> {
            PersistentNode node;
            synchronized (progressNodes) {
                node = progressNodes.get(path);
            }
            try {
                if (node != null) node.setData(data);
            } catch (Exception e) {
                log.debug("progress {} not written: {}", path, e.toString());
            }
        });
    }

    /** On Curator's event thread: the lease shuts here and now; the rest goes to the event thread. */
    private void connectionChanged(ConnectionState state) {
        switch (state) {
            case SUSPENDED, LOST, READ_ONLY -> {
                lease.suspend();
                log.warn("node {}: ZooKeeper connection {}: acknowledging nothing until it is back", self.node(), state);
            }
            case RECONNECTED -> onEvents(this::reconnected);
            case CONNECTED -> { }
        }
    }

    private void reconnected() {
        if (closed) return;
        long session = currentSession();
        if (lease.reconnected(session)) {
            reconnections.incrementAndGet();
            log.info("node {}: ZooKeeper connection back, same session 0x{}", self.node(), Long.toHexString(session));
            heartbeat();
            return;
        }
        learnMap("new session 0x" + Long.toHexString(session));
    }

    /**
     * On the event thread: reads every store record afresh, hands the map to the node, then opens
     * the lease for the session this happened on (unless the connection went away meanwhile: then
     * the next reconnection learns it again).
     */
    private void learnMap(String why) {
        if (closed) return;
        try {
            long generation = lease.generation(), provenAt = lease.now();
            ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
            long session = zk.getSessionId(), timeout = zk.getSessionTimeout();
            awaitRegistration(session);
            Map<String, VersionedStore> fresh = reclaimMasters(records.readAll(this::refused));
            known.clear();
            known.putAll(fresh);
            learned = true;
            deliver();
            if (lease.grant(session, timeout, provenAt, generation)) {
                log.info("node {} learned the store map ({}): {} stores, writes fenced by {}", self.node(), why, known.size(), lease);
            }
        } catch (Exception e) {
            if (closed) return;
            log.error("node {}: could not learn the store map ({}): writes stay fenced; trying again in a second", self.node(), why, e);
            timer.schedule(() -> onEvents(() -> learnMap(why)), 1, TimeUnit.SECONDS);
        }
    }

    /**
     * On a new session (the first one included) the stores the map names this node master of are
     * claimed again, each by a compare-and-set of the record onto itself, after the registration
     * is back: a controller that decided to move one of them while this node was gone either wrote
     * first (this claim fails, the record read again names another master) or its own write fails
     * on the version and it plans again, now seeing the registration. Never both: the node never
     * resumes as master of a store whose failover is being written.
     */
    private Map<String, VersionedStore> reclaimMasters(Map<String, VersionedStore> read) throws Exception {
        Map<String, VersionedStore> claimed = new TreeMap<>(read);
        for (VersionedStore v : read.values()) {
            if (!v.record().master().node().equals(self.node())) continue;
            try {
                claimed.put(v.record().name(), records.compareAndSet(v, v.record()));
            } catch (StoreConflictException e) {
                records.read(v.record().name()).ifPresentOrElse(now -> claimed.put(now.record().name(), now), () -> claimed.remove(v.record().name()));
                log.info("node {}: store {} changed while this node was away: following the map", self.node(), v.record().name());
            }
        }
        return claimed;
    }

    /** Waits until this node's registration on the ensemble is the one of {@code session} (Curator re-creates it on a new session). */
    private void awaitRegistration(long session) throws Exception {
        long deadline = System.nanoTime() + config.connectionTimeout().toNanos();
        while (true) {
            org.apache.zookeeper.data.Stat stat = client.checkExists().forPath(paths.node(self.node()));
            if (stat != null && stat.getEphemeralOwner() == session) return;
            if (System.nanoTime() - deadline > 0) throw new IOException("registration " + paths.node(self.node()) + " not back on session 0x" + Long.toHexString(session));
            Thread.sleep(20);
        }
    }

    private void refused(String store, RecordFormatException e) {
        log.error("store record {} refused: {}", store, e.getMessage());
    }

    /** On the event thread: one change under {@code stores/} seen by the cache. */
    private void storeEvent(CuratorCacheListener.Type type, ChildData before, ChildData after) {
        ChildData d = after != null ? after : before;
        String store = d == null ? null : paths.storeOf(d.getPath());
        // before the first whole read, which sees all of this, the listener gets no part of the map
        if (store == null || closed || !learned) return;
        boolean changed = switch (type) {
            case NODE_CREATED, NODE_CHANGED -> {
                try {
                    VersionedStore v = new VersionedStore(RecordCodec.decode(after.getData(), after.getPath(), StoreRecord.class), after.getStat().getVersion());
                    VersionedStore had = known.get(store);
                    if (had != null && had.version() >= v.version()) yield false;
                    known.put(store, v);
                    yield true;
                } catch (RecordFormatException e) {
                    log.error("store record refused, the node keeps what it had: {}", e.getMessage());
                    yield false;
                }
            }
            case NODE_DELETED -> known.remove(store) != null;
        };
        if (!changed) return;
        try {
            deliver();
        } catch (RuntimeException e) {
            // the node may not follow the map: fenced until it has taken the whole map again
            lease.suspend();
            log.error("node {}: the store map listener failed: writes fenced, the map is delivered again in a second", self.node(), e);
            timer.schedule(() -> onEvents(() -> learnMap("the listener failed")), 1, TimeUnit.SECONDS);
        }
    }

    private void onEvents(Runnable task) {
        try {
            events.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void deliver() {
        Map<String, StoreRecord> map = new TreeMap<>();
        known.forEach((name, v) -> map.put(name, v.record()));
        delivered = Collections.unmodifiableMap(map);
        listener.onStores(delivered);
    }

    /** A {@code sync} through the leader; its answer extends the lease from when it was sent. */
    private void heartbeat() {
        if (closed) return;
        try {
            ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
            long session = zk.getSessionId(), generation = lease.generation(), sent = lease.now();
            zk.sync(paths.root(), (rc, path, ctx) -> {
                if (rc == KeeperException.Code.OK.intValue()) lease.heard(session, generation, sent);
            }, null);
        } catch (Exception e) {
            // not connected or closing: the lease lapses by itself
        }
    }

    private long currentSession() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return 0;
        }
    }

    /** The session timeout the ensemble granted (what the lease works from). */
    public long sessionTimeoutMillis() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionTimeout();
        } catch (Exception e) {
            return config.sessionTimeout().toMillis();
        }
    }

    /**
     * Leaves the cluster: the lease shuts first, then the registration and progress go (at once
     * when connected; else with the session on the ensemble), then the client.
     */
    @Override public void close() {
        closed = true;
        lease.close();
        timer.shutdownNow();
        boolean connected = client.getZookeeperClient().isConnected();
        if (connected) {
            synchronized (progressNodes) {
                for (PersistentNode n : progressNodes.values()) quietClose(n);
                progressNodes.clear();
            }
            if (registration != null) quietClose(registration);
        }
        if (cache != null) cache.close();
        if (nodesCache != null) nodesCache.close();
        client.close();
        events.shutdownNow();
    }

    private static void quietClose(PersistentNode n) {
        try {
            n.close();
        } catch (IOException | RuntimeException e) {
            // leaving anyway: the session's end removes it
        }
    }
}
