// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Reclaims the space of deleted bodies: a thread that every 10 minutes, once 64 MiB of the body
 * segments are garbage, moves the live bodies out of every sealed segment that is at least a
 * quarter garbage and deletes its file ({@link #reclaimBodySpace}).
 */
final class BodyReclaimer {
    /** A segment's bodies are moved out (and the file deleted) when at least this share of its bytes is garbage. */
    static final double RECLAIM_RATIO = 0.25;
    private static final long RECLAIM_MIN_BYTES = 64L << 20;
    private static final long RECLAIM_EVERY_MILLIS = 10 * 60_000;
    private static final int RECLAIM_BATCH = 64;

    private final SlotDatabase database;
    private final BodyStore bodies;
    private final BodyLog bodyLog;
    private final WriteFailures writeFailures;
    /** Commits a batch durably (the slot's commit path). */
    private final Consumer<WriteOps> commit;
    private final Counter reclaims;
    private final ReentrantLock reclaiming = new ReentrantLock();
    private final Thread thread;

    BodyReclaimer(SlotDatabase database, BodyStore bodies, BodyLog bodyLog, WriteFailures writeFailures,
                  Consumer<WriteOps> commit, MeterRegistry meters) {
        this.database = database;
        this.bodies = bodies;
        this.bodyLog = bodyLog;
        this.writeFailures = writeFailures;
        this.commit = commit;
        reclaims = Counter.builder("cairn.store.bodies.reclaims")
                .description("body segments reclaimed (live bodies moved out, file deleted)").register(meters);
        thread = Thread.ofPlatform().name("cairn-reclaimer").daemon(true).start(this::loop);
    }

    void stop() { thread.interrupt(); }

    private void loop() {
        while (!database.closed()) {
            try {
                Thread.sleep(RECLAIM_EVERY_MILLIS);
            } catch (InterruptedException e) {
                continue;
            }
            try {
                long[] space = bodySpace();
                if (!database.closed() && space[1] >= RECLAIM_MIN_BYTES) reclaimBodySpace(RECLAIM_RATIO);
            } catch (RuntimeException e) {
                // next round
            }
        }
    }

    /** {bytes in body segment files, bytes of deleted bodies in them}; zeros when the slot is closed. */
    long[] bodySpace() {
        return database.closed() ? new long[2] : bodyLog.space();
    }

    /**
     * Reclaims every sealed body segment of which at least {@code minGarbageRatio} is garbage: its
     * live bodies are appended to the active segment and their new locations committed (a few
     * at a time, each under its bodies' stripe locks, so appends and expunges go on meanwhile),
     * then the file is deleted once no reader has it open. True when a segment was reclaimed.
     */
    boolean reclaimBodySpace(double minGarbageRatio) {
        reclaiming.lock();
        try {
            List<BodyLog.Segment> sparse = new ArrayList<>();
            for (BodyLog.Segment seg : bodyLog.sealed()) {
                // A commit still carrying one of its bodies may yet write a location into it.
                if (seg.pending.get() > 0) continue;
                long size = seg.end;
                if (size == 0 || (double) (size - Math.max(0, seg.live.get())) / size >= minGarbageRatio) sparse.add(seg);
            }
            if (sparse.isEmpty()) return false;
            Map<Integer, List<BodyId>> bySegment = new TreeMap<>();
            for (BodyLog.Segment seg : sparse) bySegment.put(seg.number, new ArrayList<>());
            database.scan(database.bodies, new byte[0], (k, v) -> {
                List<BodyId> in = bySegment.get(BodyLog.Location.decode(v).segment());
                if (in != null) in.add(BodyId.of(k));
            });
            for (BodyLog.Segment seg : sparse) {
                List<BodyId> ids = bySegment.get(seg.number);
                for (int from = 0; from < ids.size(); from += RECLAIM_BATCH) {
                    moveBodies(seg.number, ids.subList(from, Math.min(ids.size(), from + RECLAIM_BATCH)));
                }
                bodyLog.retire(seg);
                reclaims.increment();
            }
            return true;
        } finally {
            reclaiming.unlock();
        }
    }

    /** Moves the bodies that still lie in a segment to the active one, durably. */
    private void moveBodies(int segment, List<BodyId> ids) {
        WriteOps ops = new WriteOps();
        try (BodyStore.BodyLocks held = bodies.lock(ids)) {
            for (BodyId id : ids) {
                byte[] v = database.get(database.bodies, Keys.body(id));
                if (v == null) continue; // deleted meanwhile
                BodyLog.Location at = BodyLog.Location.decode(v);
                if (at.segment() != segment) continue;
                try {
                    byte[] bytes = bodyLog.read(at);
                    if (bytes == null) throw new IOException("segment " + segment + " retired while moving its bodies");
                    BodyLog.Location moved = bodyLog.append(bytes);
                    ops.appended(moved);
                    ops.put(database.bodies, Keys.body(id), moved.encode());
                } catch (IOException e) {
                    writeFailures.failed(1, e, bodyLog.dir());
                    throw new StoreException(Reason.UNAVAILABLE, "reclaiming body space failed: " + e.getMessage(), e);
                }
                bodyLog.deleted(at);
            }
            if (!ops.isEmpty()) commit.accept(ops);
        } finally {
            ops.commitEnded(bodyLog);
        }
    }
}
