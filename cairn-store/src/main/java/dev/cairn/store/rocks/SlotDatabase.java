// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.DbPath;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteOptions;

/**
 * One slot's RocksDB: its options and column families (see the package doc for the layout), and
 * the reads every room of the slot does. Each read holds the database open, and {@link #close}
 * waits for them: no native call ever runs on a closed database.
 */
final class SlotDatabase {
    static final long METADATA_WRITE_BUFFER = Long.getLong("cairn.store.metadataWriteBuffer", 4L << 20);

    final RocksDB db;
    private final DBOptions dbOptions;
    private final List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    final ColumnFamilyHandle meta, index, messages, tombstones, bodies, parsed, refcounts, changelog;
    /** For {@link #putUnsynced}. */
    private final WriteOptions unsynced;
    private volatile boolean closed;
    /** Reads hold it shared, close() exclusively. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

    /**
     * Long scans (opening a big mailbox's view) run here when the caller is a virtual thread: a
     * scan is many native calls in a row, and on a virtual thread each would hold one of the few
     * carriers; on this bounded pool they hold a platform thread while the caller parks.
     */
    private final ExecutorService scans = Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            Thread.ofPlatform().name("cairn-scan-", 0).daemon(true).factory());

    SlotDatabase(SlotConfig config, StoreMemory memory) throws RocksDBException, IOException {
        RocksNative.load();
        unsynced = new WriteOptions().setSync(false);
        Files.createDirectories(config.metadataDir());
        Files.createDirectories(config.bodiesDir());
        // Recycled WAL files and direct I/O for flush and compaction keep the page cache out of
        // the write path: on a virtual machine whose freed memory goes back to the host, every
        // page a new file touches is a fault to the host (in AppendBench they cost a third of
        // all CPU); a recycled WAL overwrites pages that are already there.
        boolean direct = DirectIo.supported(config.metadataDir()) && DirectIo.supported(config.bodiesDir());
        dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2).setKeepLogFileNum(5).setRecycleLogFileNum(4)
                .setUseDirectIoForFlushAndCompaction(direct).setWriteBufferManager(memory.writeBuffers());
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        for (String name : List.of("default", "meta", "index", "messages", "tombstones", "bodies", "parsed", "refcounts", "changelog")) {
            // Bodies themselves are in the BodyLog; the bodies column family holds their locations.
            // Its files stay beside the segments, where slots from before 2026-12-05 have theirs.
            ColumnFamilyOptions o = new ColumnFamilyOptions();
            if (name.equals("bodies")) o.setCfPaths(List.of(new DbPath(config.bodiesDir(), Long.MAX_VALUE)));
            // One cache for the node (StoreMemory); index and filter blocks in it too, those of
            // level 0 (read by every lookup) pinned there.
            o.setTableFormatConfig(new BlockBasedTableConfig().setFilterPolicy(new org.rocksdb.BloomFilter(10))
                    .setBlockCache(memory.cache()).setCacheIndexAndFilterBlocks(true).setPinL0FilterAndIndexBlocksInCache(true));
            o.setCompressionType(CompressionType.LZ4_COMPRESSION);
            // Small memtables for small records: an insert walks a skip list whose nodes are
            // cache misses, so fewer entries per memtable is a shorter walk.
            o.setWriteBufferSize(METADATA_WRITE_BUFFER);
            cfOptions.add(o);
            descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), o));
        }
        db = RocksDB.open(dbOptions, config.metadataDir().toString(), descriptors, handles);
        meta = handles.get(1); index = handles.get(2); messages = handles.get(3); tombstones = handles.get(4);
        bodies = handles.get(5); parsed = handles.get(6); refcounts = handles.get(7); changelog = handles.get(8);
    }

    boolean closed() { return closed; }

    void checkOpen() {
        if (closed) throw new StoreException(Reason.UNAVAILABLE, "slot is closed");
    }

    /** Holds the slot open for a read; UNAVAILABLE if it is closed. Unlock when done. */
    Lock reading() {
        Lock l = lifecycle.readLock();
        l.lock();
        if (closed) {
            l.unlock();
            throw new StoreException(Reason.UNAVAILABLE, "slot is closed");
        }
        return l;
    }

    byte[] get(ColumnFamilyHandle cf, byte[] key) {
        Lock l = reading();
        try {
            return db.get(cf, key);
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "read failed: " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }

    List<byte[]> multiGet(ColumnFamilyHandle cf, List<byte[]> keys) {
        if (keys.isEmpty()) return List.of();
        Lock l = reading();
        try {
            return db.multiGetAsList(java.util.Collections.nCopies(keys.size(), cf), keys);
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "read failed: " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }

    /** Every key with the prefix, in order. */
    void scan(ColumnFamilyHandle cf, byte[] prefix, BiConsumer<byte[], byte[]> each) {
        Lock l = reading();
        try (Slice upper = prefix.length == 0 ? null : new Slice(Keys.after(prefix));
             ReadOptions ro = upper == null ? new ReadOptions() : new ReadOptions().setIterateUpperBound(upper);
             RocksIterator it = db.newIterator(cf, ro)) {
            for (it.seek(prefix); it.isValid(); it.next()) each.accept(it.key(), it.value());
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "read failed: " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }

    <T> T longScan(Callable<T> scan) {
        try {
            if (!Thread.currentThread().isVirtual()) return scan.call();
            return scans.submit(scan).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new StoreException(Reason.UNAVAILABLE, "scan failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(Reason.UNAVAILABLE, "interrupted");
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new StoreException(Reason.UNAVAILABLE, "scan failed: " + e, e);
        }
    }

    /**
     * Writes one key outside the change log and without waiting for an fsync: for this node's own
     * bookkeeping that a crash may set back a little (the \Recent marks), never for mail data.
     */
    void putUnsynced(ColumnFamilyHandle cf, byte[] key, byte[] value) {
        Lock l = reading();
        try {
            db.put(cf, unsynced, key, value);
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "write failed: " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }

    /** Stops taking long scans (those running finish). */
    void stopScans() { scans.shutdown(); }

    /** Waits for running reads, then closes the database; later reads answer UNAVAILABLE. False if it was closed already. */
    boolean close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) return false;
            closed = true;
            for (ColumnFamilyHandle h : handles) h.close();
            db.close();
            unsynced.close();
            dbOptions.close();
            for (ColumnFamilyOptions o : cfOptions) o.close();
            return true;
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
