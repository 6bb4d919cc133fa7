// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.ModSeq;
import dev.cairn.store.NewMessage;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.Results.CopyResult;
import dev.cairn.store.Results.ExpungeResult;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.Results.FlagUpdate;
import dev.cairn.store.Results.StoreFlagsResult;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.Uid;
import dev.cairn.store.changelog.Change;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import static dev.cairn.store.rocks.UserState.existing;

/**
 * A user's commands on messages: APPEND, COPY, MOVE, STORE (flags) and EXPUNGE. Each validates,
 * checks the quota, hands out UIDs, MODSEQ and thread ids and builds its change under the user's
 * write lock ({@link UserState#write}); what the change does to the slot is the {@link ChangeApplier}'s.
 */
final class MessageCommands {
    private final UserState user;
    private final RocksSlotStore slot;
    private final int id;
    private final String name;

    MessageCommands(UserState user) {
        this.user = user;
        this.slot = user.slot;
        this.id = user.id;
        this.name = user.name;
    }

    AppendResult append(String mailbox, List<NewMessage> messages) {
        String canonical = MailboxNames.canonical(mailbox);
        existing(user.live(), canonical);
        if (messages.isEmpty()) throw new StoreException(Reason.INVALID_ARGUMENT, "nothing to append");
        List<PreparedBody> prepared = new ArrayList<>(messages.size());
        for (NewMessage nm : messages) {
            PreparedBody p = PreparedBody.read(nm.body(), slot.config().maxMessageSize());
            if (!slot.hasParsed(p.id)) p.parsed(); // parse outside the lock; skipped when the slot has it
            prepared.add(p);
        }
        return user.write(t -> {
            MailboxMeta m = t.byName(canonical);
            if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + canonical);
            long bytes = 0;
            for (PreparedBody p : prepared) bytes += p.bytes.length;
            checkQuota(t, bytes, prepared.size());
            MailboxMeta w = t.mailbox(m);
            List<Uid> uids = new ArrayList<>();
            List<Change.AppendedMessage> appended = new ArrayList<>();
            for (int i = 0; i < prepared.size(); i++) {
                PreparedBody p = prepared.get(i);
                NewMessage nm = messages.get(i);
                t.bodies.put(p.id, p);
                long uid = nextUid(w);
                Flags stored = w.flags(w.mask(nm.flags(), true));
                Change.AppendedMessage a = new Change.AppendedMessage(uid, stored, nm.internalDate(), t.now,
                        p.bytes.length, p.id, ChangeApplier.threadName(threadOf(t, p)));
                slot.applier.addMessage(t, w, a);
                uids.add(Uid.of(uid));
                appended.add(a);
            }
            t.add(new Change.MessagesAppended(w.id, appended));
            return new AppendResult(w.id, w.uidValidity, uids, ModSeq.of(t.seq));
        });
    }

    private void checkQuota(Txn t, long bytes, long count) {
        QuotaPolicy.Limits l = slot.config().quota().limits(name);
        if (l.storageBytes() >= 0 && t.header.storageUsed + bytes > l.storageBytes()) {
            throw new StoreException(Reason.OVER_QUOTA, "storage quota of " + l.storageBytes() + " octets would be exceeded");
        }
        if (l.messages() >= 0 && t.header.messagesUsed + count > l.messages()) {
            throw new StoreException(Reason.OVER_QUOTA, "message quota of " + l.messages() + " would be exceeded");
        }
    }

    /** The UID the next message of the mailbox gets. */
    private static long nextUid(MailboxMeta w) {
        long uid = w.uidNext;
        if (uid > Uid.MAX) throw new StoreException(Reason.CANNOT, "mailbox " + w.name + " has used up its UIDs");
        return uid;
    }

    /**
     * THREADID (RFC 8474 §5.2): the thread of the first known Message-ID this message refers to,
     * else a new thread. The message's own Message-ID is remembered for later replies.
     */
    private long threadOf(Txn t, PreparedBody p) {
        if (p.parsed == null) p.parsed = slot.applier.parsed(t, p.id); // the slot's parse, when it has one
        for (String ref : p.parsed.references()) {
            String key = ChangeApplier.messageIdKey(ref);
            Long thread = key == null ? null : slot.applier.thread(t, key);
            if (thread != null) return thread;
        }
        return t.header.nextThread++;
    }

    CopyResult copy(MailboxId source, Collection<Uid> uids, String destination) {
        return copyOrMove(source, uids, destination, false);
    }

    CopyResult move(MailboxId source, Collection<Uid> uids, String destination) {
        return copyOrMove(source, uids, destination, true);
    }

    private CopyResult copyOrMove(MailboxId source, Collection<Uid> uids, String destination, boolean move) {
        String dst = MailboxNames.canonical(destination);
        long[] wanted = MessageReads.sortedUids(uids);
        return user.write(t -> {
            MailboxMeta src = existing(t.before, source);
            MailboxMeta target = t.byName(dst);
            if (target == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + dst);
            return copyInto(t, src, wanted, target, move);
        });
    }

    /** Copies (or moves) the wanted messages of src into target within t; the rename of INBOX moves them all. */
    CopyResult copyInto(Txn t, MailboxMeta src, long[] wanted, MailboxMeta target, boolean move) {
        List<byte[]> keys = new ArrayList<>();
        for (long uid : wanted) keys.add(Keys.message(id, src.num, uid));
        List<byte[]> idx = slot.multiGet(slot.index, keys), msg = slot.multiGet(slot.messages, keys);
        List<Uid> from = new ArrayList<>(), to = new ArrayList<>();
        List<Change.AppendedMessage> appended = new ArrayList<>();
        long bytes = 0;
        int count = 0;
        for (int i = 0; i < wanted.length; i++) {
            if (idx.get(i) != null && msg.get(i) != null) { bytes += MessageValue.decode(msg.get(i)).size(); count++; }
        }
        if (!move) checkQuota(t, bytes, count);
        MailboxMeta w = t.mailbox(target);
        MailboxMeta s = t.mailbox(src);
        List<Long> gone = new ArrayList<>();
        for (int i = 0; i < wanted.length; i++) {
            if (idx.get(i) == null || msg.get(i) == null) continue;
            ByteBuffer ib = ByteBuffer.wrap(idx.get(i));
            ib.getLong();
            long srcMask = ib.getLong();
            Flags flags = s.flags(srcMask);
            MessageValue mv = MessageValue.decode(msg.get(i));
            long uid = nextUid(w);
            long mask = w.mask(flags, true);
            Change.AppendedMessage a = new Change.AppendedMessage(uid, w.flags(mask), mv.internalDate(), t.now, mv.size(), mv.body(),
                    ChangeApplier.threadName(mv.thread()));
            slot.applier.addMessage(t, w, a);
            from.add(Uid.of(wanted[i]));
            to.add(Uid.of(uid));
            appended.add(a);
            if (move) {
                slot.applier.removeMessage(t, s, wanted[i], srcMask, mv);
                gone.add(wanted[i]);
            }
        }
        if (from.isEmpty()) {
            // Nothing to copy: nothing changes (the mailboxes touched stay as they were).
            t.touched.remove(w.num);
            t.touched.remove(s.num);
            if (!t.added.isEmpty()) return new CopyResult(target.id, target.uidValidity, from, to, ModSeq.of(t.seq));
            return new CopyResult(target.id, target.uidValidity, from, to, ModSeq.of(Math.max(1, t.before.header().seq)));
        }
        Change.MessagesAppended copies = new Change.MessagesAppended(w.id, appended);
        if (!move) {
            t.add(copies);
        } else {
            // The record lists the copies, then the expunge; the views are told the expunge first:
            // a MOVE within one mailbox is told as Dovecot and Cyrus tell it, EXPUNGE first, then
            // EXISTS (RFC 6851 §3.3: no intermediate state). A replica's views follow the record.
            Change.MessagesExpunged moved = new Change.MessagesExpunged(s.id, gone);
            t.changes.add(copies);
            t.changes.add(moved);
            ChangePublisher.publish(t, moved);
            ChangePublisher.publish(t, copies);
        }
        return new CopyResult(w.id, w.uidValidity, from, to, ModSeq.of(t.seq));
    }

    StoreFlagsResult storeFlags(MailboxId mailbox, Collection<Uid> uids, FlagOp op, Flags flags,
                                                 OptionalLong unchangedSince) {
        long[] wanted = MessageReads.sortedUids(uids);
        return user.write(t -> {
            MailboxMeta m = existing(t.before, mailbox);
            List<byte[]> keys = new ArrayList<>();
            for (long uid : wanted) keys.add(Keys.message(id, m.num, uid));
            List<byte[]> idx = slot.multiGet(slot.index, keys);
            MailboxMeta w = t.mailbox(m);
            List<FlagUpdate> updated = new ArrayList<>();
            List<Uid> modified = new ArrayList<>();
            List<Change.FlagState> states = new ArrayList<>();
            for (int i = 0; i < wanted.length; i++) {
                if (idx.get(i) == null) continue;
                ByteBuffer ib = ByteBuffer.wrap(idx.get(i));
                long modSeq = ib.getLong(), mask = ib.getLong();
                if (unchangedSince.isPresent() && modSeq > unchangedSince.getAsLong()) {
                    modified.add(Uid.of(wanted[i]));
                    continue;
                }
                Flags current = w.flags(mask);
                Flags next = switch (op) {
                    case ADD -> current.plus(flags);
                    case REMOVE -> current.minus(flags);
                    case REPLACE -> flags;
                };
                long newMask = w.mask(next, true);
                if (newMask == mask) {
                    // Unchanged: reported (RFC 7162 §3.2 wants every matched message in FETCH when
                    // UNCHANGEDSINCE is given) but its MODSEQ stays.
                    if (unchangedSince.isPresent()) updated.add(new FlagUpdate(Uid.of(wanted[i]), ModSeq.of(modSeq), current));
                    continue;
                }
                slot.applier.setFlags(t, w, keys.get(i), mask, newMask);
                Flags stored = w.flags(newMask);
                updated.add(new FlagUpdate(Uid.of(wanted[i]), ModSeq.of(t.seq), stored));
                states.add(new Change.FlagState(wanted[i], stored));
            }
            if (states.isEmpty()) {
                t.touched.remove(m.num);
                return new StoreFlagsResult(updated, modified, 0);
            }
            w.highestModSeq = t.seq;
            t.add(new Change.FlagsSet(w.id, states));
            return new StoreFlagsResult(updated, modified, t.seq);
        });
    }

    ExpungeResult expunge(MailboxId mailbox, Collection<Uid> uids) {
        long[] wanted = MessageReads.sortedUids(uids);
        return user.write(t -> {
            MailboxMeta m = existing(t.before, mailbox);
            List<byte[]> keys = new ArrayList<>();
            for (long uid : wanted) keys.add(Keys.message(id, m.num, uid));
            List<byte[]> idx = slot.multiGet(slot.index, keys), msg = slot.multiGet(slot.messages, keys);
            MailboxMeta w = t.mailbox(m);
            List<Long> gone = new ArrayList<>();
            for (int i = 0; i < wanted.length; i++) {
                if (idx.get(i) == null || msg.get(i) == null) continue;
                ByteBuffer ib = ByteBuffer.wrap(idx.get(i));
                ib.getLong();
                slot.applier.removeMessage(t, w, wanted[i], ib.getLong(), MessageValue.decode(msg.get(i)));
                gone.add(wanted[i]);
            }
            if (gone.isEmpty()) {
                t.touched.remove(m.num);
                return new ExpungeResult(List.of(), ModSeq.of(Math.max(1, m.highestModSeq)));
            }
            t.add(new Change.MessagesExpunged(w.id, gone));
            return new ExpungeResult(gone.stream().map(Uid::of).toList(), ModSeq.of(t.seq));
        });
    }
}
