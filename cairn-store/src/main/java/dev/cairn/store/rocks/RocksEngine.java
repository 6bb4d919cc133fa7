// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreEngine;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The RocksDB engine: opens {@link RocksSlotStore}s that share the node's RocksDB memory
 * ({@link StoreMemory}: one block cache, memtables charged to it), and reports that memory as
 * {@code cairn.store.memory.used} and {@code cairn.store.memory.capacity}.
 */
public final class RocksEngine implements StoreEngine {
    private final StoreMemory memory;

    /** @param memoryCapacity octets of block cache and memtables for every slot together */
    public RocksEngine(long memoryCapacity, MeterRegistry meters) {
        memory = new StoreMemory(memoryCapacity);
        Gauge.builder("cairn.store.memory.used", memory, StoreMemory::usage)
                .baseUnit("bytes").description("RocksDB block cache and memtables of all slots").register(meters);
        Gauge.builder("cairn.store.memory.capacity", memory, StoreMemory::capacity)
                .baseUnit("bytes").description("the memory budget's share for RocksDB (cache and memtables)").register(meters);
    }

    @Override public SlotStore open(SlotConfig config) { return RocksSlotStore.open(config, memory); }

    @Override public void close() { memory.close(); }
}
