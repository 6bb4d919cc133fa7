// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.mime.MessageIds;
import dev.cairn.store.mime.ParsedCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.rocksdb.ColumnFamilyHandle;

/**
 * What each change record does to a slot, written once. The master's commands ({@link UserState})
 * validate, hand out UIDs and MODSEQs, build the change and write it through these methods; a
 * replica ({@link ReplicaApplier}) applies a master's record with {@link #apply}, which reads what
 * the record refers to and calls the same methods. So the write ops, the counters, the reference
 * counts and the in-memory mailbox copies of a commit come from one place on both sides.
 */
final class ChangeApplier {
    private final RocksSlotStore slot;

    ChangeApplier(RocksSlotStore slot) { this.slot = slot; }

    // --- a master's record, change by change ---------------------------------------------------------

    /**
     * Applies one change of a record to the commit and adds it there (a replica's apply, and a
     * master's user deletion, vanish and promotion jump). What the record names must be there: a
     * mailbox that is not throws NeedsResync.
     */
    void apply(Txn t, Change c) {
        write(t, c);
        t.add(c);
    }

    private void write(Txn t, Change c) {
        switch (c) {
            case Change.UserCreated _ -> { } // the bare user exists already (ReplicaApplier.createBare)
            case Change.UserDeleted _ -> deleteUser(t);
            case Change.MailboxCreated m -> {
                if (find(t, m.id()) == null) createMailbox(t, m);
            }
            case Change.MailboxRenamed m -> renameMailbox(t, t.mailbox(existing(t, m.id())), m.newName());
            case Change.MailboxDeleted m -> dropMailbox(t, existing(t, m.id()));
            case Change.MessagesAppended a -> {
                MailboxMeta w = t.mailbox(existing(t, a.mailbox()));
                for (Change.AppendedMessage m : a.messages()) {
                    long mask = addMessage(t, w, m);
                    Pending p = t.pending();
                    ByteBuffer key = ByteBuffer.wrap(t.key(w, m.uid()));
                    p.index.put(key, new long[]{t.seq, mask});
                    p.messages.put(key, message(m));
                    p.removed.remove(key);
                }
            }
            case Change.FlagsSet f -> {
                MailboxMeta w = t.mailbox(existing(t, f.mailbox()));
                for (Change.FlagState st : f.messages()) {
                    byte[] key = t.key(w, st.uid());
                    long[] idx = index(t, key);
                    if (idx == null) continue;
                    long newMask = w.mask(st.flags(), true);
                    setFlags(t, w, key, idx[1], newMask);
                    t.pending().index.put(ByteBuffer.wrap(key), new long[]{t.seq, newMask});
                }
                w.highestModSeq = t.seq;
            }
            case Change.MessagesExpunged e -> {
                MailboxMeta w = t.mailbox(existing(t, e.mailbox()));
                for (long uid : e.uids()) {
                    byte[] key = t.key(w, uid);
                    long[] idx = index(t, key);
                    MessageValue mv = message(t, key);
                    if (idx != null && mv != null) removeMessage(t, w, uid, idx[1], mv);
                    else if (!t.pending().removed.contains(ByteBuffer.wrap(key)) && slot.get(slot.tombstones, key) == null) {
                        // A UID another master handed out that never got here (see vanish): remembered as
                        // expunged, so QRESYNC clients that saw it are told it is gone.
                        t.ops.put(slot.tombstones, key, Keys.longBytes(t.seq));
                        w.uidNext = Math.max(w.uidNext, uid + 1);
                    } else {
                        continue;
                    }
                    t.pending().removed.add(ByteBuffer.wrap(key));
                }
                w.highestModSeq = t.seq;
            }
            case Change.Subscribed sub -> subscribe(t, sub.name(), true);
            case Change.Unsubscribed sub -> subscribe(t, sub.name(), false);
            case Change.AclSet acl -> setAcl(t, existing(t, acl.mailbox()), acl.identifier(), acl.rights());
            case Change.UidNextRaised r -> raiseUidNext(t, t.mailbox(existing(t, r.mailbox())), r.uidNext());
            case Change.AccountSet a -> setAccount(t, a.account());
            case Change.AccountRemoved _ -> setAccount(t, null);
            case Change.UidValidityChanged v -> changeUidValidity(t, t.mailbox(existing(t, v.mailbox())), v.uidValidity());
        }
    }

    /** Index entries and messages this commit wrote or removed, for later changes of the same commit. */
    static final class Pending {
        final Map<ByteBuffer, long[]> index = new HashMap<>();
        final Map<ByteBuffer, MessageValue> messages = new HashMap<>();
        final Set<ByteBuffer> removed = new HashSet<>();
    }

