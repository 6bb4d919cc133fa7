// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import dev.cairn.store.Results.FlagUpdate;
import java.util.List;

/**
 * A committed change to one mailbox, pushed to every session that has the mailbox's view open,
 * in commit order, after the change is durable. Listeners only queue it: the session reports it
 * to its client at the moments RFC 9051 §7 allows (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS).
 */
public sealed interface MailboxChange {
    /** The mailbox's HIGHESTMODSEQ after this change. */
    long highestModSeq();

    /** New messages, in ascending UID order. */
    record Appended(List<MessageRecord> messages, long highestModSeq) implements MailboxChange {}

    record Expunged(List<Uid> uids, long highestModSeq) implements MailboxChange {}

    record FlagsChanged(List<FlagUpdate> updates, long highestModSeq) implements MailboxChange {}

    /** The mailbox was renamed (its id, UIDVALIDITY and messages stay). */
    record Renamed(String newName, long highestModSeq) implements MailboxChange {}

    /**
     * The mailbox got a new UIDVALIDITY (a master without a replica, see Change.UidValidityChanged):
     * sessions that have it selected must leave it, as their client's UIDs are now those of the old one.
     */
    record UidValidityChanged(long uidValidity, long highestModSeq) implements MailboxChange {}

    /** The mailbox was deleted: sessions that have it selected must leave it (BYE or NO on next command). */
    record Deleted(long highestModSeq) implements MailboxChange {}

    @FunctionalInterface
    interface Listener {
        /** Called on the committing thread; must not block or call back into the store. */
        void changed(MailboxChange change);
    }
}
