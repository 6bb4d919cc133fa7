// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

/**
 * What opens slots: a storage engine, with whatever its slots share on a node (the RocksDB
 * engine's block cache and memtables). The node's wiring chooses the engine; the protocols and
 * replication see only {@link SlotStore}.
 */
public interface StoreEngine extends AutoCloseable {
    /** Opens (creating if needed) the slot described by the config; UNAVAILABLE if it cannot. */
    SlotStore open(SlotConfig config);

    /** After every slot it opened is closed. */
    @Override void close();
}
