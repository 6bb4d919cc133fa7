// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;

/** The RocksDB slot store (being written). */
public final class RocksSlotStore {
    private RocksSlotStore() {}

    public static SlotStore open(SlotConfig config) {
        throw new UnsupportedOperationException("the RocksDB slot store is being written");
    }
}