    /** The message's (modseq, flag mask) as the commit sees it, or null. */
    private long[] index(Txn t, byte[] key) {
        ByteBuffer k = ByteBuffer.wrap(key);
        if (t.pending().removed.contains(k)) return null;
        long[] v = t.pending().index.get(k);
        if (v != null) return v;
        byte[] b = slot.get(slot.index, key);
        if (b == null) return null;
        ByteBuffer bb = ByteBuffer.wrap(b);
        return new long[]{bb.getLong(), bb.getLong()};
    }

    private MessageValue message(Txn t, byte[] key) {
        ByteBuffer k = ByteBuffer.wrap(key);
        if (t.pending().removed.contains(k)) return null;
        MessageValue v = t.pending().messages.get(k);
        if (v != null) return v;
        byte[] b = slot.get(slot.messages, key);
        return b == null ? null : MessageValue.decode(b);
    }

    /** The mailbox as the commit sees it (new, changed, or as before), or null. */
    private static MailboxMeta find(Txn t, MailboxId id) {
        for (MailboxMeta m : t.added.values()) if (m.id.equals(id) && !t.removed.contains(m.num)) return m;
        for (MailboxMeta m : t.touched.values()) if (m.id.equals(id) && !t.removed.contains(m.num)) return m;
        MailboxMeta m = t.before.byId(id);
        return m == null || t.removed.contains(m.num) ? null : m;
    }

    static MailboxMeta existing(Txn t, MailboxId id) {
        MailboxMeta m = find(t, id);
        if (m == null) throw new dev.cairn.store.replication.NeedsResync("mailbox " + id + " is not on this slot");
        return m;
    }

    // --- the effects, shared by the master's commands and apply ------------------------------------

    /** A new mailbox under the next mailbox number; its id and UIDVALIDITY come with the change. */
    MailboxMeta createMailbox(Txn t, Change.MailboxCreated c) {
        int num = t.header.nextMailbox++;
        MailboxMeta m = new MailboxMeta(num, c.id(), c.name(), c.uidValidity(), 1, t.seq,
                ChangeCodec.specialUseBits(c.specialUse()), 0, 0, 0, 0, new String[0]);
        t.header.lastUidValidity = Math.max(t.header.lastUidValidity, c.uidValidity());
        t.added.put(num, m);
        return m;
    }

    void renameMailbox(Txn t, MailboxMeta w, String newName) {
        w.name = newName;
        w.highestModSeq = t.seq;
    }

    /**
     * Removes a mailbox with everything it holds (messages, their body references, quota usage,
     * tombstones, ACL, \Recent mark) in this batch.
     */
    void dropMailbox(Txn t, MailboxMeta m) {
        int user = t.user().id;
        byte[] prefix = Keys.mailboxPrefix(user, m.num);
        long[] count = {0, 0};
        slot.scan(slot.messages, prefix, (k, v) -> {
            MessageValue mv = MessageValue.decode(v);
            t.ref(mv.body(), -1);
            count[0]++;
            count[1] += mv.size();
        });
        t.header.messagesUsed -= count[0];
        t.header.storageUsed -= count[1];
        byte[] end = Keys.after(prefix);
        t.ops.deleteRange(slot.index, prefix, end);
        t.ops.deleteRange(slot.messages, prefix, end);
        t.ops.deleteRange(slot.tombstones, prefix, end);
        byte[] acl = Keys.userTagInt(user, Keys.ACL, m.num);
        t.ops.deleteRange(slot.meta, acl, Keys.after(acl));
        t.ops.delete(slot.meta, Keys.userTagInt(user, Keys.MAILBOX, m.num));
        t.ops.delete(slot.meta, Keys.userTagInt(user, Keys.RECENT, m.num));
        t.removed.add(m.num);
        t.added.remove(m.num);
        t.afterCommit.add(() -> t.user().forgetRecent(m.num));
    }

    /**
     * Writes one new message into a mailbox (the commit's copy {@code w}) with its counters, body
     * reference and thread; returns its flag mask. The message's own Message-ID joins the user's
     * thread table unless it is there already, so later replies find the thread (RFC 8474 §5.2).
     */
    long addMessage(Txn t, MailboxMeta w, Change.AppendedMessage m) {
        long mask = w.mask(m.flags(), true);
        w.uidNext = Math.max(w.uidNext, m.uid() + 1);
        w.highestModSeq = t.seq;
        w.messages++;
        w.size += m.size();
        if ((mask & Flags.SEEN) == 0) w.unseen++;
        if ((mask & Flags.DELETED) != 0) w.deleted++;
        t.header.messagesUsed++;
        t.header.storageUsed += m.size();
        byte[] key = t.key(w, m.uid());
        t.ops.put(slot.index, key, indexValue(t.seq, mask));
        t.ops.put(slot.messages, key, message(m).encode());
        t.ref(m.body(), 1);
        long thread = threadNumber(m.threadId());
        t.header.nextThread = Math.max(t.header.nextThread, thread + 1);
        ParsedMessage parsed = parsed(t, m.body());
        String own = parsed == null ? null : messageIdKey(parsed.envelope().messageId());
        if (own != null && thread(t, own) == null) {
            t.newThreads.put(own, thread);
            t.ops.put(slot.meta, Keys.userTagString(t.user().id, Keys.THREAD, own), Keys.longBytes(thread));
        }
        return mask;
    }

