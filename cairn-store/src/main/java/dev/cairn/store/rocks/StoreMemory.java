// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.WriteBufferManager;

/**
 * The native memory of a node's RocksDB databases, one for all its slots: one block cache (data
 * blocks, and index and filter blocks, which RocksDB otherwise keeps outside any cache) and one
 * write-buffer manager whose memtables are charged to that cache. So the memory of every slot's
 * memtables and cached blocks together stays near {@link #capacity()}, however many slots and
 * column families there are; without it each column family of each slot had a block cache and
 * memtables of its own.
 *
 * <p>Memtables may take up to half of the capacity; past 7/8 of that RocksDB flushes the largest.
 * The cache does not refuse inserts when full (a read must not fail for want of cache), so the
 * bound is soft: blocks pinned by running reads and a flush in progress may go over it briefly.
 */
public final class StoreMemory implements AutoCloseable {
    /** What a slot opened on its own (tools, tests) gets: enough for one slot's memtables. */
    public static final long STANDALONE = 32L << 20;
    /** Below this the memtables of one slot's column families (see RocksSlotStore) flush at every few writes. */
    public static final long MIN_CAPACITY = 8L << 20;

    private final long capacity;
    private final LRUCache cache;
    private final WriteBufferManager writeBuffers;

    public StoreMemory(long capacity) {
        if (capacity < MIN_CAPACITY) throw new IllegalArgumentException("store memory " + capacity + " is below " + MIN_CAPACITY);
        RocksNative.load();
        this.capacity = capacity;
        // Index and filter blocks go in with high priority (RocksDB's default for them): a tenth
        // of the cache is kept for them against a scan of data blocks.
        cache = new LRUCache(capacity, -1, false, 0.1);
        writeBuffers = new WriteBufferManager(capacity / 2, cache);
    }

    public long capacity() { return capacity; }

    /** Octets held in the cache now: cached blocks and the memtables charged to it. */
    public long usage() { return cache.getUsage(); }

    Cache cache() { return cache; }

    WriteBufferManager writeBuffers() { return writeBuffers; }

    /** After every slot that uses it is closed. */
    @Override public void close() {
        writeBuffers.close();
        cache.close();
    }
}
