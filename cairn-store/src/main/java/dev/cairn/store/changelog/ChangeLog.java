// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.changelog;

import java.util.List;

/**
 * Read access to a slot's change log, for replication. Records are written by the store in the
 * same write batch as the change they describe, so the log never says more or less than what
 * is durable. Each user's records are numbered 1, 2, 3... without gaps.
 */
public interface ChangeLog {
    /** The user's records with seq >= fromSeq, in order, at most max of them. */
    List<ChangeRecord> read(String user, long fromSeq, int max);

    /**
     * Records of one channel in key order, (user id, seq): a scan for catch-up (what is there for
     * every user of the channel), not a tail. A user with a lower id that commits later lands
     * behind a position already passed; to follow new commits, {@link #listen} and read per user.
     * {@code after} is where the previous call ended (null to start).
     */
    Batch readChannel(int channel, Position after, int max);

    /**
     * Registers a listener told of every commit after it is durable, in commit order for each
     * user: the channel sender's cue to {@link #read} that user from the seq it has shipped.
     * Called on the committing thread (under the user's write lock): it must only queue.
     */
    AutoCloseable listen(Listener listener);

    @FunctionalInterface
    interface Listener {
        void committed(int channel, String user, long seq);
    }

    /** Drops the user's records with seq <= uptoSeq (once every replica has them). Nothing calls it yet. */
    void prune(String user, long uptoSeq);

    /** The lowest seq still kept for the user (1 until pruned; highest+1 when all pruned). */
    long firstSeq(String user);

    record Position(int userId, long seq) {}

    record Batch(List<ChangeRecord> records, Position end) {}
}
