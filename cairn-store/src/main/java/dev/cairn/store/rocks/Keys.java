// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Binary, big-endian keys. Everything of one user starts with its 4-byte user id, so a user's
 * data is contiguous and one prefix scan (or one deleteRange) covers it. User id 0 holds the
 * slot's own records (user name registry, counters).
 *
 * <pre>
 * meta       [user][tag][...]       tag: HEADER, MAILBOX+mbx, SUBSCRIPTION+name, ACL+mbx+identifier,
 *                                   THREAD+message-id, NAME, RECENT+mbx (first UID not yet claimed
 *                                   as \Recent: this node's, never in the change log), ACCOUNT (16, Accounts);
 *                                   user 0 (the slot's own records; every tag taken, and whose):
 *                                     1 USER_BY_NAME+name, 2 NEXT_USER, 3 LAST_UIDVALIDITY_OF_DELETED+name (here),
 *                                     10 EPOCH, 11 RESERVATION+user, 12 ROLE, 22 SYNC_STATE,
 *                                     23 REPLICA_STATE+replica (RocksSlotReplication),
 *                                     20 ADDRESS_OWNER+address (the users whose accounts list it, Accounts),
 *                                     24 STAGED+id (user copies to remove, ImageGarbage);
 *                                     16 is left free (ACCOUNT on a user); a new tag takes 25 or above
 * index      [user][mbx][uid]       -> modseq(8) flags(8)           (scanned to open a view)
 * messages   [user][mbx][uid]       -> internal date, save date, size, body, thread
 * tombstones [user][mbx][uid]       -> modseq(8)
 * changelog  [channel(2)][user][seq(8)] -> ChangeRecord
 * bodies     [sha256]               -> BodyLog.Location: segment(4) offset(8) length(4)
 *            (before 2026-12-05: [sha256][chunk(4)] -> the body, moved at open)
 * parsed     [sha256]               -> ParsedMessage
 * refcounts  [sha256]               -> count(8)
 * </pre>
 */
final class Keys {
    private Keys() {}

    static final byte HEADER = 1, MAILBOX = 2, SUBSCRIPTION = 3, ACL = 4, THREAD = 5, NAME = 6, RECENT = 7;
    static final byte USER_BY_NAME = 1, NEXT_USER = 2, LAST_UIDVALIDITY_OF_DELETED = 3;

    static byte[] user(int user) { return ByteBuffer.allocate(4).putInt(user).array(); }

    static byte[] userTag(int user, byte tag) { return ByteBuffer.allocate(5).putInt(user).put(tag).array(); }

    static byte[] userTagInt(int user, byte tag, int n) {
        return ByteBuffer.allocate(9).putInt(user).put(tag).putInt(n).array();
    }

    static byte[] userTagString(int user, byte tag, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(5 + b.length).putInt(user).put(tag).put(b).array();
    }

    static byte[] acl(int user, int mailbox, String identifier) {
        byte[] b = identifier.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(9 + b.length).putInt(user).put(ACL).putInt(mailbox).put(b).array();
    }

    static byte[] mailboxPrefix(int user, int mailbox) { return ByteBuffer.allocate(8).putInt(user).putInt(mailbox).array(); }

    static byte[] message(int user, int mailbox, long uid) {
        return ByteBuffer.allocate(12).putInt(user).putInt(mailbox).putInt((int) uid).array();
    }

    static long uidOf(byte[] messageKey) { return Integer.toUnsignedLong(ByteBuffer.wrap(messageKey, 8, 4).getInt()); }

    static byte[] change(int channel, int user, long seq) {
        return ByteBuffer.allocate(14).putShort((short) channel).putInt(user).putLong(seq).array();
    }

    static byte[] changePrefix(int channel, int user) { return ByteBuffer.allocate(6).putShort((short) channel).putInt(user).array(); }

    static byte[] body(BodyId body) { return body.bytes(); }

    /** Slots written before 2026-12-05 kept each body here, as [sha256][chunk(4)] -> up to 1 MiB. */
    static byte[] legacyChunk(BodyId body, int chunk) { return ByteBuffer.allocate(BodyId.LENGTH + 4).put(body.bytes()).putInt(chunk).array(); }

    /** The smallest key above every key starting with the prefix (for deleteRange and iterate upper bounds). */
    static byte[] after(byte[] prefix) {
        byte[] b = Arrays.copyOf(prefix, prefix.length);
        for (int i = b.length - 1; i >= 0; i--) {
            if (b[i] != (byte) 0xFF) { b[i]++; return Arrays.copyOf(b, i + 1); }
        }
        throw new IllegalArgumentException("no key after an all-0xFF prefix");
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    static long getLong(byte[] b) { return ByteBuffer.wrap(b).getLong(); }

    static byte[] longBytes(long v) { return ByteBuffer.allocate(8).putLong(v).array(); }

    static byte[] intBytes(int v) { return ByteBuffer.allocate(4).putInt(v).array(); }
}
