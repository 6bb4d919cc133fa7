// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's controller: every node runs one, one is elected ({@code controller}, a Curator
 * {@link LeaderLatch}), and only the elected one changes the map. It watches the registrations
 * and the stores (records and progress) and, on every change and once a second, plans every
 * store by {@link FailoverPlanner}'s rules in one pass; the promotions of a round are written in
 * parallel, each a compare-and-set on its store record (a store that changed meanwhile is planned
 * again in the next round), each followed by a failover record. A newly elected controller plans
 * every store at once. It never tells a node anything: nodes follow the map.
 *
 * <p>Before it takes a store from a master whose node looks gone it asks the ensemble directly
 * (after a {@code sync}) whether that node's registration is really gone: a cache that has not
 * seen a registration yet must never cost a live master its store.
 */
public final class Controller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Controller.class);
    /** Failover records kept under {@code failovers/}, the newest. */
    public static final int FAILOVERS_KEPT = 100;
    private static final long TICK_MILLIS = 1_000;

    private final ClusterMember member;
    private final CuratorFramework client;
    private final ClusterPaths paths;
    private final FailoverPlanner planner;
    private final LeaderLatch latch;
    private final CuratorCache nodesCache, storesCache;
    private final CountDownLatch nodesLoaded = new CountDownLatch(1), storesLoaded = new CountDownLatch(1);
    private final ExecutorService decider;
    private final ScheduledExecutorService ticker;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final AtomicLong failovers = new AtomicLong();
    /** Only on the decider thread: what was last logged per store, and per refused znode. */
    private final Map<String, String> logged = new HashMap<>();
    private final Set<String> refusedLogged = ConcurrentHashMap.newKeySet();
    private volatile Map<String, Verdict> verdicts = Map.of();
    private volatile boolean closed;

    public Controller(ClusterMember member) {
        this.member = member;
        this.client = member.client();
        this.paths = member.paths();
        this.planner = new FailoverPlanner(member.config().failoverDamping(), member.config().rejoinGrace());
        this.latch = new LeaderLatch(client, paths.controller(), member.node());
        this.nodesCache = CuratorCache.build(client, paths.nodes());
        this.storesCache = CuratorCache.build(client, paths.stores());
        this.decider = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("controller-" + member.node()).factory());
        this.ticker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("controller-tick-" + member.node()).factory());
    }

    /** Starts watching and stands for election (the member must be started). */
    public void start() throws Exception {
        nodesCache.listenable().addListener(watcher(nodesLoaded));
        storesCache.listenable().addListener(watcher(storesLoaded));
        nodesCache.start();
        storesCache.start();
        latch.addListener(new LeaderLatchListener() {
            @Override public void isLeader() {
                log.info("node {} is the cluster's controller: checking every store", member.node());
                trigger();
            }

            @Override public void notLeader() {
                log.info("node {} is no longer the cluster's controller", member.node());
            }
        });
        latch.start();
        ticker.scheduleWithFixedDelay(this::trigger, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Whether this node is the elected controller now. */
    public boolean isLeader() { return latch.hasLeadership(); }

    /** The verdict of the last round for each store (empty on a node that is not the controller). */
    public Map<String, Verdict> verdicts() { return verdicts; }

    /** Failovers this controller wrote. */
    public long failovers() { return failovers.get(); }

    /** Plans again on every change; counts the cache as loaded once it has read everything. */
    private CuratorCacheListener watcher(CountDownLatch loaded) {
        return new CuratorCacheListener() {
            @Override public void event(Type type, ChildData before, ChildData after) {
                trigger();
            }

            @Override public void initialized() {
                loaded.countDown();
                trigger();
            }
        };
    }

    /** Plans again soon; triggers that come while a round is pending are one round. */
    private void trigger() {
        if (closed || !latch.hasLeadership()) return;
        if (pending.compareAndSet(false, true)) {
            try {
                decider.execute(this::round);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    private void round() {
        pending.set(false);
        if (closed || !latch.hasLeadership() || nodesLoaded.getCount() > 0 || storesLoaded.getCount() > 0) return;
        try {
            Map<String, FailoverPlanner.LiveNode> live = liveNodes();
            Map<String, VersionedStore> stores = new TreeMap<>();
            Map<String, Map<SlotRef, ProgressRecord>> progress = new HashMap<>();
            readStores(stores, progress);
            Map<String, Verdict> plan = planner.plan(stores, live, progress, ClusterAdmin.drained(client, paths), System.currentTimeMillis());
            if (!confirmGone(plan, live)) {
                trigger();
                return;
            }
            List<Verdict.Promote> promotions = new ArrayList<>();
            plan.values().forEach(v -> { if (v instanceof Verdict.Promote p) promotions.add(p); });
            if (!promotions.isEmpty()) promote(promotions);
            verdicts = Collections.unmodifiableMap(plan);
            plan.forEach(this::logOnce);
        } catch (Exception e) {
            if (!closed) log.warn("controller round failed (tried again within a second): {}", e.toString());
        }
    }

    /** The registrations the cache holds; one that does not decode is a live node that is no candidate. */
    private Map<String, FailoverPlanner.LiveNode> liveNodes() {
        Map<String, FailoverPlanner.LiveNode> live = new HashMap<>();
        nodesCache.stream().forEach(d -> {
            String node = paths.nodeOf(d.getPath());
            if (node == null) return;
            NodeRecord r = decodeOrNull(d, NodeRecord.class);
            live.put(node, new FailoverPlanner.LiveNode(r != null && r.node().equals(node) ? r : null, d.getStat().getCtime()));
        });
        return live;
    }

    private void readStores(Map<String, VersionedStore> stores, Map<String, Map<SlotRef, ProgressRecord>> progress) {
        storesCache.stream().forEach(d -> {
            String store = paths.storeOf(d.getPath());
            if (store != null) {
                StoreRecord r = decodeOrNull(d, StoreRecord.class);
                if (r != null && r.name().equals(store)) stores.put(store, new VersionedStore(r, d.getStat().getVersion()));
                return;
            }
            String of = paths.storeOfProgress(d.getPath());
            if (of == null) return;
            ProgressRecord p = decodeOrNull(d, ProgressRecord.class);
            if (p != null && d.getPath().endsWith("/" + p.slot().progressName()))
                progress.computeIfAbsent(of, k -> new HashMap<>()).put(p.slot(), p);
        });
    }

    private <R extends ClusterRecord> R decodeOrNull(ChildData d, Class<R> type) {
        try {
            return RecordCodec.decode(d.getData(), d.getPath(), type);
        } catch (RecordFormatException e) {
            if (refusedLogged.add(d.getPath() + " " + d.getStat().getVersion())) log.error("refused, not trusted: {}", e.getMessage());
            return null;
        }
    }

    /**
     * Whether every node whose masters the plan takes is gone on the ensemble itself, not only in
     * the cache (one {@code sync} and one look per node, in parallel).
     */
    private boolean confirmGone(Map<String, Verdict> plan, Map<String, FailoverPlanner.LiveNode> live) throws Exception {
        Set<String> gone = new HashSet<>();
        for (Verdict v : plan.values())
            if (v instanceof Verdict.Promote p && !live.containsKey(p.from().node())) gone.add(p.from().node());
        if (gone.isEmpty()) return true;
        StoreRecords.syncNow(client, paths.nodes());
        for (String node : gone) {
            if (client.checkExists().forPath(paths.node(node)) != null) {
                log.info("node {} is registered on the ensemble though the cache has not seen it: no failover", node);
                return false;
            }
        }
        return true;
    }

    /** Writes the promotions of one round in parallel, each by compare-and-set, then their records. */
    private void promote(List<Verdict.Promote> promotions) {
        AtomicBoolean conflict = new AtomicBoolean();
        try (ExecutorService writers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Verdict.Promote p : promotions) {
                writers.execute(() -> {
                    if (!latch.hasLeadership()) return;
                    try {
                        member.stores().compareAndSet(p.read(), p.next());
                    } catch (StoreConflictException e) {
                        log.info("controller: {}", e.getMessage());
                        conflict.set(true);
                        return;
                    } catch (Exception e) {
                        log.warn("store {}: promotion of {} not written: {}", p.next().name(), p.to(), e.toString());
                        conflict.set(true);
                        return;
                    }
                    failovers.incrementAndGet();
                    log.warn("store {}: failed over from {} to {} at epoch {}: {}", p.next().name(), p.from(), p.to(), p.next().epoch(), p.why());
                    record(new FailoverRecord(p.next().masterSince(), p.next().name(), p.from(), p.to(), p.next().epoch(), p.why()));
                });
            }
        }
        trimFailovers();
        if (conflict.get()) trigger();
    }

    private void record(FailoverRecord f) {
        try {
            client.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(paths.failoverPrefix(), RecordCodec.encode(f));
        } catch (Exception e) {
            log.warn("failover record of store {} not written: {}", f.store(), e.toString());
        }
    }

    /** Keeps the newest {@link #FAILOVERS_KEPT} records (sequence numbers sort as text: ten digits). */
    private void trimFailovers() {
        try {
            List<String> all = new ArrayList<>(client.getChildren().forPath(paths.failovers()));
            Collections.sort(all);
            for (String old : all.subList(0, Math.max(0, all.size() - FAILOVERS_KEPT))) {
                try {
                    client.delete().forPath(paths.failovers() + "/" + old);
                } catch (KeeperException.NoNodeException e) {
                    // a former controller trimmed it
                }
            }
        } catch (Exception e) {
            log.debug("failover records not trimmed: {}", e.toString());
        }
    }

    /** Logs a store's verdict when it differs from what was last logged for it (not every second). */
    private void logOnce(String store, Verdict v) {
        String line = switch (v) {
            case Verdict.Served s -> null;
            case Verdict.Promote p -> null; // logged when written
            case Verdict.Headless h -> "store " + store + " has no master: " + h.why();
            case Verdict.Damped d -> "store " + store + " not failed over (damped): " + d.why();
        };
        String before = line == null ? logged.remove(store) : logged.put(store, line);
        if (line != null && !line.equals(before)) log.warn(line);
    }

    @Override public void close() {
        closed = true;
        ticker.shutdownNow();
        decider.shutdownNow();
        try {
            latch.close();
        } catch (Exception e) {
            // the session's end releases it
        }
        nodesCache.close();
        storesCache.close();
    }
}
