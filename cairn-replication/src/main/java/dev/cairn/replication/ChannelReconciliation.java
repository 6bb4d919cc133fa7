// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.Body;
import dev.cairn.replication.Frame.Diverged;
import dev.cairn.replication.Frame.Position;
import dev.cairn.replication.Frame.Reconcile;
import dev.cairn.store.BodyId;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.SlotStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel's users whose copy at the replica holds changes this master never had (a former
 * master's, written before it was replaced): found at the handshake, their diverged records asked
 * for (Reconcile), merged here through the store's write path ({@link Reconciler}), then the user is
 * copied back whole. A user is not shipped to while its merge runs.
 */
final class ChannelReconciliation {
    private static final Logger log = LoggerFactory.getLogger(ChannelReconciliation.class);

    private final SlotStore slot;
    private final ChannelConfig config;
    private final ChannelListener listener;
    /** Copies the user whole to the replica (once its merge is done). */
    private final Consumer<String> resync;
    /** Users to merge (user -> common seq), in the order found; only the sending thread uses it. */
    private final LinkedHashMap<String, Long> pending = new LinkedHashMap<>();
    /** Users not shipped to while their reconciliation runs. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    /** Users asked for their diverged records (Reconcile sent, Diverged not read yet) -> common seq. */
    private final Map<String, Long> asked = new ConcurrentHashMap<>();

    ChannelReconciliation(SlotStore slot, ChannelConfig config, ChannelListener listener, Consumer<String> resync) {
        this.slot = slot;
        this.config = config;
        this.listener = listener;
        this.resync = resync;
    }

    /**
     * At the handshake, a user both sides have: true (and queued for merging) when the replica's
     * position is beyond the master's, or its record there was written in another epoch, or the
     * master's log no longer reaches back to tell.
     */
    boolean diverged(String user, Position p, long mine) {
        long pos = p.seq();
        if (pos <= 0) return false;
        long myEpoch = slot.replication().recordEpoch(user, pos);
        boolean diverged = pos > mine || (myEpoch != -1 && myEpoch != p.recordEpoch())
                || (myEpoch == -1 && pos >= slot.changeLog().firstSeq(user));
        if (diverged) queue(user, pos, p.recordEpoch(), commonPoint(user, pos, p.recordEpoch()));
        return diverged;
    }

    /**
     * At the handshake, a user only the replica has: true (and queued for merging) when a former
     * master wrote it (an older epoch); false: the replica is to drop it.
     */
    boolean onlyAtReplica(Position p, long epochNow) {
        if (p.recordEpoch() < 0 || p.recordEpoch() >= epochNow) return false;
        queue(p.user(), p.seq(), p.recordEpoch(), 0L);
        return true;
    }

    private void queue(String user, long seq, long epoch, long common) {
        listener.diverged(user, seq, epoch);
        pending.put(user, common);
        held.add(user);
    }

    boolean nothingPending() { return pending.isEmpty(); }

    boolean holds(String user) { return held.contains(user); }

    /** Asks the replica for the next pending user's records after the common point; false when none is pending. */
    boolean askNext(FrameConnection c) throws IOException {
        Map.Entry<String, Long> next = pending.pollFirstEntry();
        if (next == null) return false;
        asked.put(next.getKey(), next.getValue());
        c.send(new Reconcile(next.getKey(), next.getValue()));
        return true;
    }

    /** The connection ended: a merge asked for and not answered is asked for again after the next handshake. */
    void disconnected() { asked.clear(); }

    /**
     * The last seq both sides share: the master's last record at or below the replica's position
     * written in an epoch no newer than the replica's record there (records after it on the
     * replica are the former master's own, which never reached this one).
     */
    private long commonPoint(String user, long pos, long replicaEpoch) {
        ChangeLog changeLog = slot.changeLog();
        long common = Math.max(0, changeLog.firstSeq(user) - 1);
        for (long from = 0; from <= pos; ) {
            List<ChangeRecord> rs = changeLog.read(user, from, 1000);
            if (rs.isEmpty()) break;
            for (ChangeRecord rec : rs) {
                if (rec.seq() > pos) return common;
                if (rec.epoch() <= replicaEpoch) common = rec.seq();
                from = rec.seq() + 1;
            }
        }
        return common;
    }

    /** Merges the replica's diverged records here, then copies the user back to it whole. */
    void merge(Diverged d) throws FrameCodec.BadFrame {
        String user = d.user();
        if (asked.remove(user) == null) throw new FrameCodec.BadFrame("diverged records of " + user + ", never asked for");
        List<ChangeRecord> tail = new ArrayList<>();
        for (byte[] b : d.records()) {
            try {
                tail.add(ChangeCodec.decode(b));
            } catch (IllegalArgumentException e) {
                throw new FrameCodec.BadFrame("diverged record: " + e.getMessage());
            }
        }
        Map<BodyId, byte[]> bodies = new HashMap<>();
        for (Body b : d.bodies()) bodies.put(b.id(), b.bytes());
        // The merge commits through the store, which may need a reservation on this very channel:
        // it runs beside the channel's reader, and the user is copied back to the replica when it is done.
        FailureLog.loggedThreads(log, "cairn-reconcile-" + user).start(() -> {
            try {
                List<String> lines = new Reconciler(slot, config.replica()).merge(user, tail, bodies);
                listener.reconciled(user, tail.size(), lines);
            } catch (RuntimeException e) {
                log.error("replication {}: merging {} from {} failed; copying the master's version", config.store(), user, config.replica(), e);
                listener.reconciled(user, tail.size(), List.of(user + ": merge failed: " + e.getMessage()));
            } finally {
                held.remove(user);
                resync.accept(user);
            }
        });
    }
}
