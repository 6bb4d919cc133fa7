// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.rocks.SlotReplication.Reservation;
import dev.cairn.store.rocks.SlotReplication.UserImage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.rocksdb.ColumnFamilyHandle;

/**
 * The replica side of the store: applies a master's change records exactly (same seq, UIDs,
 * MODSEQs, mailbox ids), through the same commit path as local writes, so the record, the data
 * and the user's seq (the replica's position) are in one durable batch. Also whole-user images
 * for resync and the MODSEQ/UID jump of a promotion.
 */
final class ReplicaApplier {
    private final RocksSlotStore slot;

    ReplicaApplier(RocksSlotStore slot) { this.slot = slot; }

    SlotReplication.ApplyOutcome apply(ChangeRecord r, Function<BodyId, byte[]> bodies) {
        UserState s = slot.lockedState(r.user());
        if (s == null) {
            boolean creates = !r.changes().isEmpty() && r.changes().getFirst() instanceof Change.UserCreated;
            if (!creates) throw new SlotReplication.NeedsResync("user " + r.user() + " is not on this slot");
            createBare(r.user());
            s = slot.lockedState(r.user());
            if (s == null) throw new StoreException(StoreException.Reason.UNAVAILABLE, "cannot create " + r.user());
        }
        try {
            UserState.Data d = s.data;
            long have = d.header().seq;
            if (r.seq() <= have) return SlotReplication.ApplyOutcome.ALREADY_APPLIED;
            // A jump record (promotion past reserved MODSEQs and UIDs, or a resync) may skip seqs.
            if (r.seq() != have + 1 && !r.isJump()) {
                throw new SlotReplication.NeedsResync("record " + r.seq() + " of " + r.user() + " does not follow seq " + have);
            }
            UserState.Txn t = s.new Txn(d, r.seq());
            t.epoch = r.epoch();
            t.replicated = true;
            Pending pending = new Pending();
            List<BodyId> missing = new ArrayList<>();
            for (Change c : r.changes()) {
                if (c instanceof Change.MessagesAppended a) {
                    for (Change.AppendedMessage m : a.messages()) {
                        if (t.bodies.containsKey(m.body()) || slot.refcount(m.body()) > 0) continue;
                        byte[] bytes = bodies.apply(m.body());
                        if (bytes == null) { missing.add(m.body()); continue; }
                        PreparedBody p = PreparedBody.read(BodySource.of(bytes), Long.MAX_VALUE);
                        if (!p.id.equals(m.body())) throw new SlotReplication.NeedsResync("body " + m.body() + " arrived with other content");
                        p.parsed();
                        t.bodies.put(p.id, p);
                    }
                }
            }
            if (!missing.isEmpty()) throw new SlotReplication.MissingBodies(missing);
            for (Change c : r.changes()) applyChange(s, t, c, pending);
            t.changes.addAll(r.changes());
            s.commit(t);
            if (t.userDeleted) s.deleted = true;
            else if (s.hasViews()) s.reload();
            return SlotReplication.ApplyOutcome.APPLIED;
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * Applies a user's records in order, consecutive ones in one durable batch where they allow
     * it (one fsync and one header write for a run of appends, flag changes and expunges instead
     * of one each). Records that create or delete the user
     * or a mailbox, jumps, and a record whose bodies are missing or that does not follow are
     * applied alone, with the same outcome as {@link #apply}; whatever came before them is
     * committed first.
     */
    void applyAll(String user, List<ChangeRecord> records, Function<BodyId, byte[]> bodies) {
        int i = 0;
        while (i < records.size()) {
            int n = records.size() - i > 1 ? applyGroup(user, records, i, bodies) : 0;
            if (n > 0) {
                i += n;
            } else {
                apply(records.get(i), bodies);
                i++;
            }
        }
    }

    /** What a group may hold: no change that scans the database for what the group itself wrote. */
    private static boolean groupable(ChangeRecord r) {
        if (r.isJump() || r.changes().isEmpty()) return false;
        for (Change c : r.changes()) {
            if (c instanceof Change.UserCreated || c instanceof Change.UserDeleted || c instanceof Change.MailboxDeleted) return false;
        }
        return true;
    }

    /**
     * Applies records from {@code from} on while they follow and are groupable, in one batch;
     * returns how many it applied (or found applied already), 0 when the first one must go alone.
     * A change that fails midway abandons the whole group (nothing is written): the records are
     * then applied one by one and the failing one reports itself.
     */
    private int applyGroup(String user, List<ChangeRecord> records, int from, Function<BodyId, byte[]> bodies) {
        UserState s = slot.lockedState(user);
        if (s == null) return 0;
        try {
            UserState.Data d = s.data;
            long have = d.header().seq;
            int k = from;
            while (k < records.size() && records.get(k).seq() <= have) k++;
            if (k > from) return k - from; // already applied (idempotent)
            UserState.Txn t = null;
            Pending pending = new Pending();
            List<ChangeRecord> group = new ArrayList<>();
            long last = have;
            for (; k < records.size(); k++) {
                ChangeRecord r = records.get(k);
                if (!r.user().equals(user) || !groupable(r) || r.seq() != last + 1) break;
                Map<BodyId, PreparedBody> prepared = new HashMap<>();
                boolean missing = false;
                for (Change c : r.changes()) {
                    if (!(c instanceof Change.MessagesAppended a)) continue;
                    for (Change.AppendedMessage m : a.messages()) {
                        if (prepared.containsKey(m.body()) || t != null && t.bodies.containsKey(m.body()) || slot.refcount(m.body()) > 0) continue;
                        byte[] bytes = bodies.apply(m.body());
                        if (bytes == null) { missing = true; continue; }
                        PreparedBody p = PreparedBody.read(BodySource.of(bytes), Long.MAX_VALUE);
                        if (!p.id.equals(m.body())) { missing = true; continue; } // alone, it reports the mismatch
                        p.parsed();
                        prepared.put(p.id, p);
                    }
                }
                if (missing) break;
                if (t == null) {
                    t = s.new Txn(d, r.seq());
                    t.replicated = true;
                }
                t.seq = r.seq();
                t.epoch = r.epoch();
                t.bodies.putAll(prepared);
                try {
                    for (Change c : r.changes()) applyChange(s, t, c, pending);
                } catch (RuntimeException e) {
                    return 0;
                }
                t.changes.addAll(r.changes());
                group.add(r);
                last = r.seq();
            }
            if (group.size() < 2) return 0; // nothing gained over the single path (which reports failures)
            t.records = group;
            s.commit(t);
            if (s.hasViews()) s.reload();
            return group.size();
        } finally {
            s.lock.unlock();
        }
    }

    /** Index entries this commit wrote or removed, for later changes of the same record. */
    private static final class Pending {
        final Map<ByteBuffer, long[]> index = new HashMap<>();
        final Map<ByteBuffer, MessageValue> messages = new HashMap<>();
        final Set<ByteBuffer> removed = new java.util.HashSet<>();
    }

    private void applyChange(UserState s, UserState.Txn t, Change c, Pending p) {
        int uid0 = s.id;
        switch (c) {
            case Change.UserCreated u -> { }
            case Change.UserDeleted u -> deleteAll(s, t);
            case Change.MailboxCreated m -> {
                if (find(t, m.id()) != null) return;
                int num = t.header.nextMailbox++;
                MailboxMeta meta = new MailboxMeta(num, m.id(), m.name(), m.uidValidity(), 1, t.seq,
                        ChangeCodec.specialUseBits(m.specialUse()), 0, 0, 0, 0, new String[0]);
                t.header.lastUidValidity = Math.max(t.header.lastUidValidity, m.uidValidity());
                t.added.put(num, meta);
            }
            case Change.MailboxRenamed m -> {
                MailboxMeta w = t.mailbox(existing(t, m.id()));
                w.name = m.newName();
                w.highestModSeq = t.seq;
            }
            case Change.MailboxDeleted m -> {
                MailboxMeta meta = existing(t, m.id());
                t.dropMailbox(meta);
                t.added.remove(meta.num);
            }
            case Change.MessagesAppended a -> {
                MailboxMeta w = t.mailbox(existing(t, a.mailbox()));
                for (Change.AppendedMessage m : a.messages()) {
                    long mask = w.mask(m.flags(), true);
                    long thread = threadNumber(m.threadId());
                    t.header.nextThread = Math.max(t.header.nextThread, thread + 1);
                    w.uidNext = Math.max(w.uidNext, m.uid() + 1);
                    w.highestModSeq = t.seq;
                    w.messages++;
                    w.size += m.size();
                    if (!m.flags().has(Flags.SEEN)) w.unseen++;
                    if (m.flags().has(Flags.DELETED)) w.deleted++;
                    t.header.messagesUsed++;
                    t.header.storageUsed += m.size();
                    byte[] key = Keys.message(uid0, w.num, m.uid());
                    MessageValue mv = new MessageValue(m.internalDate(), m.saveDate(), m.size(), m.body(), thread);
                    t.ops.put(slot.index, key, UserState.indexValue(t.seq, mask));
                    t.ops.put(slot.messages, key, mv.encode());
                    p.index.put(ByteBuffer.wrap(key), new long[]{t.seq, mask});
                    p.messages.put(ByteBuffer.wrap(key), mv);
                    p.removed.remove(ByteBuffer.wrap(key));
                    t.ref(m.body(), 1);
                }
            }
            case Change.FlagsSet f -> {
                MailboxMeta w = t.mailbox(existing(t, f.mailbox()));
                for (Change.FlagState st : f.messages()) {
                    byte[] key = Keys.message(uid0, w.num, st.uid());
                    long[] idx = index(p, key);
                    if (idx == null) continue;
                    long mask = idx[1], newMask = w.mask(st.flags(), true);
                    if ((mask & Flags.SEEN) == 0 && (newMask & Flags.SEEN) != 0) w.unseen--;
                    if ((mask & Flags.SEEN) != 0 && (newMask & Flags.SEEN) == 0) w.unseen++;
                    if ((mask & Flags.DELETED) == 0 && (newMask & Flags.DELETED) != 0) w.deleted++;
                    if ((mask & Flags.DELETED) != 0 && (newMask & Flags.DELETED) == 0) w.deleted--;
                    t.ops.put(slot.index, key, UserState.indexValue(t.seq, newMask));
                    p.index.put(ByteBuffer.wrap(key), new long[]{t.seq, newMask});
                }
                w.highestModSeq = t.seq;
            }
            case Change.MessagesExpunged e -> {
                MailboxMeta w = t.mailbox(existing(t, e.mailbox()));
                for (long uid : e.uids()) {
                    byte[] key = Keys.message(uid0, w.num, uid);
                    long[] idx = index(p, key);
                    MessageValue mv = message(p, key);
                    if (idx == null || mv == null) {
                        // A UID another master handed out that never got here (see vanish): remembered as
                        // expunged, so QRESYNC clients that saw it are told it is gone.
                        if (!p.removed.contains(ByteBuffer.wrap(key)) && slot.get(slot.tombstones, key) == null) {
                            t.ops.put(slot.tombstones, key, Keys.longBytes(t.seq));
                            p.removed.add(ByteBuffer.wrap(key));
                            w.uidNext = Math.max(w.uidNext, uid + 1);
                        }
                        continue;
                    }
                    t.ops.delete(slot.index, key);
                    t.ops.delete(slot.messages, key);
                    t.ops.put(slot.tombstones, key, Keys.longBytes(t.seq));
                    p.removed.add(ByteBuffer.wrap(key));
                    t.ref(mv.body(), -1);
                    w.messages--;
                    w.size -= mv.size();
                    if ((idx[1] & Flags.SEEN) == 0) w.unseen--;
                    if ((idx[1] & Flags.DELETED) != 0) w.deleted--;
                    t.header.messagesUsed--;
                    t.header.storageUsed -= mv.size();
                }
                w.highestModSeq = t.seq;
            }
            case Change.Subscribed sub -> {
                if (t.subscriptions == null) t.subscriptions = new TreeSet<>(t.before.subscriptions());
                t.subscriptions.add(sub.name());
                t.ops.put(slot.meta, Keys.userTagString(uid0, Keys.SUBSCRIPTION, sub.name()), new byte[0]);
            }
            case Change.Unsubscribed sub -> {
                if (t.subscriptions == null) t.subscriptions = new TreeSet<>(t.before.subscriptions());
                t.subscriptions.remove(sub.name());
                t.ops.delete(slot.meta, Keys.userTagString(uid0, Keys.SUBSCRIPTION, sub.name()));
            }
            case Change.AclSet acl -> {
                MailboxMeta m = existing(t, acl.mailbox());
                byte[] key = Keys.acl(uid0, m.num, acl.identifier());
                if (acl.rights().isEmpty()) t.ops.delete(slot.meta, key);
                else t.ops.put(slot.meta, key, acl.rights().getBytes(StandardCharsets.UTF_8));
            }
            case Change.UidNextRaised r -> {
                // As on the master: UIDNEXT only (HIGHESTMODSEQ stays), so both report the same STATUS.
                MailboxMeta w = t.mailbox(existing(t, r.mailbox()));
                w.uidNext = Math.max(w.uidNext, r.uidNext());
            }
        }
    }

    private long[] index(Pending p, byte[] key) {
        ByteBuffer k = ByteBuffer.wrap(key);
        if (p.removed.contains(k)) return null;
        long[] v = p.index.get(k);
        if (v != null) return v;
        byte[] b = slot.get(slot.index, key);
        if (b == null) return null;
        ByteBuffer bb = ByteBuffer.wrap(b);
        return new long[]{bb.getLong(), bb.getLong()};
    }

    private MessageValue message(Pending p, byte[] key) {
        ByteBuffer k = ByteBuffer.wrap(key);
        if (p.removed.contains(k)) return null;
        MessageValue v = p.messages.get(k);
        if (v != null) return v;
        byte[] b = slot.get(slot.messages, key);
        return b == null ? null : MessageValue.decode(b);
    }

    private static long threadNumber(String threadId) {
        if (threadId == null || threadId.length() < 2) return 0;
        try {
            return Long.parseUnsignedLong(threadId.substring(1), 16);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The mailbox as the commit sees it (new, changed, or as before), or null. */
    private static MailboxMeta find(UserState.Txn t, MailboxId id) {
        for (MailboxMeta m : t.added.values()) if (m.id.equals(id) && !t.removed.contains(m.num)) return m;
        for (MailboxMeta m : t.touched.values()) if (m.id.equals(id) && !t.removed.contains(m.num)) return m;
        MailboxMeta m = t.before.byId(id);
        return m == null || t.removed.contains(m.num) ? null : m;
    }

    private static MailboxMeta existing(UserState.Txn t, MailboxId id) {
        MailboxMeta m = find(t, id);
        if (m == null) throw new SlotReplication.NeedsResync("mailbox " + id + " is not on this slot");
        return m;
    }

    private void deleteAll(UserState s, UserState.Txn t) {
        byte[] prefix = Keys.user(s.id);
        slot.scan(slot.messages, prefix, (k, v) -> t.ref(MessageValue.decode(v).body(), -1));
        byte[] end = Keys.after(prefix);
        t.ops.deleteRange(slot.index, prefix, end);
        t.ops.deleteRange(slot.messages, prefix, end);
        t.ops.deleteRange(slot.tombstones, prefix, end);
        t.ops.deleteRange(slot.meta, prefix, end);
        t.ops.delete(slot.meta, Keys.userTagString(0, Keys.USER_BY_NAME, s.name));
        t.userDeleted = true;
    }

    /** A user with no mailboxes at seq 0: what the master's first record (UserCreated ...) starts from. */
    private void createBare(String user) {
        slot.userRegistry.lock();
        try {
            if (slot.userId(user) == null) {
                WriteOps ops = new WriteOps();
                int id = allocateUser(ops, user);
                UserHeader h = new UserHeader();
                h.nextMailbox = 1;
                h.nextThread = 1;
                ops.put(slot.meta, Keys.userTag(id, Keys.HEADER), h.encode());
                slot.commitDurably(ops);
            }
        } finally {
            slot.userRegistry.unlock();
        }
    }

    private int allocateUser(WriteOps ops, String user) {
        byte[] next = slot.get(slot.meta, Keys.userTag(0, Keys.NEXT_USER));
        int id = next == null ? 1 : (int) Keys.getLong(next);
        ops.put(slot.meta, Keys.userTag(0, Keys.NEXT_USER), Keys.longBytes(id + 1L));
        ops.put(slot.meta, Keys.userTagString(0, Keys.USER_BY_NAME, user), Keys.intBytes(id));
        ops.put(slot.meta, Keys.userTag(id, Keys.NAME), user.getBytes(StandardCharsets.UTF_8));
        return id;
    }

    /**
     * On a master: remembers UIDs of a mailbox as expunged although they never existed here (a
     * former master handed them out; reconciliation appended their messages again under new
     * UIDs), in a commit that is shipped like any other. False when the mailbox is not here.
     */
    boolean vanish(String user, MailboxId mailbox, List<Long> uids) {
        UserState s = slot.lockedState(user);
        if (s == null) return false;
        try {
            if (s.data.byId(mailbox) == null) return false;
            UserState.Txn t = s.new Txn(s.data);
            Change c = new Change.MessagesExpunged(mailbox, uids);
            applyChange(s, t, c, new Pending());
            t.changes.add(c);
            s.commit(t);
            if (s.hasViews()) s.reload();
            return true;
        } finally {
            s.lock.unlock();
        }
    }

    // --- promotion ------------------------------------------------------------------------------

    /** Moves the user's seq and UIDNEXTs past the reservation; false when nothing needed to move. */
    boolean jumpPast(String user, Reservation r, long epoch) {
        UserState s = slot.lockedState(user);
        if (s == null) return false;
        try {
            UserState.Data d = s.data;
            boolean seqJump = r.seq() > d.header().seq;
            List<MailboxMeta> bump = new ArrayList<>();
            for (MailboxMeta m : d.byNum().values()) if (m.uidNext <= r.uid(m.id)) bump.add(m);
            if (!seqJump && bump.isEmpty()) return false;
            UserState.Txn t = s.new Txn(d, Math.max(d.header().seq, r.seq()) + 1);
            t.epoch = epoch;
            t.replicated = true;
            for (MailboxMeta m : bump) {
                t.mailbox(m).uidNext = r.uid(m.id) + 1;
                t.changes.add(new Change.UidNextRaised(m.id, r.uid(m.id) + 1)); // replicas following this master skip them too
            }
            s.commit(t);
            if (s.hasViews()) s.reload();
            return true;
        } finally {
            s.lock.unlock();
        }
    }

    // --- whole-user images ---------------------------------------------------------------------------

    private static final byte META = 0, INDEX = 1, MESSAGES = 2, TOMBSTONES = 3;

    private ColumnFamilyHandle family(byte f) {
        return switch (f) {
            case META -> slot.meta;
            case INDEX -> slot.index;
            case MESSAGES -> slot.messages;
            case TOMBSTONES -> slot.tombstones;
            default -> throw new IllegalArgumentException("unknown family " + f);
        };
    }

    /**
     * Reads from one DB snapshot instead of under the user's lock: a commit of the user may be
     * waiting (for a reservation) on the very channel that asks for this copy.
     */
    UserImage export(String user) {
        Integer id = slot.userId(user);
        if (id == null) return null;
        org.rocksdb.Snapshot snap = slot.db.getSnapshot();
        try (org.rocksdb.ReadOptions ro = new org.rocksdb.ReadOptions().setSnapshot(snap)) {
            byte[] prefix = Keys.user(id);
            byte[] header = slot.db.get(slot.meta, ro, Keys.userTag(id, Keys.HEADER));
            if (header == null) return null;
            List<UserImage.Entry> entries = new ArrayList<>();
            Map<BodyId, byte[]> bodies = new LinkedHashMap<>();
            for (byte f : new byte[]{META, INDEX, MESSAGES, TOMBSTONES}) {
                try (org.rocksdb.Slice upper = new org.rocksdb.Slice(Keys.after(prefix));
                     org.rocksdb.ReadOptions scan = new org.rocksdb.ReadOptions().setSnapshot(snap).setIterateUpperBound(upper);
                     org.rocksdb.RocksIterator it = slot.db.newIterator(family(f), scan)) {
                    for (it.seek(prefix); it.isValid(); it.next()) {
                        byte[] k = it.key(), v = it.value();
                        entries.add(new UserImage.Entry(f, java.util.Arrays.copyOfRange(k, 4, k.length), v));
                        if (f == MESSAGES) bodies.putIfAbsent(MessageValue.decode(v).body(), null);
                    }
                    it.status();
                }
            }
            for (BodyId b : new ArrayList<>(bodies.keySet())) {
                try {
                    bodies.put(b, slot.readBody(b, ro));
                } catch (java.io.IOException e) {
                    throw new StoreException(StoreException.Reason.UNAVAILABLE, "cannot read body " + b + ": " + e.getMessage(), e);
                }
            }
            slot.awaitDurable(); // the copy goes to a replica: nothing in it may be short of durable here
            return new UserImage(user, UserHeader.decode(header).seq, entries, bodies);
        } catch (org.rocksdb.RocksDBException e) {
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "cannot read " + user + ": " + e.getMessage(), e);
        } finally {
            slot.db.releaseSnapshot(snap);
        }
    }

    void install(UserImage image) {
        slot.userRegistry.lock();
        try {
            Integer existing = slot.userId(image.user());
            UserState s = existing == null ? null : slot.lockedState(image.user());
            try {
                WriteOps ops = new WriteOps();
                Map<BodyId, Long> delta = new HashMap<>();
                int id;
                if (existing != null) {
                    id = existing;
                    clear(ops, id, image.user(), delta);
                } else {
                    id = allocateUser(ops, image.user());
                }
                byte[] prefix = Keys.user(id);
                for (UserImage.Entry e : image.entries()) {
                    byte[] key = new byte[4 + e.key().length];
                    System.arraycopy(prefix, 0, key, 0, 4);
                    System.arraycopy(e.key(), 0, key, 4, e.key().length);
                    ops.put(family(e.family()), key, e.value());
                    if (e.family() == MESSAGES) delta.merge(MessageValue.decode(e.value()).body(), 1L, Long::sum);
                }
                ChangeRecord mark = new ChangeRecord(image.user(), image.seq(), slot.epoch(), SlotReplication.now(), List.of());
                ops.put(slot.changelog, Keys.change(slot.channelOf(image.user()), id, image.seq()), ChangeCodec.encode(mark));
                applyRefs(ops, delta, image.bodies());
                if (s != null) s.reload();
            } finally {
                if (s != null) s.lock.unlock();
            }
        } finally {
            slot.userRegistry.unlock();
        }
    }

    void drop(String user) {
        slot.userRegistry.lock();
        try {
            Integer existing = slot.userId(user);
            if (existing == null) return;
            UserState s = slot.lockedState(user);
            try {
                WriteOps ops = new WriteOps();
                Map<BodyId, Long> delta = new HashMap<>();
                clear(ops, existing, user, delta);
                ops.delete(slot.meta, Keys.userTagString(0, Keys.USER_BY_NAME, user));
                applyRefs(ops, delta, Map.of());
                if (s != null) s.deleted = true;
            } finally {
                if (s != null) s.lock.unlock();
            }
        } finally {
            slot.userRegistry.unlock();
        }
    }

    private void clear(WriteOps ops, int id, String user, Map<BodyId, Long> delta) {
        byte[] prefix = Keys.user(id);
        slot.scan(slot.messages, prefix, (k, v) -> delta.merge(MessageValue.decode(v).body(), -1L, Long::sum));
        byte[] end = Keys.after(prefix);
        for (ColumnFamilyHandle cf : List.of(slot.meta, slot.index, slot.messages, slot.tombstones)) ops.deleteRange(cf, prefix, end);
        byte[] log = Keys.changePrefix(slot.channelOf(user), id);
        ops.deleteRange(slot.changelog, log, Keys.after(log));
    }

    /** Reference counts (and bodies appearing or disappearing) for the deltas, then the durable commit. */
    private void applyRefs(WriteOps ops, Map<BodyId, Long> delta, Map<BodyId, byte[]> given) {
        List<BodyId> changed = new ArrayList<>();
        for (Map.Entry<BodyId, Long> e : delta.entrySet()) if (e.getValue() != 0) changed.add(e.getKey());
        try (RocksSlotStore.BodyLocks held = slot.lockBodies(changed)) {
            for (BodyId b : changed) {
                long before = slot.refcount(b), after = Math.max(0, before + delta.get(b));
                if (before == 0 && after > 0) {
                    byte[] bytes = given.get(b);
                    if (bytes == null) throw new SlotReplication.MissingBodies(List.of(b));
                    PreparedBody p = PreparedBody.read(BodySource.of(bytes), Long.MAX_VALUE);
                    if (!p.id.equals(b)) throw new SlotReplication.NeedsResync("body " + b + " arrived with other content");
                    slot.writeBody(ops, p);
                }
                if (after == 0) slot.deleteBody(ops, b);
                else slot.putRefcount(ops, b, after);
            }
            slot.commitDurably(ops);
        } finally {
            ops.commitEnded(slot.bodyLog); // also when a body was missing after others were appended
        }
    }
}