    private static MessageValue message(Change.AppendedMessage m) {
        return new MessageValue(m.internalDate(), m.saveDate(), m.size(), m.body(), threadNumber(m.threadId()));
    }

    static byte[] indexValue(long modSeq, long mask) { return ByteBuffer.allocate(16).putLong(modSeq).putLong(mask).array(); }

    /** The thread a Message-ID starts or joined, as this commit sees it (its own new ones first), or null. */
    Long thread(Txn t, String messageIdKey) {
        Long thread = t.newThreads.get(messageIdKey);
        if (thread != null) return thread;
        byte[] v = slot.get(slot.meta, Keys.userTagString(t.user().id, Keys.THREAD, messageIdKey));
        return v == null ? null : Keys.getLong(v);
    }

    /** The body's parse: the commit's own (a body it brings), else the slot's; null when neither has one. */
    ParsedMessage parsed(Txn t, BodyId body) {
        PreparedBody p = t.bodies.get(body);
        if (p != null && p.parsed != null) return p.parsed;
        byte[] stored = slot.get(slot.parsed, Keys.body(body));
        if (stored != null) return ParsedCodec.decode(stored);
        return p != null ? p.parsed() : null;
    }

    /** The key a Message-ID has in the thread table: its first id ({@link MessageIds#first}), or null when it has none. */
    static String messageIdKey(String messageId) {
        return MessageIds.first(messageId);
    }

    static String threadName(long thread) { return "T" + Long.toHexString(thread); }

