// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.Position;
import dev.cairn.replication.Frame.Positions;
import dev.cairn.store.SlotStore;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How far one channel's replica has got, per user: the seq shipped to it on this connection and
 * the seq it acknowledged; what it lacked when the connection began and must acknowledge to be
 * caught up; the users deleted here whose deletion it confirmed ({@link UserDeletions}); and the
 * commits it has not acknowledged yet ({@link ReplicaLag}: the lag in time and in changes, each
 * commit's delay). What it acknowledges goes on to the channel's {@link ChannelListener}.
 * Thread-safe: the committing threads, the channel's sender (the only one that ships) and reader,
 * status and metrics call it; the listener is told outside its lock.
 */
final class ChannelProgress {
    private final SlotStore slot;
    private final ChannelListener listener;
    private final ReplicaLag lag = new ReplicaLag();
    private final ChangeCount counts;
    /**
     * Each user's seq the replica acknowledged. A commit that begins a new life of the user and an
     * Ack change it under this object's lock together with {@link #deletions}.
     */
    private final Map<String, Long> acked = new ConcurrentHashMap<>();
    /** The highest seq of each user sent on this connection (only the sending thread writes it). */
    private final Map<String, Long> shipped = new ConcurrentHashMap<>();
    /** Users the replica lacked records of at the handshake, with the seq it must acknowledge: caught up when empty. */
    private final Map<String, Long> catchUp = new ConcurrentHashMap<>();
    private final UserDeletions deletions = new UserDeletions();

    ChannelProgress(SlotStore slot, ChannelListener listener) {
        this.slot = slot;
        this.listener = listener;
        this.counts = new ChangeCount(slot.changeLog());
    }

    /** The user's seq the replica acknowledged (-1: none). */
    long acked(String user) { return acked.getOrDefault(user, -1L); }

    /** Users with an acknowledged seq. */
    int ackedUsers() { return acked.size(); }

    /**
     * Whether the replica has the user's commit at seq: acknowledged it, or, for the user's
     * deletion, let go of the user too ({@link UserDeletions}; only while the user is not here).
     */
    boolean holds(String user, long seq) {
        if (acked(user) >= seq) return true;
        long deleted = deletions.confirmed(user);
        return deleted >= seq && !slot.hasUser(user);
    }

    /** The replica acknowledged everything it lacked when the connection began. */
    boolean caughtUp() { return catchUp.isEmpty(); }

    /** The commits not acknowledged, for the channel's {@link ChangesBatch} (a user gone here is forgotten). */
    ReplicaLag lag() { return lag; }

    // --- the sending side ------------------------------------------------------------------------

    /**
     * A commit of the user at seq (under the channel's lock: {@code framesSent} numbers the frames
     * sent so far). True when it begins a new life of the user (created again after a deletion):
     * what the replica acknowledged of an earlier life no longer counts.
     */
    boolean committed(String user, long seq, boolean deletes, boolean creates, long framesSent, long now) {
        boolean newLife = creates && !deletes;
        synchronized (this) {
            deletions.committed(user, seq, deletes, creates, framesSent);
            if (newLife) acked.remove(user);
        }
        lag.committed(user, seq, now);
        return newLife;
    }

    /** The seq the user's shipping resumes from: after what was sent on this connection, else after what the replica has. */
    long from(String user) { return shipped.getOrDefault(user, acked.getOrDefault(user, 0L)) + 1; }

    /** A Changes frame left with these users' records up to these seqs. */
    void shipped(Map<String, Long> last) { shipped.putAll(last); }

    /** A whole copy of the user at seq left: its records after it follow it on this connection. */
    void copied(String user, long seq) { shipped.put(user, seq); }

    /** The replica drops the user (gone here): nothing of it was sent. */
    void dropped(String user) { shipped.remove(user); }

    /** The replica could not follow the user from the record after seq on (NeedBodies): shipped again from there. */
    void rewind(String user, long seq) { shipped.merge(user, seq, Math::min); }

    // --- the replica's answers ---------------------------------------------------------------------

    /**
     * A handshake: the replica holds {@code plan.acked()} and must acknowledge {@code plan.catchUp()}
     * to be caught up. {@link #resume} follows once the channel has queued the plan's work.
     */
    void handshake(HandshakePlan plan) {
        acked.clear();
        acked.putAll(plan.acked());
        // Caught up once the replica acknowledged all it lacks now.
        catchUp.clear();
        catchUp.putAll(plan.catchUp());
    }

    /**
     * After the handshake: shipping resumes from what the replica has (also for users copied whole
     * or merged first), the store is told what it has, and users deleted here that it does not have
     * either ({@code positions}) have their deletion acknowledged.
     */
    void resume(Positions positions) {
        shipped.clear();
        shipped.putAll(acked);
        for (Map.Entry<String, Long> e : acked.entrySet()) {
            listener.acked(e.getKey(), e.getValue());
            acknowledged(e.getKey(), e.getValue());
        }
        Set<String> atReplica = new HashSet<>();
        for (Position p : positions.positions()) atReplica.add(p.user());
        deletions.absentAtReplica(atReplica).forEach(this::letGo);
    }

    /**
     * The replica's Ack of the user at seq, answering frame number {@code frame}; the store is told
     * what the replica has. True when the replica is behind with nothing more on the way (it skipped
     * or lost records): the user is to be shipped again.
     */
    boolean applied(String user, long seq, long frame) {
        if (seq == 0) {
            long deleted = deletions.confirms(user, frame);
            if (deleted > 0) {
                letGo(user, deleted);
                return false;
            }
        }
        long now;
        synchronized (this) {
            if (deletions.ofEarlierLife(user, frame)) return false; // sent before the user was created again
            now = acked.merge(user, seq, Math::max);
        }
        catchUp.computeIfPresent(user, (u, target) -> now >= target || !slot.hasUser(u) ? null : target);
        listener.acked(user, now);
        acknowledged(user, now);
        return shipped.getOrDefault(user, 0L) <= now && now < slot.replication().seq(user);
    }

    /** The connection is gone: no answer to an earlier frame can come any more. */
    void disconnected() { deletions.disconnected(); }

    /** Changes the master has that this replica has not acknowledged (of users waiting to be shipped, {@code dirty}, or shipped beyond their Ack). */
    long lagChanges(Set<String> dirty) {
        return lag.changes(dirty, shipped, acked, slot.replication()::seq, counts);
    }

    /** How long ago the oldest commit this replica has not acknowledged was made (0: none). */
    long lagMillis() { return lag.millis(System.nanoTime()); }

    /** The replica has the user's changes up to seq: they leave the lag, their delay goes to the histogram. */
    private void acknowledged(String user, long seq) { lag.acknowledged(user, seq, System.nanoTime(), listener::delay); }

    /**
     * The replica let go of the user, deleted here at seq: it holds nothing of it, so nothing it
     * acknowledged before counts for a later life of the user; the store's wait for the deletion ends.
     */
    private void letGo(String user, long seq) {
        synchronized (this) {
            acked.remove(user);
        }
        catchUp.remove(user);
        lag.forget(user);
        listener.deleted(user, seq);
    }
}
