// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * One channel's view of the users the master deleted, so that the replica's answer acknowledges a
 * deletion, and of the users created again, so that nothing the replica said of an earlier life
 * counts for the new one.
 *
 * <p>A replica that let go of a user (it applied the user's {@code UserDeleted} record, or the drop
 * a channel sends for a user gone here) reports the user's seq as 0, as for a user it never had:
 * its Ack cannot carry the deletion's seq, and the master's wait for that seq would run out. The
 * master matches it instead: the replica answers frames in order, so an Ack of 0 for a user deleted
 * here at seq N that answers a frame sent after the deletion says the replica lacks the user now,
 * and nothing sent earlier gives it back (an image of the user starts only while the user is here):
 * it confirms N. The confirmation is kept apart from the acknowledged seqs and counts only while
 * the user is not here: a user created again, or moved back, starts at a lower seq, and its new
 * commits must wait for the replica's own Ack of them.
 *
 * <p>Frames are numbered by the channel across its connections (those that await an answer: each
 * gets exactly one Ack or ImageWants, in order). Thread-safe: the committing threads, the channel's
 * sender and reader call it.
 */
final class UserDeletions {
    /** A deletion at {@code seq} not confirmed yet; frames up to {@code lastFrameBefore} left before it. */
    private record Pending(long seq, long lastFrameBefore) {}

    private final Map<String, Pending> pending = new HashMap<>();
    /** Users whose deletion the replica confirmed: the deletion's seq. */
    private final Map<String, Long> confirmed = new HashMap<>();
    /** Users created here again: answers to frames up to this one speak of an earlier life. */
    private final Map<String, Long> reborn = new HashMap<>();

    /** A commit of the user: its deletion (at seq), or its first commit here (previous seq 0: created). */
    synchronized void committed(String user, long seq, boolean deletes, boolean creates, long framesSent) {
        if (deletes) {
            pending.put(user, new Pending(seq, framesSent));
            confirmed.remove(user); // of an earlier deletion: never of this one
        } else if (creates) {
            pending.remove(user);
            confirmed.remove(user);
            reborn.put(user, framesSent);
        }
    }

    /** Whether an answer to frame number {@code frame} speaks of an earlier life of the user (to be ignored). */
    synchronized boolean ofEarlierLife(String user, long frame) {
        Long mark = reborn.get(user);
        if (mark == null) return false;
        if (frame <= mark) return true;
        reborn.remove(user); // every later answer is of this life
        return false;
    }

    /**
     * The replica answered frame number {@code frame} with seq 0 for the user: the seq of the
     * deletion this confirms, or 0 (none pending, or the frame left before the deletion). Not
     * asked whether the user is here: the deletion's commit registers it (pending) a moment
     * before the slot stops listing the user, and the replica may answer within that moment.
     */
    synchronized long confirms(String user, long frame) {
        Pending p = pending.get(user);
        if (p == null || frame <= p.lastFrameBefore()) return 0;
        pending.remove(user);
        confirmed.put(user, p.seq());
        return p.seq();
    }

    /**
     * A new connection: the replica's positions list {@code atReplica}; pending deletions of users
     * it does not list are confirmed (user to the deletion's seq).
     */
    synchronized Map<String, Long> absentAtReplica(Set<String> atReplica) {
        Map<String, Long> out = new HashMap<>();
        for (var e : Map.copyOf(pending).entrySet()) {
            if (atReplica.contains(e.getKey())) continue;
            pending.remove(e.getKey());
            confirmed.put(e.getKey(), e.getValue().seq());
            out.put(e.getKey(), e.getValue().seq());
        }
        return out;
    }

    /** The seq of the user's deletion the replica confirmed (0: none); the caller checks the user is still not here. */
    synchronized long confirmed(String user) { return confirmed.getOrDefault(user, 0L); }

    /** The connection is gone: no answer to an earlier frame can come any more. */
    synchronized void disconnected() { reborn.clear(); }
}
