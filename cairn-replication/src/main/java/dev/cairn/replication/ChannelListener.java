// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.util.List;

/**
 * What a {@link ChannelSender} tells its owner ({@link StoreMaster}, one listener per replica):
 * the replica's progress for the sync-mode wait and the metrics, and the events the store acts on
 * or reports. Called from the channel's threads; an implementation must not block.
 */
interface ChannelListener {
    /** The replica has the user's changes up to seq (durably applied). */
    void acked(String user, long seq);

    /**
     * The replica let go of the user, which this master deleted at seq (see {@link UserDeletions}):
     * the deletion is acknowledged, without a seq of the user to say so (the replica reports 0).
     */
    void deleted(String user, long seq);

    /** A commit reached the replica this long after it was made here (the delay histogram). */
    void delay(long nanos);

    /** Nothing is in flight and nothing waits to be shipped on this channel. */
    void caughtUp();

    /** The replica knows a newer epoch: this node must stop writing for the store. The channel has stopped. */
    void newerEpoch(long epoch);

    /** The replica's copy of the user holds changes this master never had (up to seq, written in epoch): they are merged. */
    void diverged(String user, long seq, long epoch);

    /** The replica's diverged records of the user were merged here; the report's lines. */
    void reconciled(String user, int records, List<String> lines);
}
