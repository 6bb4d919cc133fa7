// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.SlotConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;

/**
 * The slots of one node share one RocksDB budget (StoreMemory): their memtables are charged to
 * one block cache, and blocks read by either slot are cached there, as RocksDB itself reports.
 * Writes go to the default column family, which the store does not use.
 */
class StoreMemoryTest {
    @TempDir Path dir;

    private static void fill(RocksSlotStore slot, String prefix, int octets) throws Exception {
        Random random = new Random(prefix.hashCode());
        byte[] value = new byte[1000];
        for (int i = 0; i < octets / value.length; i++) {
            random.nextBytes(value);
            slot.db.put((prefix + i).getBytes(StandardCharsets.US_ASCII), value);
        }
    }

    private static long memtables(RocksSlotStore slot) throws Exception {
        return Long.parseLong(slot.db.getProperty("rocksdb.cur-size-all-mem-tables"));
    }

    @Test
    void twoSlotsOfANodeChargeOneCacheForMemtablesAndBlocks() throws Exception {
        try (StoreMemory memory = new StoreMemory(64L << 20);
             RocksSlotStore a = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir.resolve("a")).withSync(false), memory);
             RocksSlotStore b = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir.resolve("b")).withSync(false), memory)) {
            assertThat(a.db.getProperty("rocksdb.block-cache-capacity")).isEqualTo(String.valueOf(64L << 20));
            assertThat(b.db.getProperty("rocksdb.block-cache-capacity")).isEqualTo(String.valueOf(64L << 20));

            fill(a, "a", 3 << 20);
            long afterA = memory.usage();
            assertThat(afterA).isGreaterThanOrEqualTo(memtables(a));
            fill(b, "b", 3 << 20);
            // Both slots' memtables in the one cache: with a cache each, b's would not be in a's. (Not
            // compared with afterA: a background flush of a's memtable may free its share meanwhile.)
            assertThat(memory.usage()).isGreaterThanOrEqualTo(memtables(a) + memtables(b));

            // Blocks b reads land in the same cache that a reports.
            try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
                b.db.flush(flush);
            }
            // Not compared with the usage before the reads: the first read after the flush frees the
            // flushed memtable (its old super-version goes), which lowers the usage by its charge.
            for (int i = 0; i < 3000; i += 7) assertThat(b.db.get(("b" + i).getBytes(StandardCharsets.US_ASCII))).hasSize(1000);
            long aSees = Long.parseLong(a.db.getProperty("rocksdb.block-cache-usage"));
            assertThat(aSees).isPositive()
                    .isEqualTo(Long.parseLong(b.db.getProperty("rocksdb.block-cache-usage")))
                    .isEqualTo(memory.usage());
        }
    }

    @Test
    void aBudgetBelowOneSlotsMemtablesIsRefused() {
        assertThatThrownBy(() -> new StoreMemory(StoreMemory.MIN_CAPACITY - 1)).isInstanceOf(IllegalArgumentException.class);
        new StoreMemory(StoreMemory.MIN_CAPACITY).close();
    }
}
