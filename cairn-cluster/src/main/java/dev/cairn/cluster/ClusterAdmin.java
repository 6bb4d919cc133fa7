// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;

/**
 * An operator's tool on the cluster ({@code cairn store create|list|place}, {@code cairn node
 * drain|undrain}): a short ZooKeeper session of its own that reads the map and the registrations
 * (each after a {@code sync}: nothing committed before the call is missing), creates stores, and
 * marks nodes drained ({@code drain/<node>}, persistent: the mark outlives the tool, so an
 * interrupted drain leaves the node drained until {@code undrain}). It never changes a store's
 * master: that is the master's node's own job (a planned switchover) or the controller's.
 */
public final class ClusterAdmin implements AutoCloseable {
    private final CuratorFramework client;
    private final ClusterPaths paths;
    private final StoreRecords records;

    private ClusterAdmin(CuratorFramework client, ClusterPaths paths) {
        this.client = client;
        this.paths = paths;
        this.records = new StoreRecords(client, paths);
    }

    /**
     * Connects to the cluster of {@code config}.
     *
     * @throws IOException when the ensemble is not reachable within the connection timeout
     */
    public static ClusterAdmin open(ClusterConfig config) throws IOException, InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(config.zookeeper())
                .sessionTimeoutMs(Math.toIntExact(config.sessionTimeout().toMillis()))
                .connectionTimeoutMs(Math.toIntExact(config.connectionTimeout().toMillis()))
                .retryPolicy(new ExponentialBackoffRetry(100, 3))
                .build();
        client.start();
        if (!client.blockUntilConnected(Math.toIntExact(config.connectionTimeout().toMillis()), TimeUnit.MILLISECONDS)) {
            client.close();
            throw new IOException("ZooKeeper " + config.zookeeper() + " not reachable within " + config.connectionTimeout());
        }
        return new ClusterAdmin(client, new ClusterPaths(config.root()));
    }

    /** Creates a store that does not exist yet ({@link StoreConflictException} when one of that name does). */
    public VersionedStore create(StoreRecord record) throws Exception { return records.create(record); }

    /** Every store record, by name (one that does not decode is left out and reported to {@code refused}). */
    public Map<String, StoreRecord> stores(java.util.function.BiConsumer<String, RecordFormatException> refused) throws Exception {
        Map<String, StoreRecord> out = new TreeMap<>();
        records.readAll(refused).forEach((name, v) -> out.put(name, v.record()));
        return out;
    }

    /** The registered nodes, by name (a registration that does not decode is left out). */
    public Map<String, NodeRecord> nodes() throws Exception {
        Map<String, NodeRecord> out = new TreeMap<>();
        if (client.checkExists().forPath(paths.nodes()) == null) return out;
        StoreRecords.syncNow(client, paths.nodes());
        for (String name : client.getChildren().forPath(paths.nodes())) {
            try {
                NodeRecord r = RecordCodec.decode(client.getData().forPath(paths.node(name)), paths.node(name), NodeRecord.class);
                if (r.node().equals(name)) out.put(name, r);
            } catch (KeeperException.NoNodeException | RecordFormatException | IllegalArgumentException e) {
                // gone meanwhile, or not a registration this tool can read: not a node to place on
            }
        }
        return out;
    }

    /**
     * An operator's promotion ({@link OperatorPromotion}): plans it on the record and the
     * registrations as they are now, writes the record by compare-and-set
     * ({@link StoreConflictException} when it changed meanwhile: run again), then the failover
     * record. What was written.
     */
    public OperatorPromotion promote(String store, SlotRef to, boolean force) throws Exception {
        StoreRecords.syncNow(client, paths.store(store));
        VersionedStore read = records.read(store).orElseThrow(() -> new IllegalStateException("no store " + store + " in the cluster's map"));
        OperatorPromotion p = OperatorPromotion.plan(read, to, force, nodes(), System.currentTimeMillis());
        records.compareAndSet(read, p.next());
        StoreRecord n = p.next();
        client.create().creatingParentsIfNeeded().withMode(org.apache.zookeeper.CreateMode.PERSISTENT_SEQUENTIAL)
                .forPath(paths.failoverPrefix(), RecordCodec.encode(new FailoverRecord(n.masterSince(), store, read.record().master(), to, n.epoch(), p.why())));
        return p;
    }

    /** The nodes marked drained. */
    public Set<String> drained() throws Exception { return drained(client, paths); }

    static Set<String> drained(CuratorFramework client, ClusterPaths paths) throws Exception {
        try {
            return new TreeSet<>(client.getChildren().forPath(paths.drains()));
        } catch (KeeperException.NoNodeException e) {
            return new TreeSet<>();
        }
    }

    /** Marks the node drained (no master is given to it); true when it was not marked before. */
    public boolean markDrained(String node) throws Exception {
        try {
            client.create().creatingParentsIfNeeded().forPath(paths.drain(node), new byte[0]);
            return true;
        } catch (KeeperException.NodeExistsException e) {
            return false;
        }
    }

    /** Takes the node's drain mark away; true when it was marked. */
    public boolean unmarkDrained(String node) throws Exception {
        try {
            client.delete().forPath(paths.drain(node));
            return true;
        } catch (KeeperException.NoNodeException e) {
            return false;
        }
    }

    @Override public void close() { client.close(); }
}
