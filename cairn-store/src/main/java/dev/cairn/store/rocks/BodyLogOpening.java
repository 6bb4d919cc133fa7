// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.SlotConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * What opening a slot does to its bodies, in one pass over the bodies column family: each
 * segment's live bytes from the locations, and the migration of a slot written before 2026-12-05,
 * which kept its bodies in the column family itself as chunks (RocksDB blob files). Those move
 * into the body log, 256 at a time: appended, forced, then one synced batch puts their locations
 * and deletes their chunks, so a crash midway leaves each body either where it was or moved; a
 * compaction then lets RocksDB drop the old blob files. Segments nothing points into go.
 */
final class BodyLogOpening {
    private BodyLogOpening() {}

    static void run(SlotDatabase database, BodyLog bodyLog, SlotConfig config) throws RocksDBException, IOException {
        Map<Integer, Long> live = new java.util.HashMap<>();
        List<BodyId> legacy = new ArrayList<>();
        try (RocksIterator it = database.db.newIterator(database.bodies)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k.length == BodyId.LENGTH) {
                    BodyLog.Location at = BodyLog.Location.decode(it.value());
                    live.merge(at.segment(), (long) at.length(), Long::sum);
                } else if (k.length == BodyId.LENGTH + 4 && java.nio.ByteBuffer.wrap(k, BodyId.LENGTH, 4).getInt() == 0) {
                    legacy.add(BodyId.of(java.util.Arrays.copyOf(k, BodyId.LENGTH)));
                }
            }
            it.status();
        }
        bodyLog.countLive(live);
        if (!legacy.isEmpty()) moveLegacyBodies(database, bodyLog, config, legacy);
        // Counted, not looked up in the map: the move may have filled segments of its own.
        for (BodyLog.Segment seg : bodyLog.sealed()) if (!live.containsKey(seg.number) && seg.live.get() == 0) bodyLog.retire(seg);
    }

    private static void moveLegacyBodies(SlotDatabase database, BodyLog bodyLog, SlotConfig config, List<BodyId> legacy)
            throws RocksDBException, IOException {
        org.slf4j.LoggerFactory.getLogger(RocksSlotStore.class).info("moving {} bodies of {} into the body log", legacy.size(), config.metadataDir());
        try (org.rocksdb.WriteOptions synced = new org.rocksdb.WriteOptions().setSync(config.sync())) {
            for (int from = 0; from < legacy.size(); from += 256) {
                List<BodyLog.Location> appended = new ArrayList<>();
                try (org.rocksdb.WriteBatch batch = new org.rocksdb.WriteBatch()) {
                    for (BodyId id : legacy.subList(from, Math.min(legacy.size(), from + 256))) {
                        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
                        byte[] chunk;
                        for (int i = 0; (chunk = database.db.get(database.bodies, Keys.legacyChunk(id, i))) != null; i++) body.writeBytes(chunk);
                        BodyLog.Location at = bodyLog.append(body.toByteArray());
                        appended.add(at);
                        batch.put(database.bodies, Keys.body(id), at.encode());
                        batch.deleteRange(database.bodies, Keys.legacyChunk(id, 0), Keys.after(Keys.body(id)));
                    }
                    if (config.sync()) bodyLog.force();
                    database.db.write(synced, batch);
                } finally {
                    for (BodyLog.Location at : appended) bodyLog.committed(at);
                }
            }
        }
        database.db.compactRange(database.bodies);
    }
}
