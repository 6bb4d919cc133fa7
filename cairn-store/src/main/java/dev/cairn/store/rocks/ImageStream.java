// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.replication.UserImage;
import dev.cairn.store.replication.UserImageStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * A master's streamed copy of a user ({@link UserImageStream}): one RocksDB snapshot read part by
 * part, the families in a fixed order ({@link #FAMILIES}), each part resuming after the last key
 * it gave. No iterator and no lock is held between parts (a part takes the slot's read lock, so
 * the slot can close between two parts; the snapshot is released only while it is open). Read
 * from a snapshot, not under the user's lock: a commit of the user may be waiting (for a
 * reservation) on the very channel that sends this copy.
 */
final class ImageStream implements UserImageStream {
    /** The families of a user's records, as {@link UserImage.Entry#family()} numbers them. */
    static final byte META = 0, INDEX = 1, MESSAGES = 2, TOMBSTONES = 3;
    static final byte[] FAMILIES = {META, INDEX, MESSAGES, TOMBSTONES};

    static ColumnFamilyHandle family(RocksSlotStore slot, byte f) {
        return switch (f) {
            case META -> slot.meta;
            case INDEX -> slot.index;
            case MESSAGES -> slot.messages;
            case TOMBSTONES -> slot.tombstones;
            default -> throw new IllegalArgumentException("unknown family " + f);
        };
    }

    private final RocksSlotStore slot;
    private final String user;
    private final byte[] prefix;
    private final org.rocksdb.Snapshot snapshot;
    private final ReadOptions view;
    private final long seq;
    /** Where the next part starts: the family (index into FAMILIES) and the last key given in it (null: none yet). */
    private int family;
    private byte[] after;
    private boolean closed;

    private ImageStream(RocksSlotStore slot, String user, int id, org.rocksdb.Snapshot snapshot, ReadOptions view, long seq) {
        this.slot = slot;
        this.user = user;
        this.prefix = Keys.user(id);
        this.snapshot = snapshot;
        this.view = view;
        this.seq = seq;
    }

    /** The user's stream, or null when the user is not here. */
    static ImageStream open(RocksSlotStore slot, String user) {
        Integer id = slot.userId(user);
        if (id == null) return null;
        org.rocksdb.Snapshot snap;
        Lock l = slot.reading();
        try {
            snap = slot.db.getSnapshot();
        } finally {
            l.unlock();
        }
        ReadOptions view = new ReadOptions().setSnapshot(snap);
        ImageStream s = null;
        try {
            byte[] header;
            l = slot.reading();
            try {
                header = slot.db.get(slot.meta, view, Keys.userTag(id, Keys.HEADER));
            } finally {
                l.unlock();
            }
            if (header == null) return null;
            s = new ImageStream(slot, user, id, snap, view, UserHeader.decode(header).seq);
            slot.awaitDurable(); // the copy goes to a replica: nothing in the view may be short of durable here
            return s;
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot read " + user + ": " + e.getMessage(), e);
        } finally {
            if (s == null) release(slot, snap, view);
        }
    }

    @Override public String user() { return user; }

    @Override public long seq() { return seq; }

    @Override public Part next(int maxBytes) {
        List<UserImage.Entry> entries = new ArrayList<>();
        Set<BodyId> bodies = new LinkedHashSet<>();
        long bytes = 0;
        Lock l = slot.reading();
        try {
            while (family < FAMILIES.length && (entries.isEmpty() || bytes < maxBytes)) {
                byte f = FAMILIES[family];
                boolean exhausted = true;
                try (Slice upper = new Slice(Keys.after(prefix));
                     ReadOptions scan = new ReadOptions().setSnapshot(snapshot).setIterateUpperBound(upper);
                     RocksIterator it = slot.db.newIterator(family(slot, f), scan)) {
                    it.seek(after == null ? prefix : after);
                    if (after != null && it.isValid() && Arrays.equals(it.key(), after)) it.next();
                    for (; it.isValid(); it.next()) {
                        if (!entries.isEmpty() && bytes >= maxBytes) { exhausted = false; break; }
                        byte[] k = it.key(), v = it.value();
                        entries.add(new UserImage.Entry(f, Arrays.copyOfRange(k, prefix.length, k.length), v));
                        bytes += k.length + v.length;
                        after = k;
                        if (f == MESSAGES) bodies.add(MessageValue.decode(v).body());
                    }
                    it.status();
                }
                if (exhausted) {
                    family++;
                    after = null;
                }
            }
        } catch (RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot read " + user + ": " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
        return new Part(entries, bodies, family == FAMILIES.length);
    }

    @Override public byte[] body(BodyId body) {
        try {
            return slot.readBody(body, view);
        } catch (IOException | StoreException e) {
            return null;
        }
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        release(slot, snapshot, view);
    }

    private static void release(RocksSlotStore slot, org.rocksdb.Snapshot snap, ReadOptions view) {
        view.close();
        Lock l;
        try {
            l = slot.reading();
        } catch (StoreException closedAlready) {
            return; // the snapshot went with the database
        }
        try {
            slot.db.releaseSnapshot(snap);
        } finally {
            l.unlock();
        }
    }
}
