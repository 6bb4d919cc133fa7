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
     * Records of one channel, in (user id, seq) order: for a channel sender that ships every user
     * hashed onto it. {@code after} is where the previous call ended (null to start).
     */
    Batch readChannel(int channel, Position after, int max);

    /** Drops the user's records with seq <= uptoSeq (once every replica has them). Nothing calls it yet. */
    void prune(String user, long uptoSeq);

    /** The lowest seq still kept for the user (1 until pruned; highest+1 when all pruned). */
    long firstSeq(String user);

    record Position(int userId, long seq) {}

    record Batch(List<ChangeRecord> records, Position end) {}
}
