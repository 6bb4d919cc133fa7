// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * User ids whose records are not a user's: a copy being staged ({@link StagedImage}) or the copy
 * a finished one replaced. Each is marked (meta, user 0, {@link #STAGED} + id -> user name) in
 * the batch that makes it so, and removed part by part: a bounded number of messages at a time
 * with their bodies' references, in batches that are each consistent, then the rest of the
 * records and the mark. What a crash interrupts is collected at the next open.
 */
final class ImageGarbage {
    private ImageGarbage() {}

    /** Meta tag on user 0 (the taken ones are listed in {@link Keys}). */
    static final byte STAGED = 24;
    /** Messages removed per batch: bounds the batch and the reference deltas held. */
    static final int MESSAGES_PER_BATCH = 1000;

    static byte[] mark(int id) { return Keys.userTagInt(0, STAGED, id); }

    static void mark(RocksSlotStore slot, WriteOps ops, int id, String user) {
        ops.put(slot.meta, mark(id), user.getBytes(StandardCharsets.UTF_8));
    }

    /** At open: every marked id (no staging runs yet); returns how many there were. */
    static int collectAll(RocksSlotStore slot) {
        List<Integer> ids = new ArrayList<>();
        byte[] prefix = Keys.userTag(0, STAGED);
        slot.scan(slot.meta, prefix, (k, v) -> ids.add(ByteBuffer.wrap(k, prefix.length, 4).getInt()));
        for (int id : ids) collect(slot, id);
        return ids.size();
    }

    /** Removes every record of the id and then its mark. */
    static void collect(RocksSlotStore slot, int id) {
        byte[] prefix = Keys.user(id);
        while (true) {
            Map<byte[], BodyId> some = messages(slot, prefix);
            if (some.isEmpty()) break;
            WriteOps ops = new WriteOps();
            Map<BodyId, Long> delta = new HashMap<>();
            some.forEach((key, body) -> {
                ops.delete(slot.messages, key);
                delta.merge(body, -1L, Long::sum);
            });
            try (BodyStore.BodyLocks held = slot.lockBodies(ChangeApplier.changed(delta))) {
                slot.applier.writeRefcounts(ops, delta, b -> {
                    throw new IllegalStateException("no body is written when references go");
                });
                slot.commitDurably(ops);
            } finally {
                ops.commitEnded(slot.bodyLog);
            }
        }
        WriteOps ops = new WriteOps();
        byte[] end = Keys.after(prefix);
        for (byte f : ImageStream.FAMILIES) ops.deleteRange(ImageStream.family(slot, f), prefix, end);
        ops.delete(slot.meta, mark(id));
        slot.commitDurably(ops);
    }

    /** Up to {@link #MESSAGES_PER_BATCH} message keys of the prefix with their bodies. */
    private static Map<byte[], BodyId> messages(RocksSlotStore slot, byte[] prefix) {
        Map<byte[], BodyId> out = new java.util.LinkedHashMap<>();
        Lock l = slot.reading();
        try (Slice upper = new Slice(Keys.after(prefix));
             ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
             RocksIterator it = slot.db.newIterator(slot.messages, ro)) {
            for (it.seek(prefix); it.isValid() && out.size() < MESSAGES_PER_BATCH; it.next()) {
                out.put(it.key(), MessageValue.decode(it.value()).body());
            }
            it.status();
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "read failed: " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
        return out;
    }
}
