// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.MailboxId;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.ModSeq;
import dev.cairn.store.Results.AclEntry;
import dev.cairn.store.Results.Tombstone;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.Uid;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import static dev.cairn.store.rocks.UserState.existing;

/**
 * A user's reads straight from the slot, outside the write lock: message records, tombstones
 * (QRESYNC's VANISHED), a mailbox's ACL, and the index scan that opens a mailbox view.
 */
final class MessageReads {
    private final UserState user;
    private final RocksSlotStore slot;
    private final int id;

    MessageReads(UserState user) {
        this.user = user;
        this.slot = user.slot;
        this.id = user.id;
    }

    Optional<MessageRecord> message(MailboxId mailbox, Uid uid) {
        List<MessageRecord> r = messages(mailbox, List.of(uid));
        return r.isEmpty() ? Optional.empty() : Optional.of(r.getFirst());
    }

    List<MessageRecord> messages(MailboxId mailbox, Collection<Uid> uids) {
        MailboxMeta m = existing(user.live(), mailbox);
        return readMessages(m, sortedUids(uids));
    }

    /** Reads records straight from the DB (the flags' keyword names from the mailbox's table). */
    private List<MessageRecord> readMessages(MailboxMeta m, long[] uids) {
        List<byte[]> keys = new ArrayList<>(uids.length);
        for (long uid : uids) keys.add(Keys.message(id, m.num, uid));
        List<byte[]> idx = slot.multiGet(slot.index, keys);
        List<byte[]> msg = slot.multiGet(slot.messages, keys);
        List<MessageRecord> out = new ArrayList<>();
        for (int i = 0; i < uids.length; i++) {
            if (idx.get(i) == null || msg.get(i) == null) continue;
            out.add(record(m, uids[i], idx.get(i), msg.get(i)));
        }
        return out;
    }

    private MessageRecord record(MailboxMeta m, long uid, byte[] index, byte[] message) {
        ByteBuffer ib = ByteBuffer.wrap(index);
        long modSeq = ib.getLong(), mask = ib.getLong();
        MessageValue v = MessageValue.decode(message);
        return new MessageRecord(m.id, Uid.of(uid), ModSeq.of(modSeq), m.flags(mask), v.internalDate(), v.saveDate(),
                v.size(), v.body(), ChangeApplier.threadName(v.thread()));
    }

    static long[] sortedUids(Collection<Uid> uids) {
        return uids.stream().mapToLong(Uid::value).sorted().distinct().toArray();
    }

    List<Tombstone> expungedSince(MailboxId mailbox, long modSeq) {
        MailboxMeta m = existing(user.live(), mailbox);
        List<Tombstone> out = new ArrayList<>();
        slot.scan(slot.tombstones, Keys.mailboxPrefix(id, m.num), (k, v) -> {
            long ms = Keys.getLong(v);
            if (ms > modSeq) out.add(new Tombstone(Uid.of(Keys.uidOf(k)), ModSeq.of(ms)));
        });
        return out;
    }

    List<AclEntry> acl(String mailbox) {
        MailboxMeta m = existing(user.live(), MailboxNames.canonical(mailbox));
        List<AclEntry> out = new ArrayList<>();
        byte[] prefix = Keys.userTagInt(id, Keys.ACL, m.num);
        slot.scan(slot.meta, prefix, (k, v) -> out.add(new AclEntry(
                new String(k, prefix.length, k.length - prefix.length, StandardCharsets.UTF_8),
                new String(v, StandardCharsets.UTF_8))));
        return out;
    }

    /**
     * Reads the mailbox's index into primitive arrays. Keys and values are read into two reused
     * direct buffers (no byte[] per message), so a 100,000-message mailbox opens in one pass.
     */
    Snapshot loadSnapshot(MailboxMeta m) {
        int cap = (int) Math.min(Math.max(16, m.messages + 16), Integer.MAX_VALUE - 8);
        int[] uids = new int[cap];
        long[] modSeqs = new long[cap], masks = new long[cap];
        int n = 0;
        byte[] prefix = Keys.mailboxPrefix(id, m.num);
        ByteBuffer key = ByteBuffer.allocateDirect(64), value = ByteBuffer.allocateDirect(64);
        java.util.concurrent.locks.Lock open = slot.reading();
        try (org.rocksdb.Slice upper = new org.rocksdb.Slice(Keys.after(prefix));
             org.rocksdb.ReadOptions ro = new org.rocksdb.ReadOptions().setIterateUpperBound(upper).setReadaheadSize(2 << 20);
             org.rocksdb.RocksIterator it = slot.db.newIterator(slot.index, ro)) {
            for (it.seek(prefix); it.isValid(); it.next()) {
                key.clear();
                value.clear();
                if (it.key(key) != 12 || it.value(value) != 16) {
                    throw new StoreException(Reason.UNAVAILABLE, "corrupt index entry in " + m.name);
                }
                if (n == uids.length) {
                    uids = java.util.Arrays.copyOf(uids, n * 2);
                    modSeqs = java.util.Arrays.copyOf(modSeqs, n * 2);
                    masks = java.util.Arrays.copyOf(masks, n * 2);
                }
                uids[n] = key.getInt(8);
                modSeqs[n] = value.getLong(0);
                masks[n] = value.getLong(8);
                n++;
            }
            it.status();
        } catch (org.rocksdb.RocksDBException e) {
            throw new StoreException(Reason.UNAVAILABLE, "read failed: " + e.getMessage(), e);
        } finally {
            open.unlock();
        }
        return Snapshot.of(m.info(), m.keywords, uids, modSeqs, masks, n);
    }
}
