// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.replication;

import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxId;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.ChangeRecord;
import java.util.Map;

/** Called by the store around every local commit; set by the replication module on a master. */
public interface CommitHook {
    /**
     * Before the commit is written, under the user's lock: may block to reserve UIDs and MODSEQs
     * on a replica; throws {@link StoreException} (UNAVAILABLE) to refuse the commit, or
     * {@link UidWindowPassed} to have the store give mailboxes a new UIDVALIDITY first.
     *
     * @param highestUids for every mailbox the commit touches, the highest UID it has given out (uidNext - 1);
     *                    a mailbox whose UIDVALIDITY the commit changes is left out (its new UIDs start a new count)
     */
    void beforeCommit(String user, long seq, Map<MailboxId, Long> highestUids);

    /**
     * After the commit is durable, still under the user's lock (so in seq order per user); must
     * not block. {@code previous} is the user's seq before this commit (no record lies between),
     * {@code encoded} the record as the change log holds it, {@code bodies} the bodies the commit
     * had in memory (those it appended), so a master can ship them without reading them back.
     */
    void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> bodies);

    /**
     * Instead of {@link #committed}: the commit that {@link #beforeCommit} let through wrote
     * nothing (the slot was fenced while it waited), still under the user's lock; must not block.
     */
    default void abandoned(String user) { }

    /** After the user's lock is released, before the caller gets its answer (sync mode waits here). */
    void awaitReplicated(String user, long seq);

    /**
     * Just before a protocol answers a write that returned: throws {@link StoreException}
     * (UNAVAILABLE) when this node may no longer acknowledge it (a master whose cluster lease
     * lapsed, or a store that moved, since {@link #awaitReplicated}). The last look, as late as the
     * answer can be: a node paused between it and the answer still answers late.
     */
    default void confirmAcknowledgement() { }
}
