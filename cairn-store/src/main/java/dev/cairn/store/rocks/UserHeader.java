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
     * A UIDVALIDITY above every one this user ever had: time-based (seconds), so a user deleted
     * and created again still gets higher ones, and strictly increasing within the user.
     */
    long nextUidValidity() {
        long now = System.currentTimeMillis() / 1000;
        lastUidValidity = Math.max(lastUidValidity + 1, now);
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
