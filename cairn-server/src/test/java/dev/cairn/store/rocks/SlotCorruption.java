// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.SlotStore;
import org.rocksdb.RocksDBException;

/**
 * Damages a slot behind the store's back, for tests of `cairn check` (it lives in the store's
 * package to reach the database handles the checker's own tests use).
 */
public final class SlotCorruption {
    private SlotCorruption() {}

    /** Writes a body that is counted but referenced by no message: an orphan the checker reports. */
    public static void addOrphanBody(SlotStore store) throws RocksDBException {
        RocksSlotStore slot = (RocksSlotStore) store;
        BodyId orphan = BodyId.of(new byte[32]);
        slot.db.put(slot.bodies, Keys.body(orphan), new BodyLog.Location(1, 0, 1).encode());
        slot.db.put(slot.refcounts, Keys.body(orphan), Keys.longBytes(1));
    }
}