    private static long threadNumber(String threadId) {
        if (threadId == null || threadId.length() < 2) return 0;
        try {
            return Long.parseUnsignedLong(threadId.substring(1), 16);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Removes one message (its flag mask and value as stored) and leaves its tombstone. */
    void removeMessage(Txn t, MailboxMeta w, long uid, long mask, MessageValue mv) {
        byte[] key = t.key(w, uid);
        t.ops.delete(slot.index, key);
        t.ops.delete(slot.messages, key);
        t.ops.put(slot.tombstones, key, Keys.longBytes(t.seq));
        t.ref(mv.body(), -1);
        w.messages--;
        w.size -= mv.size();
        if ((mask & Flags.SEEN) == 0) w.unseen--;
        if ((mask & Flags.DELETED) != 0) w.deleted--;
        w.highestModSeq = t.seq;
        t.header.messagesUsed--;
        t.header.storageUsed -= mv.size();
    }

    /** A message's flags go from one mask to another: its index entry and the \Seen and \Deleted counters. */
    void setFlags(Txn t, MailboxMeta w, byte[] key, long mask, long newMask) {
        if ((mask & Flags.SEEN) == 0 && (newMask & Flags.SEEN) != 0) w.unseen--;
        if ((mask & Flags.SEEN) != 0 && (newMask & Flags.SEEN) == 0) w.unseen++;
        if ((mask & Flags.DELETED) == 0 && (newMask & Flags.DELETED) != 0) w.deleted++;
        if ((mask & Flags.DELETED) != 0 && (newMask & Flags.DELETED) == 0) w.deleted--;
        t.ops.put(slot.index, key, indexValue(t.seq, newMask));
    }

    void subscribe(Txn t, String name, boolean on) {
        if (t.subscriptions == null) t.subscriptions = new TreeSet<>(t.before.subscriptions());
        byte[] key = Keys.userTagString(t.user().id, Keys.SUBSCRIPTION, name);
        if (on) {
            t.subscriptions.add(name);
            t.ops.put(slot.meta, key, new byte[0]);
        } else {
            t.subscriptions.remove(name);
            t.ops.delete(slot.meta, key);
        }
    }

    /** SETACL, or DELETEACL when the rights are empty. */
    void setAcl(Txn t, MailboxMeta m, String identifier, String rights) {
        byte[] key = Keys.acl(t.user().id, m.num, identifier);
        if (rights.isEmpty()) t.ops.delete(slot.meta, key);
        else t.ops.put(slot.meta, key, rights.getBytes(StandardCharsets.UTF_8));
    }

    /** The user's account becomes {@code next} (null: none), its addresses indexed (see {@link Accounts}). */
    private void setAccount(Txn t, dev.cairn.store.Account next) {
        UserState s = t.user();
        dev.cairn.store.Account before = t.account != null ? t.account.orElse(null) : slot.accounts.stored(s.id);
        slot.accounts.write(t.ops, t.addressOwners, s.name, s.id, before, next);
        t.account = java.util.Optional.ofNullable(next);
    }

    /** UIDNEXT only (HIGHESTMODSEQ stays), so master and replicas report the same STATUS. */
    void raiseUidNext(Txn t, MailboxMeta w, long uidNext) {
        w.uidNext = Math.max(w.uidNext, uidNext);
    }

    /** A new UIDVALIDITY for the mailbox (never lower: a record applied twice changes nothing). */
    void changeUidValidity(Txn t, MailboxMeta w, long uidValidity) {
        w.uidValidity = Math.max(w.uidValidity, uidValidity);
        w.highestModSeq = t.seq;
        t.header.lastUidValidity = Math.max(t.header.lastUidValidity, uidValidity);
    }

    // --- users -------------------------------------------------------------------------------------

    /** The counters of a new user: one created again starts above every UIDVALIDITY it had. */
    UserHeader newUserHeader(String user) {
        UserHeader header = new UserHeader();
        header.nextMailbox = 1;
        header.nextThread = 1;
        byte[] lastUv = slot.get(slot.meta, Keys.userTagString(0, Keys.LAST_UIDVALIDITY_OF_DELETED, user));
        if (lastUv != null) header.lastUidValidity = Keys.getLong(lastUv);
        return header;
    }

    /** The id the next user gets (under the slot's user registry lock). */
    int nextUserId() {
        byte[] next = slot.get(slot.meta, Keys.userTag(0, Keys.NEXT_USER));
        return next == null ? 1 : (int) Keys.getLong(next);
    }

    /** Enters the user under {@link #nextUserId} in the registry. */
    void registerUser(WriteOps ops, int id, String user) {
        ops.put(slot.meta, Keys.userTag(0, Keys.NEXT_USER), Keys.longBytes(id + 1L));
        ops.put(slot.meta, Keys.userTagString(0, Keys.USER_BY_NAME, user), Keys.intBytes(id));
        ops.put(slot.meta, Keys.userTag(id, Keys.NAME), user.getBytes(StandardCharsets.UTF_8));
    }

    /** Removes everything of the user in this commit; the change log keeps its records (ending with UserDeleted). */
    private void deleteUser(Txn t) {
        UserState s = t.user();
        setAccount(t, null); // its addresses leave the index
        clearUser(t.ops, s.id, t::ref);
        t.ops.delete(slot.meta, Keys.userTagString(0, Keys.USER_BY_NAME, s.name));
        // Remembered so a user created again under this name starts above every UIDVALIDITY it had.
        t.ops.put(slot.meta, Keys.userTagString(0, Keys.LAST_UIDVALIDITY_OF_DELETED, s.name), Keys.longBytes(t.header.lastUidValidity));
        t.userDeleted = true;
    }

    /** Deletes the user's records in every family but the change log; each message's body loses a reference. */
    void clearUser(WriteOps ops, int id, BiConsumer<BodyId, Long> ref) {
        byte[] prefix = Keys.user(id);
        slot.scan(slot.messages, prefix, (k, v) -> ref.accept(MessageValue.decode(v).body(), -1L));
        byte[] end = Keys.after(prefix);
        for (ColumnFamilyHandle cf : List.of(slot.index, slot.messages, slot.tombstones, slot.meta)) ops.deleteRange(cf, prefix, end);
    }

    // --- reference counts --------------------------------------------------------------------------

    /**
     * Writes the bodies' new reference counts into the batch: a body going from 0 to more is written
     * (from {@code bodies}, which throws when it cannot give it), one reaching 0 is deleted. The
     * caller holds the bodies' stripe locks until the batch is durable.
     */
    void writeRefcounts(WriteOps ops, Map<BodyId, Long> delta, Function<BodyId, PreparedBody> bodies) {
        for (Map.Entry<BodyId, Long> e : delta.entrySet()) {
            if (e.getValue() == 0) continue;
            BodyId b = e.getKey();
            long before = slot.refcount(b);
            long after = Math.max(0, before + e.getValue()); // below 0: a count already wrong; check() reports and repairs it
            if (before == 0 && after > 0) slot.writeBody(ops, bodies.apply(b));
            if (after == 0) slot.deleteBody(ops, b);
            else slot.putRefcount(ops, b, after);
        }
    }

    /** The bodies whose counts the deltas change (to lock their stripes). */
    static List<BodyId> changed(Map<BodyId, Long> delta) {
        return delta.entrySet().stream().filter(e -> e.getValue() != 0).map(Map.Entry::getKey).toList();
    }
}
