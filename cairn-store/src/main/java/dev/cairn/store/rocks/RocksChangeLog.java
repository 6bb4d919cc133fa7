// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.changelog.ChangeRecord;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/** The change log in its column family: keys (channel, user id, seq). */
final class RocksChangeLog implements ChangeLog {
    private final RocksSlotStore slot;
    private final java.util.concurrent.CopyOnWriteArrayList<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    RocksChangeLog(RocksSlotStore slot) { this.slot = slot; }

    @Override public AutoCloseable listen(Listener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** After a durable commit (user lock held, so in seq order per user). */
    void committed(int channel, String user, long seq) {
        for (Listener l : listeners) {
            try {
                l.committed(channel, user, seq);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(RocksChangeLog.class).warn("change-log listener failed", e);
            }
        }
    }

    private int id(String user) {
        Integer id = slot.userId(user);
        if (id == null) throw new StoreException(StoreException.Reason.NO_SUCH_USER, "no such user: " + user);
        return id;
    }

    @Override public List<ChangeRecord> read(String user, long fromSeq, int max) {
        List<ChangeRecord> out = readUnfenced(user, fromSeq, max);
        slot.awaitDurable(); // records go to replicas: none may leave before it is durable here
        return out;
    }

    /** What the database holds, possibly one fsync short of durable: the caller fences. */
    List<ChangeRecord> readUnfenced(String user, long fromSeq, int max) {
        int id = id(user);
        int channel = slot.channelOf(user);
        List<ChangeRecord> out = new ArrayList<>();
        byte[] prefix = Keys.changePrefix(channel, id);
        java.util.concurrent.locks.Lock open = slot.reading();
        try (Slice upper = new Slice(Keys.after(prefix));
             ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
             RocksIterator it = slot.db.newIterator(slot.changelog, ro)) {
            for (it.seek(Keys.change(channel, id, Math.max(0, fromSeq))); it.isValid() && out.size() < max; it.next()) {
                out.add(ChangeCodec.decode(it.value()));
            }
        } finally {
            open.unlock();
        }
        return out;
    }

    @Override public Batch readChannel(int channel, Position after, int max) {
        byte[] prefix = ByteBuffer.allocate(2).putShort((short) channel).array();
        List<ChangeRecord> out = new ArrayList<>();
        Position end = after;
        java.util.concurrent.locks.Lock open = slot.reading();
        try (Slice upper = new Slice(Keys.after(prefix));
             ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
             RocksIterator it = slot.db.newIterator(slot.changelog, ro)) {
            if (after == null) it.seek(prefix);
            else {
                it.seek(Keys.change(channel, after.userId(), after.seq()));
                if (it.isValid() && java.util.Arrays.equals(it.key(), Keys.change(channel, after.userId(), after.seq()))) it.next();
            }
            for (; it.isValid() && out.size() < max; it.next()) {
                ByteBuffer k = ByteBuffer.wrap(it.key());
                k.getShort();
                end = new Position(k.getInt(), k.getLong());
                out.add(ChangeCodec.decode(it.value()));
            }
        } finally {
            open.unlock();
        }
        slot.awaitDurable();
        return new Batch(out, end);
    }

    @Override public void prune(String user, long uptoSeq) {
        int id = id(user);
        int channel = slot.channelOf(user);
        WriteOps ops = new WriteOps();
        ops.deleteRange(slot.changelog, Keys.change(channel, id, 0), Keys.change(channel, id, uptoSeq + 1));
        slot.commitDurably(ops);
    }

    @Override public long firstSeq(String user) {
        int id = id(user);
        List<ChangeRecord> first = read(user, 0, 1);
        if (!first.isEmpty()) return first.getFirst().seq();
        UserState s = slot.state(user);
        return s == null ? 1 : s.data.header().seq + 1;
    }
}
