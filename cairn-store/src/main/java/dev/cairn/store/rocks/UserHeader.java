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
     * and created again still gets higher ones, and strictly increasing within the user; and
     * congruent to {@code slotClass} modulo {@code classes}, so two slots of a store (each its own
     * class) never pick the same one, whatever their clocks (a replica promoted without knowing
     * what its master gave).
     */
    long nextUidValidity(int slotClass, int classes) {
        long now = System.currentTimeMillis() / 1000;
        long v = Math.max(lastUidValidity + 1, now);
        v += Math.floorMod(slotClass - v, (long) classes);
        lastUidValidity = v;
        return v;
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
