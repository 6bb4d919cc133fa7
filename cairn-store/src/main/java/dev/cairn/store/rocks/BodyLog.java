// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Message bodies in append-only segment files, each body written once: by the committing thread,
 * before its commit is queued, and made durable by {@link #force()} just before the WAL fsync
 * that makes its location durable. The bodies column family holds only the 16-byte
 * {@link Location}.
 *
 * <p>Why not RocksDB's blob files, as before 2026-12-05: there a body went through the WAL (a
 * checksum and a write), the memtable (a copy) and a flush into a blob file (another checksum and
 * write), so the disk took every body twice and the WAL fsync of a group waited behind the
 * flushes of earlier ones. Written once here, the same 64 writers committed 70 % more appends per
 * second (cairn-store/README.md). The price: a commit that adds a body syncs two files, so a lone
 * writer waits for two fsyncs instead of one.
 *
 * <p>A crash can leave bytes in a segment that no location points to (the commit never reached
 * the WAL): garbage, counted at the next open and reclaimed with the rest. Segments are never
 * written again after a restart; a new one is started.
 *
 * <p>A failed append (a full disk, an I/O error) gives its bytes back: appends reserve their
 * ranges one after the other under the log's lock and write outside it, so the range of a failed
 * write is returned only while it is the last one reserved (the segment's end moves back and the
 * file is cut there, freeing what part of it was written). Otherwise a later writer's bytes
 * follow it; it stays a hole, counted as garbage, until every range after it has failed too, or
 * the segment is reclaimed. The same goes for bodies written for a commit that was never handed
 * to the committer ({@link #abandoned}); once a commit was handed over, its batch may be in the
 * database whatever the answer, so its bodies stay where they are.
 *
 * <p>Space: a segment whose bodies were mostly deleted is reclaimed by moving its remaining
 * bodies to the active segment (new locations, committed like any write) and deleting the file
 * once no reader has it open ({@code RocksSlotStore.reclaimBodySpace}). Bodies are named by their
 * hash, so a reader that finds its segment retired can follow the body to its new location.
 */
final class BodyLog implements AutoCloseable {
    /** A new segment is started when the next body would not fit. */
    static final long SEGMENT_SIZE = 256L << 20;
    private static final String SUFFIX = ".seg";

    /** Where one body lies: its segment, offset and length. */
    record Location(int segment, long offset, int length) {
        static final int BYTES = 16;

        byte[] encode() { return ByteBuffer.allocate(BYTES).putInt(segment).putLong(offset).putInt(length).array(); }

        static Location decode(byte[] v) {
            if (v.length != BYTES) throw new IllegalArgumentException("a body location has " + BYTES + " bytes, not " + v.length);
            ByteBuffer b = ByteBuffer.wrap(v);
            return new Location(b.getInt(), b.getLong(), b.getInt());
        }
    }

    /** One segment file. Readers hold it while they read; a retired one is deleted when the last lets go. */
    static final class Segment {
        final int number;
        final Path path;
        final FileChannel channel;
        /** Where the next body goes (the active segment), or the file's size. Written under the log's lock. */
        volatile long end;
        /** Bytes of bodies that a location points to (approximate between opens: a failed commit's body stays counted). */
        final AtomicLong live = new AtomicLong();
        final AtomicInteger readers = new AtomicInteger();
        /** Bodies appended whose commit has not ended yet: their locations may still arrive, so no reclaiming. */
        final AtomicInteger pending = new AtomicInteger();
        private final AtomicBoolean deleted = new AtomicBoolean();
        volatile boolean retired;
        /** Written to since its last force. */
        volatile boolean dirty;
        /** Failed ranges (offset to end) that later ranges follow. Guarded by the log. */
        final java.util.TreeMap<Long, Long> holes = new java.util.TreeMap<>();

        Segment(int number, Path path, FileChannel channel, long end) {
            this.number = number;
            this.path = path;
            this.channel = channel;
            this.end = end;
        }

        /** Reads length bytes at a position into a new array; IOException when the file is shorter. */
        byte[] read(long position, int length) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(length);
            while (b.hasRemaining()) {
                int n = channel.read(b, position + b.position());
                if (n < 0) throw new IOException("segment " + path.getFileName() + " ends before " + (position + length));
            }
            return b.array();
        }

        private void delete() {
            if (!deleted.compareAndSet(false, true)) return;
            try {
                channel.close();
                Files.deleteIfExists(path);
            } catch (IOException e) {
                org.slf4j.LoggerFactory.getLogger(BodyLog.class).warn("cannot delete body segment {}: {}", path, e.toString());
            }
        }
    }

    /** How a body reaches its segment file: a positional write, as FileChannel's. */
    interface SegmentWriter {
        int write(FileChannel channel, ByteBuffer bytes, long position) throws IOException;
    }

    private final Path dir;
    private final long segmentSize;
    /** Tests: replaced by one that fails part-way, as a full disk does. */
    volatile SegmentWriter writer = FileChannel::write;
    private final ConcurrentSkipListMap<Integer, Segment> segments = new ConcurrentSkipListMap<>();
    private Segment active; // guarded by this

    BodyLog(Path dir, long segmentSize) throws IOException {
        this.dir = dir;
        this.segmentSize = segmentSize;
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).toList()) {
                String name = p.getFileName().toString();
                int number = Integer.parseInt(name.substring(0, name.length() - SUFFIX.length()));
                FileChannel c = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
                segments.put(number, new Segment(number, p, c, c.size()));
            }
        }
        roll();
    }

    /** The directory of the segment files. */
    Path dir() { return dir; }

    /** Starts a new active segment; its directory entry is made durable at once. */
    private synchronized void roll() throws IOException {
        int number = segments.isEmpty() ? 1 : segments.lastKey() + 1;
        Path p = dir.resolve(String.format("%08d%s", number, SUFFIX));
        FileChannel c = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
        active = new Segment(number, p, c, 0);
        segments.put(number, active);
    }

    /**
     * Appends a body to the active segment (not yet durable: see {@link #force()}). The segment
     * counts it as pending until {@link #committed} says its commit ended, one way or the other.
     */
    Location append(byte[] body) throws IOException {
        Segment s;
        long offset;
        synchronized (this) {
            if (active.end > 0 && active.end + body.length > segmentSize) roll();
            s = active;
            offset = s.end;
            s.end += body.length;
            s.pending.incrementAndGet(); // under the lock: a sealed segment's count only falls
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(body);
            SegmentWriter w = writer;
            while (b.hasRemaining()) w.write(s.channel, b, offset + b.position());
        } catch (IOException | RuntimeException e) {
            giveBack(s, offset, body.length);
            s.pending.decrementAndGet();
            throw e;
        }
        s.live.addAndGet(body.length);
        s.dirty = true; // after the write: a force that clears the flag covers the write
        return new Location(s.number, offset, body.length);
    }

    /** The commit that carried a body appended at this location ended (durable or failed). */
    void committed(Location at) {
        Segment s = segments.get(at.segment());
        if (s != null) s.pending.decrementAndGet();
    }

    /**
     * The commit that was to carry this body was never handed to the committer (a later body of
     * it failed, or the slot closed): no location can point at it, so its bytes are given back.
     */
    void abandoned(Location at) {
        Segment s = segments.get(at.segment());
        if (s == null) return;
        s.live.addAndGet(-at.length());
        giveBack(s, at.offset(), at.length());
        s.pending.decrementAndGet();
    }

    /**
     * Returns a range no location points to: the segment ends before it again (and before the
     * failed ranges it then ends with) when nothing was reserved after it, else it is a hole.
     */
    private synchronized void giveBack(Segment s, long offset, int length) {
        if (s.end != offset + length) {
            s.holes.put(offset, offset + length);
            return;
        }
        long end = offset;
        for (var last = s.holes.lastEntry(); last != null && last.getValue() == end; last = s.holes.lastEntry()) {
            end = last.getKey();
            s.holes.remove(end);
        }
        s.end = end;
        try {
            // No writer has a range past the end (each range after it failed, and its writer
            // returned): cutting the file frees what the failed writes got on disk.
            s.channel.truncate(end);
        } catch (IOException e) {
            // What stays past the end is overwritten by the next append, or counted as garbage at the next open.
        }
    }

    /** Makes every body appended so far durable. Called before the WAL fsync of their commits. */
    void force() throws IOException {
        for (Segment s : segments.values()) {
            if (!s.dirty) continue;
            s.dirty = false;
            s.channel.force(false);
        }
    }

    /** A location's segment held for reading, or null when it is gone or retired (the body moved, or was deleted). */
    Segment acquire(int number) {
        Segment s = segments.get(number);
        if (s == null) return null;
        s.readers.incrementAndGet();
        if (s.retired) {
            release(s);
            return null;
        }
        return s;
    }

    void release(Segment s) {
        if (s.readers.decrementAndGet() == 0 && s.retired) s.delete();
    }

    /** Reads a whole body; null when its segment was retired meanwhile (read the location again). */
    byte[] read(Location at) throws IOException {
        Segment s = acquire(at.segment());
        if (s == null) return null;
        try {
            if (at.offset() + at.length() > s.end) throw new IOException("body at " + at + " lies beyond the end of its segment");
            return s.read(at.offset(), at.length());
        } finally {
            release(s);
        }
    }

    /** A deleted body's bytes become garbage. */
    void deleted(Location at) {
        Segment s = segments.get(at.segment());
        if (s != null) s.live.addAndGet(-at.length());
    }

    /** Sets each segment's live bytes from the locations the database holds (at open). */
    void countLive(java.util.Map<Integer, Long> liveBySegment) {
        for (Segment s : segments.values()) s.live.set(liveBySegment.getOrDefault(s.number, 0L));
    }

    /** Segments other than the active one (candidates for reclaiming), oldest first. */
    synchronized List<Segment> sealed() {
        List<Segment> out = new ArrayList<>();
        for (Segment s : segments.values()) if (s != active) out.add(s);
        return out;
    }

    Segment segment(int number) { return segments.get(number); }

    /** No location points into it any more: it goes away once its last reader lets go. */
    void retire(Segment s) {
        synchronized (this) {
            if (s == active) throw new IllegalStateException("the active segment cannot be retired");
        }
        segments.remove(s.number, s);
        s.retired = true;
        if (s.readers.get() == 0) s.delete();
    }

    /** {bytes in segment files, bytes of them no location points to}. */
    long[] space() {
        long total = 0, live = 0;
        for (Segment s : segments.values()) {
            total += s.end;
            live += Math.max(0, s.live.get());
        }
        return new long[] {total, Math.max(0, total - live)};
    }

    @Override public void close() {
        for (Segment s : segments.values()) {
            try {
                s.channel.close();
            } catch (IOException e) {
                // reading only from here on, and nothing more to read: close the others
            }
        }
    }
}
