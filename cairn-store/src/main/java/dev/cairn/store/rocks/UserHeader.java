// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import java.nio.ByteBuffer;

/**
 * A user's counters, rewritten by every commit of the user (its seq moves each time): the
 * change-log sequence (= highest MODSEQ), the next mailbox number, the last UIDVALIDITY given,
 * quota usage, and the next thread number.
 */
final class UserHeader {
    private static final int VERSION = 1;
    long seq;
    int nextMailbox;
    long lastUidValidity;
    long storageUsed, messagesUsed;
    long nextThread;

    UserHeader copy() {
        UserHeader h = new UserHeader();
        h.seq = seq; h.nextMailbox = nextMailbox; h.lastUidValidity = lastUidValidity;
        h.storageUsed = storageUsed; h.messagesUsed = messagesUsed; h.nextThread = nextThread;
        return h;
    }

    /**
     * UIDVALIDITYs a master of one epoch hands out are congruent to its epoch modulo this: two
     * masters of different epochs (an unclean promotion, a split brain) never choose the same one
     * for a user, so a client never sees one UIDVALIDITY name two different mailboxes' UIDs.
     */
    static final int EPOCH_RESIDUES = 16;

    /**
     * A UIDVALIDITY above every one this user ever had: time-based (seconds), so a user deleted
     * and created again still gets higher ones, strictly increasing within the user, and congruent
     * to the epoch of the master that chooses it ({@link #EPOCH_RESIDUES}).
     */
    long nextUidValidity(long epoch) {
        long now = System.currentTimeMillis() / 1000;
        long v = Math.max(lastUidValidity + 1, now);
        lastUidValidity = v + Math.floorMod(epoch - v, EPOCH_RESIDUES);
        return lastUidValidity;
    }

    byte[] encode() {
        return ByteBuffer.allocate(1 + 8 + 4 + 8 * 4).put((byte) VERSION).putLong(seq).putInt(nextMailbox)
                .putLong(lastUidValidity).putLong(storageUsed).putLong(messagesUsed).putLong(nextThread).array();
    }

    static UserHeader decode(byte[] b) {
        ByteBuffer in = ByteBuffer.wrap(b);
        if (in.get() != VERSION) throw new IllegalStateException("user header version");
        UserHeader h = new UserHeader();
        h.seq = in.getLong(); h.nextMailbox = in.getInt(); h.lastUidValidity = in.getLong();
        h.storageUsed = in.getLong(); h.messagesUsed = in.getLong(); h.nextThread = in.getLong();
        return h;
    }
}
