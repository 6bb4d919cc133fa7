// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Reads and writes store records, {@code <root>/stores/<store>}. Every change is a
 * compare-and-set on the znode's version: a writer that read version v writes only if the record
 * is still at v, else gets a {@link StoreConflictException} and must re-read and decide again. No
 * write here ever overwrites what it did not read.
 */
public final class StoreRecords {
    private final CuratorFramework client;
    private final ClusterPaths paths;

    public StoreRecords(CuratorFramework client, ClusterPaths paths) {
        this.client = client;
        this.paths = paths;
    }

    /** Creates a store that does not exist yet; a store of that name already there is a conflict. */
    public VersionedStore create(StoreRecord record) throws StoreConflictException, Exception {
        try {
            client.create().creatingParentsIfNeeded().forPath(paths.store(record.name()), RecordCodec.encode(record));
        } catch (KeeperException.NodeExistsException e) {
            throw new StoreConflictException(record.name(), -1, "exists already");
        }
        return new VersionedStore(record, 0);
    }

    /** The store as it is now on the server this client talks to; empty when there is none. */
    public Optional<VersionedStore> read(String store) throws RecordFormatException, Exception {
        Stat stat = new Stat();
        byte[] data;
        try {
            data = client.getData().storingStatIn(stat).forPath(paths.store(store));
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        }
        return Optional.of(new VersionedStore(RecordCodec.decode(data, paths.store(store), StoreRecord.class), stat.getVersion()));
    }

    /**
     * Every store, read after a {@code sync} so that nothing the ensemble committed before this
     * call is missing. A record that does not decode is left out and logged by the caller's
     * {@code refused} (it is never trusted).
     */
    public Map<String, VersionedStore> readAll(java.util.function.BiConsumer<String, RecordFormatException> refused) throws Exception {
        Map<String, VersionedStore> all = new TreeMap<>();
        if (client.checkExists().forPath(paths.stores()) == null) return all;
        syncNow(client, paths.stores());
        for (String name : client.getChildren().forPath(paths.stores())) {
            try {
                read(name).ifPresent(v -> all.put(name, v));
            } catch (RecordFormatException e) {
                refused.accept(name, e);
            } catch (IllegalArgumentException e) {
                refused.accept(name, new RecordFormatException(paths.stores() + "/" + name + ": " + e.getMessage(), e));
            }
        }
        return all;
    }

    /**
     * Waits until the server this client talks to has caught up with the ensemble's leader (a
     * ZooKeeper {@code sync}): reads after it see every write committed before it.
     */
    static void syncNow(CuratorFramework client, String path) throws Exception {
        java.util.concurrent.CompletableFuture<Integer> done = new java.util.concurrent.CompletableFuture<>();
        client.getZookeeperClient().getZooKeeper().sync(path, (rc, p, ctx) -> done.complete(rc), null);
        int rc = done.get(client.getZookeeperClient().getConnectionTimeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
        if (rc != KeeperException.Code.OK.intValue()) throw KeeperException.create(KeeperException.Code.get(rc), path);
    }

    /**
     * Writes {@code next} over the record read as {@code read}, only if nobody wrote it since.
     * Returns the new version.
     */
    public VersionedStore compareAndSet(VersionedStore read, StoreRecord next) throws StoreConflictException, Exception {
        if (!next.name().equals(read.record().name())) throw new IllegalArgumentException("store " + read.record().name() + " written as " + next.name());
        try {
            Stat stat = client.setData().withVersion(read.version()).forPath(paths.store(next.name()), RecordCodec.encode(next));
            return new VersionedStore(next, stat.getVersion());
        } catch (KeeperException.BadVersionException e) {
            throw new StoreConflictException(next.name(), read.version(), "changed");
        } catch (KeeperException.NoNodeException e) {
            throw new StoreConflictException(next.name(), read.version(), "was deleted");
        }
    }
}
