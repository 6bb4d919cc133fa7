// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.mime.ParsedCodec;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;

/**
 * The slot's bodies, stored once per slot by SHA-256: where each lies in the {@link BodyLog}
 * (column family {@code bodies}), its parse ({@code parsed}) and its reference count
 * ({@code refcounts}), and the stripe locks a commit holds on the bodies whose counts it changes,
 * from reading a count until the batch is durable.
 */
final class BodyStore {
    /** How much of a body a stream reads at a time. */
    static final int CHUNK = 1 << 20;
    // Many stripes: 64 concurrent writers of different bodies rarely share one (and so an fsync wait).
    private static final int STRIPES = 4096;

    private final SlotDatabase database;
    private final BodyLog bodyLog;
    private final WriteFailures writeFailures;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    BodyStore(SlotDatabase database, BodyLog bodyLog, WriteFailures writeFailures) {
        this.database = database;
        this.bodyLog = bodyLog;
        this.writeFailures = writeFailures;
        for (int i = 0; i < STRIPES; i++) stripes[i] = new ReentrantLock();
    }

    /** Stripe locks of some bodies, taken in stripe order (so two commits never wait on each other in a cycle). */
    static final class BodyLocks implements AutoCloseable {
        private final List<ReentrantLock> held = new ArrayList<>();

        private BodyLocks(ReentrantLock[] stripes, Collection<BodyId> ids) {
            TreeSet<Integer> wanted = new TreeSet<>();
            if (ids == null) for (int i = 0; i < STRIPES; i++) wanted.add(i);
            else for (BodyId id : ids) wanted.add(id.hashCode() & (STRIPES - 1));
            for (int s : wanted) {
                stripes[s].lock();
                held.add(stripes[s]);
            }
        }

        @Override public void close() { for (ReentrantLock l : held.reversed()) l.unlock(); }
    }

    BodyLocks lock(Collection<BodyId> ids) { return new BodyLocks(stripes, ids); }

    /** Every stripe: no commit that changes a reference count runs while held (check). */
    BodyLocks lockAll() { return new BodyLocks(stripes, null); }

    long refcount(BodyId id) {
        byte[] v = database.get(database.refcounts, Keys.body(id));
        return v == null ? 0 : Keys.getLong(v);
    }

    void putRefcount(WriteOps ops, BodyId id, long count) { ops.put(database.refcounts, Keys.body(id), Keys.longBytes(count)); }

    /** Appends the body to the body log now; its location (and parse) go into the batch. */
    void write(WriteOps ops, PreparedBody p) {
        BodyLog.Location at;
        try {
            at = bodyLog.append(p.bytes);
        } catch (IOException e) {
            // The commit fails here, before the committer sees it: counted and logged here.
            writeFailures.failed(1, e, bodyLog.dir());
            throw new StoreException(Reason.UNAVAILABLE, "cannot write the message body: " + e.getMessage(), e);
        }
        ops.appended(at);
        ops.put(database.bodies, Keys.body(p.id), at.encode());
        ops.put(database.parsed, Keys.body(p.id), ParsedCodec.encode(p.parsed()));
    }

    void delete(WriteOps ops, BodyId id) {
        byte[] v = database.get(database.bodies, Keys.body(id));
        if (v != null) bodyLog.deleted(BodyLog.Location.decode(v));
        ops.delete(database.bodies, Keys.body(id));
        ops.delete(database.parsed, Keys.body(id));
        ops.delete(database.refcounts, Keys.body(id));
    }

    boolean has(BodyId id) { return database.get(database.bodies, Keys.body(id)) != null; }

    boolean hasParsed(BodyId id) { return database.get(database.parsed, Keys.body(id)) != null; }

    ParsedMessage parsed(BodyId id) {
        byte[] v = database.get(database.parsed, Keys.body(id));
        if (v == null) throw new StoreException(Reason.NONEXISTENT, "no such body: " + id);
        return ParsedCodec.decode(v);
    }

    /** The body's segment, held for reading, and where the body lies in it. */
    private record HeldBody(BodyLog.Segment segment, BodyLog.Location at) {}

    /**
     * Finds a body and holds its segment: a segment reclaimed between reading the location and
     * holding it has moved its bodies, so the location is read again (a body's bytes never change).
     */
    private HeldBody hold(BodyId id, ReadOptions snapshot) {
        BodyLog.Location before = null;
        for (int attempt = 0; attempt < 8; attempt++) {
            byte[] v;
            if (attempt == 0 && snapshot != null) {
                Lock l = database.reading();
                try {
                    v = database.db.get(database.bodies, snapshot, Keys.body(id));
                } catch (RocksDBException e) {
                    throw new StoreException(Reason.UNAVAILABLE, e.getMessage(), e);
                } finally {
                    l.unlock();
                }
            } else v = database.get(database.bodies, Keys.body(id));
            if (v == null) throw new StoreException(Reason.NONEXISTENT, "no such body: " + id);
            BodyLog.Location at = BodyLog.Location.decode(v);
            BodyLog.Segment seg = bodyLog.acquire(at.segment());
            if (seg != null) return new HeldBody(seg, at);
            if (at.equals(before)) {
                throw new StoreException(Reason.UNAVAILABLE, "body " + id + " lies in segment " + at.segment() + ", which is not there");
            }
            before = at;
        }
        throw new StoreException(Reason.UNAVAILABLE, "body " + id + " keeps moving");
    }

    /**
     * The whole body, for a replica's copy of a user read from a snapshot: the body's location is
     * read from that snapshot, as the body may have been deleted since (its bytes stay in their
     * segment until it is reclaimed).
     */
    byte[] read(BodyId id, ReadOptions snapshot) throws IOException {
        HeldBody h = hold(id, snapshot);
        try {
            return h.segment().read(h.at().offset(), h.at().length());
        } finally {
            bodyLog.release(h.segment());
        }
    }

    /**
     * Streams a body from its segment, read CHUNK bytes at a time. The segment stays held until the
     * stream is closed, so neither an expunge nor reclaiming cuts the body short.
     */
    InputStream open(BodyId id) throws IOException {
        HeldBody h = hold(id, null);
        return new InputStream() {
            final long end = h.at().offset() + h.at().length();
            long next = h.at().offset();
            byte[] chunk = new byte[0];
            int pos;
            boolean closed;

            private boolean fill() throws IOException {
                if (pos < chunk.length) return true;
                if (closed) throw new IOException("body stream closed");
                if (next >= end) return false;
                int n = (int) Math.min(CHUNK, end - next);
                chunk = h.segment().read(next, n);
                next += n;
                pos = 0;
                return true;
            }

            @Override public int read() throws IOException {
                return fill() ? chunk[pos++] & 0xFF : -1;
            }

            @Override public int read(byte[] b, int off, int len) throws IOException {
                java.util.Objects.checkFromIndexSize(off, len, b.length);
                if (len == 0) return 0;
                if (!fill()) return -1;
                int n = Math.min(len, chunk.length - pos);
                System.arraycopy(chunk, pos, b, off, n);
                pos += n;
                return n;
            }

            /**
             * A body of at most one chunk, not read from yet, is the array its segment read made:
             * InputStream's own readAllBytes would copy it through 16 KiB pieces into a third array
             * (a FETCH of a body reads it whole, so under load this was most of the heap spent per
             * FETCH).
             */
            @Override public byte[] readAllBytes() throws IOException {
                if (pos == 0 && chunk.length == 0 && end - next <= CHUNK) {
                    if (!fill()) return new byte[0];
                    byte[] whole = chunk;
                    chunk = new byte[0];
                    pos = 0;
                    return whole;
                }
                return super.readAllBytes();
            }

            @Override public void close() {
                if (closed) return;
                closed = true;
                bodyLog.release(h.segment());
            }
        };
    }
}
