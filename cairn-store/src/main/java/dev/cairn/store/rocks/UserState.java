// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxView;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.ModSeq;
import dev.cairn.store.NewMessage;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.QuotaUsage;
import dev.cairn.store.Results.AclEntry;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.Results.CopyResult;
import dev.cairn.store.Results.ExpungeResult;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.Results.FlagUpdate;
import dev.cairn.store.Results.StoreFlagsResult;
import dev.cairn.store.Results.Tombstone;
import dev.cairn.store.SpecialUse;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One user's state on this node, shared by all its sessions: the mailbox list with counters,
 * subscriptions, and the open mailbox views. Reads of the mailbox list are lock-free (an
 * immutable {@link Data} swapped at each commit). Writes are serialized by {@link #lock} from
 * choosing UIDs and MODSEQ until the commit is durable and the views are told, so the change log,
 * the views' listeners and the MODSEQs all see one order. Different users commit concurrently
 * and share the committer's fsyncs. A command validates, hands out UIDs, MODSEQ and thread
 * numbers and builds its change in a {@link Txn}; what the change does to the slot is written by
 * the {@link ChangeApplier}, which a replica's apply uses too.
 */
final class UserState implements UserStore {
    /** An immutable picture of the user's metadata; replaced as a whole by each commit. */
    record Data(UserHeader header, Map<Integer, MailboxMeta> byNum, Map<String, Integer> byName,
                Map<MailboxId, Integer> byId, Set<String> subscriptions) {
        Data {
            byNum = Collections.unmodifiableMap(byNum);
            byName = Collections.unmodifiableMap(byName);
            byId = Collections.unmodifiableMap(byId);
            subscriptions = Collections.unmodifiableSet(subscriptions);
        }

        MailboxMeta byName(String name) {
            Integer n = byName.get(name);
            return n == null ? null : byNum.get(n);
        }

        MailboxMeta byId(MailboxId id) {
            Integer n = byId.get(id);
            return n == null ? null : byNum.get(n);
        }
    }

    final RocksSlotStore slot;
    final String name;
    final int id;
    final int channel;
    final ReentrantLock lock = new ReentrantLock();
    volatile Data data;
    volatile boolean deleted;
    /** Set (under {@link #lock}) when the slot drops this state; writes then go to a fresh state. */
    volatile boolean evicted;

    /** Thrown to the {@link UserHandle}, which retries on the current state. */
    static final class Evicted extends RuntimeException {
        Evicted() { super("user state evicted", null, false, false); }
    }
    volatile long lastUsedNanos = System.nanoTime();
    private final Map<Integer, View> views = new ConcurrentHashMap<>();

    UserState(RocksSlotStore slot, String name, int id, Data data) {
        this.slot = slot;
        this.name = name;
        this.id = id;
        this.channel = slot.channelOf(name);
        this.data = data;
    }

    static Data load(RocksSlotStore slot, int id) {
        UserHeader header = UserHeader.decode(slot.get(slot.meta, Keys.userTag(id, Keys.HEADER)));
        Map<Integer, MailboxMeta> byNum = new TreeMap<>();
        slot.scan(slot.meta, Keys.userTag(id, Keys.MAILBOX), (k, v) -> {
            int num = ByteBuffer.wrap(k, 5, 4).getInt();
            byNum.put(num, MailboxMeta.decode(num, v));
        });
        Set<String> subs = new TreeSet<>();
        slot.scan(slot.meta, Keys.userTag(id, Keys.SUBSCRIPTION),
                (k, v) -> subs.add(new String(k, 5, k.length - 5, StandardCharsets.UTF_8)));
        return index(header, byNum, subs);
    }

    static Data index(UserHeader header, Map<Integer, MailboxMeta> byNum, Set<String> subs) {
        Map<String, Integer> byName = new HashMap<>();
        Map<MailboxId, Integer> byId = new HashMap<>();
        for (MailboxMeta m : byNum.values()) {
            byName.put(m.name, m.num);
            byId.put(m.id, m.num);
        }
        return new Data(header, byNum, byName, byId, subs);
    }

    private Data live() {
        if (deleted) throw new StoreException(Reason.NO_SUCH_USER, "no such user: " + name);
        lastUsedNanos = System.nanoTime();
        return data;
    }

    boolean idle() { return views.values().stream().allMatch(v -> v.attachments() == 0); }

    @Override public String user() { return name; }

    // --- reads ---------------------------------------------------------------------------------

    @Override public List<MailboxInfo> mailboxes() {
        return live().byNum().values().stream().map(MailboxMeta::info)
                .sorted(java.util.Comparator.comparing(MailboxInfo::name)).toList();
    }

    @Override public Optional<MailboxInfo> mailbox(String mailbox) {
        String canonical;
        try {
            canonical = MailboxNames.canonical(mailbox);
        } catch (StoreException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(live().byName(canonical)).map(MailboxMeta::info);
    }

    @Override public Optional<MailboxInfo> mailbox(MailboxId mailbox) {
        return Optional.ofNullable(live().byId(mailbox)).map(MailboxMeta::info);
    }

    private MailboxMeta existing(Data d, MailboxId mailbox) {
        MailboxMeta m = d.byId(mailbox);
        if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + mailbox);
        return m;
    }

    private MailboxMeta existing(Data d, String canonicalName) {
        MailboxMeta m = d.byName(canonicalName);
        if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + canonicalName);
        return m;
    }

    @Override public Optional<MessageRecord> message(MailboxId mailbox, Uid uid) {
        List<MessageRecord> r = messages(mailbox, List.of(uid));
        return r.isEmpty() ? Optional.empty() : Optional.of(r.getFirst());
    }

    @Override public List<MessageRecord> messages(MailboxId mailbox, Collection<Uid> uids) {
        MailboxMeta m = existing(live(), mailbox);
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

    private static long[] sortedUids(Collection<Uid> uids) {
        return uids.stream().mapToLong(Uid::value).sorted().distinct().toArray();
    }

    @Override public ParsedMessage parsed(BodyId body) {
        live();
        return slot.parsed(body);
    }

    @Override public InputStream openBody(BodyId body) throws IOException {
        live();
        return slot.openBody(body);
    }

    @Override public List<Tombstone> expungedSince(MailboxId mailbox, long modSeq) {
        MailboxMeta m = existing(live(), mailbox);
        List<Tombstone> out = new ArrayList<>();
        slot.scan(slot.tombstones, Keys.mailboxPrefix(id, m.num), (k, v) -> {
            long ms = Keys.getLong(v);
            if (ms > modSeq) out.add(new Tombstone(Uid.of(Keys.uidOf(k)), ModSeq.of(ms)));
        });
        return out;
    }

    // --- \Recent --------------------------------------------------------------------------------

    /**
     * Per mailbox, the first UID not yet claimed as recent (RFC 3501 §2.3.2), as Dovecot and Cyrus
     * keep it. In memory, and written through to the slot without an fsync and outside the change
     * log: it must outlive this state (mail that arrives while no session looks is what \Recent is
     * for), but it is this node's bookkeeping, not mail; a replica need not have it. Claims come only
     * from sessions attached to the mailbox's view, so this state is not evicted under a claim.
     */
    private final Map<Integer, RecentMark> recent = new ConcurrentHashMap<>();

    private static final class RecentMark {
        long firstUnclaimed;
    }

    private RecentMark recentMark(MailboxMeta m) {
        return recent.computeIfAbsent(m.num, num -> {
            RecentMark mark = new RecentMark();
            byte[] stored = slot.get(slot.meta, Keys.userTagInt(id, Keys.RECENT, num));
            mark.firstUnclaimed = stored == null ? 1 : Keys.getLong(stored);
            return mark;
        });
    }

    @Override public long claimRecent(MailboxId mailbox, long uidLimit) {
        MailboxMeta m = existing(live(), mailbox);
        RecentMark mark = recentMark(m);
        synchronized (mark) {
            long from = mark.firstUnclaimed;
            if (uidLimit <= from) return uidLimit;
            mark.firstUnclaimed = uidLimit;
            slot.putUnsynced(slot.meta, Keys.userTagInt(id, Keys.RECENT, m.num), Keys.longBytes(uidLimit));
            return from;
        }
    }

    @Override public long firstUnclaimedRecent(MailboxId mailbox) {
        RecentMark mark = recentMark(existing(live(), mailbox));
        synchronized (mark) {
            return mark.firstUnclaimed;
        }
    }

    @Override public Set<String> subscriptions() { return live().subscriptions(); }

    @Override public List<AclEntry> acl(String mailbox) {
        MailboxMeta m = existing(live(), MailboxNames.canonical(mailbox));
        List<AclEntry> out = new ArrayList<>();
        byte[] prefix = Keys.userTagInt(id, Keys.ACL, m.num);
        slot.scan(slot.meta, prefix, (k, v) -> out.add(new AclEntry(
                new String(k, prefix.length, k.length - prefix.length, StandardCharsets.UTF_8),
                new String(v, StandardCharsets.UTF_8))));
        return out;
    }

    @Override public QuotaUsage quota() {
        UserHeader h = live().header();
        QuotaPolicy.Limits l = slot.config().quota().limits(name);
        return new QuotaUsage(h.storageUsed, l.storageBytes(), h.messagesUsed, l.messages());
    }

    @Override public long highestModSeq() { return live().header().seq; }

    // --- views ---------------------------------------------------------------------------------

    @Override public MailboxView view(MailboxId mailbox) {
        MailboxMeta m = existing(live(), mailbox);
        View v = views.get(m.num);
        if (v != null) return v;
        lock.lock();
        try {
            if (evicted) throw new Evicted();
            // Loaded under the write lock: no commit can slip between the scan and the first publish.
            m = existing(live(), mailbox);
            v = views.get(m.num);
            if (v == null) {
                MailboxMeta meta = m;
                v = new View(this, m.id, slot.longScan(() -> loadSnapshot(meta)));
                views.put(m.num, v);
            }
            return v;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads the mailbox's index into primitive arrays. Keys and values are read into two reused
     * direct buffers (no byte[] per message), so a 100,000-message mailbox opens in one pass.
     */
    private Snapshot loadSnapshot(MailboxMeta m) {
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

    // --- the write path ------------------------------------------------------------------------

    void forgetRecent(int mailboxNum) { recent.remove(mailboxNum); }

    View openView(int mailboxNum) { return views.get(mailboxNum); }

    View closeView(int mailboxNum) { return views.remove(mailboxNum); }

    /** After the commit that deleted the user: its views are told and dropped. */
    void deletedAt(long seq) {
        deleted = true;
        for (View v : views.values()) v.publish(v.current(), new MailboxChange.Deleted(seq));
        views.clear();
    }

    /**
     * Runs {@code build} under the user's write lock, commits what it built and returns its result.
     * A StoreException from build leaves everything as it was: nothing was written.
     */
    <T> T write(java.util.function.Function<Txn, T> build) {
        long committedSeq = 0;
        lock.lock();
        try {
            if (evicted) throw new Evicted();
            slot.replication().checkWritable();
            Txn t = new Txn(this, live());
            T result = build.apply(t);
            if (t.changes.isEmpty()) return result;
            commit(t);
            committedSeq = t.seq;
            return result;
        } finally {
            lock.unlock();
            // Sync replication: the caller's OK waits for a replica, outside the lock (other
            // commits of this user proceed and share the round trip).
            if (committedSeq > 0) slot.replication().awaitReplicated(name, committedSeq);
        }
    }

    void commit(Txn t) {
        if (!t.replicated) slot.replication().beforeCommit(name, t);
        try (BodyStore.BodyLocks held = slot.lockBodies(ChangeApplier.changed(t.refDelta))) {
            slot.applier.writeRefcounts(t.ops, t.refDelta, b -> {
                PreparedBody p = t.bodies.get(b);
                if (p == null) throw new StoreException(Reason.NONEXISTENT, "message body " + b + " is missing");
                return p;
            });
            Map<Integer, MailboxMeta> byNum = new TreeMap<>(t.before.byNum());
            for (int num : t.removed) byNum.remove(num);
            for (MailboxMeta m : t.added.values()) byNum.put(m.num, m);
            for (MailboxMeta m : t.touched.values()) if (!t.removed.contains(m.num)) byNum.put(m.num, m);
            for (MailboxMeta m : t.added.values()) t.ops.put(slot.meta, Keys.userTagInt(id, Keys.MAILBOX, m.num), m.encode());
            for (MailboxMeta m : t.touched.values()) {
                if (!t.removed.contains(m.num)) t.ops.put(slot.meta, Keys.userTagInt(id, Keys.MAILBOX, m.num), m.encode());
            }
            t.header.seq = t.seq;
            if (!t.userDeleted) t.ops.put(slot.meta, Keys.userTag(id, Keys.HEADER), t.header.encode());
            ChangeRecord record = new ChangeRecord(name, t.seq, t.epoch, t.now, t.changes);
            byte[] encoded = t.records == null ? ChangeCodec.encode(record) : null;
            if (encoded != null) t.ops.put(slot.changelog, Keys.change(channel, id, t.seq), encoded);
            else for (ChangeRecord r : t.records) t.ops.put(slot.changelog, Keys.change(channel, id, r.seq()), ChangeCodec.encode(r));
            slot.commitDurably(t.ops);
            data = index(t.header, byNum, t.subscriptions != null ? t.subscriptions : t.before.subscriptions());
            if (!t.replicated) slot.replication().committed(record, t.before.header().seq, encoded, t.bodies);
        } catch (StoreException e) {
            if (e.reason() == Reason.UNAVAILABLE) reload();
            throw e;
        } finally {
            t.ops.commitEnded(slot.bodyLog); // also when the batch failed before it was committed
        }
        for (Runnable r : t.afterCommit) r.run();
        if (t.records == null) slot.changeLog.committed(channel, name, t.seq);
        else for (ChangeRecord r : t.records) slot.changeLog.committed(channel, name, r.seq());
    }

    /** After a failed write: the DB may or may not hold it; memory follows the DB again. */
    void reload() {
        try {
            data = load(slot, id);
            for (Map.Entry<Integer, View> e : views.entrySet()) {
                MailboxMeta m = data.byNum().get(e.getKey());
                if (m == null) views.remove(e.getKey());
                else e.getValue().publish(loadSnapshot(m), null);
            }
        } catch (RuntimeException e) {
            // The DB itself is failing: the next write will fail again and retry the reload.
        }
    }

    // --- mailboxes -------------------------------------------------------------------------------

    @Override public MailboxInfo createMailbox(String mailbox, Set<SpecialUse> specialUse) {
        String canonical = MailboxNames.canonical(mailbox);
        return write(t -> {
            if (t.byName(canonical) != null) throw new StoreException(Reason.ALREADY_EXISTS, "mailbox exists: " + canonical);
            createWithParents(t, canonical, specialUse);
            return t.byName(canonical).info();
        });
    }

    void createWithParents(Txn t, String canonical, Set<SpecialUse> specialUse) {
        String parent = MailboxNames.parent(canonical);
        if (parent != null && t.byName(parent) == null) createWithParents(t, parent, Set.of());
        create(t, canonical, specialUse);
    }

    MailboxMeta create(Txn t, String canonical, Set<SpecialUse> specialUse) {
        Change.MailboxCreated c = new Change.MailboxCreated(slot.newMailboxId(), canonical, t.header.nextUidValidity(), specialUse);
        MailboxMeta m = slot.applier.createMailbox(t, c);
        t.add(c);
        return m;
    }

    @Override public void deleteMailbox(String mailbox) {
        String canonical = MailboxNames.canonical(mailbox);
        if (canonical.equals("INBOX")) throw new StoreException(Reason.CANNOT, "INBOX cannot be deleted");
        write(t -> {
            MailboxMeta m = t.byName(canonical);
            if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + canonical);
            // Children stay (RFC 9051 §6.3.5 allows it; they simply lose their parent).
            slot.applier.dropMailbox(t, m);
            t.add(new Change.MailboxDeleted(m.id, m.name));
            return null;
        });
    }

    @Override public void renameMailbox(String from, String to) {
        String src = MailboxNames.canonical(from), dst = MailboxNames.canonical(to);
        write(t -> {
            MailboxMeta m = t.byName(src);
            if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + src);
            if (t.byName(dst) != null) throw new StoreException(Reason.ALREADY_EXISTS, "mailbox exists: " + dst);
            if (src.equals("INBOX")) {
                // RFC 9051 §6.3.6: INBOX's messages move to a new mailbox; INBOX stays, empty; its children stay.
                String parent = MailboxNames.parent(dst);
                if (parent != null && t.byName(parent) == null) createWithParents(t, parent, Set.of());
                MailboxMeta target = create(t, dst, Set.of());
                long[] all = allUids(m);
                copyInto(t, m, all, target, true);
                return null;
            }
            if (dst.startsWith(src + "/")) throw new StoreException(Reason.CANNOT, "cannot rename a mailbox into itself");
            List<MailboxMeta> moving = new ArrayList<>();
            for (MailboxMeta c : t.before.byNum().values()) {
                if (c.name.equals(src) || c.name.startsWith(src + "/")) moving.add(c);
            }
            for (MailboxMeta c : moving) {
                String newName = dst + c.name.substring(src.length());
                MailboxNames.canonical(newName); // still valid (length, levels)?
                if (t.byName(newName) != null) throw new StoreException(Reason.ALREADY_EXISTS, "mailbox exists: " + newName);
            }
            for (MailboxMeta c : moving) {
                String oldName = c.name, newName = dst + c.name.substring(src.length());
                MailboxMeta w = t.mailbox(c);
                slot.applier.renameMailbox(t, w, newName);
                t.add(new Change.MailboxRenamed(c.id, oldName, newName));
            }
            String parent = MailboxNames.parent(dst);
            if (parent != null && t.byName(parent) == null) createWithParents(t, parent, Set.of());
            return null;
        });
    }

    private long[] allUids(MailboxMeta m) {
        List<Long> uids = new ArrayList<>();
        slot.scan(slot.index, Keys.mailboxPrefix(id, m.num), (k, v) -> uids.add(Keys.uidOf(k)));
        return uids.stream().mapToLong(Long::longValue).toArray();
    }

    // --- messages --------------------------------------------------------------------------------

    @Override public AppendResult append(String mailbox, List<NewMessage> messages) {
        String canonical = MailboxNames.canonical(mailbox);
        existing(live(), canonical);
        if (messages.isEmpty()) throw new StoreException(Reason.INVALID_ARGUMENT, "nothing to append");
        List<PreparedBody> prepared = new ArrayList<>(messages.size());
        for (NewMessage nm : messages) {
            PreparedBody p = PreparedBody.read(nm.body(), slot.config().maxMessageSize());
            if (!slot.hasParsed(p.id)) p.parsed(); // parse outside the lock; skipped when the slot has it
            prepared.add(p);
        }
        return write(t -> {
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

    @Override public CopyResult copy(MailboxId source, Collection<Uid> uids, String destination) {
        return copyOrMove(source, uids, destination, false);
    }

    @Override public CopyResult move(MailboxId source, Collection<Uid> uids, String destination) {
        return copyOrMove(source, uids, destination, true);
    }

    private CopyResult copyOrMove(MailboxId source, Collection<Uid> uids, String destination, boolean move) {
        String dst = MailboxNames.canonical(destination);
        long[] wanted = sortedUids(uids);
        return write(t -> {
            MailboxMeta src = existing(t.before, source);
            MailboxMeta target = t.byName(dst);
            if (target == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + dst);
            return copyInto(t, src, wanted, target, move);
        });
    }

    private CopyResult copyInto(Txn t, MailboxMeta src, long[] wanted, MailboxMeta target, boolean move) {
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

    @Override public StoreFlagsResult storeFlags(MailboxId mailbox, Collection<Uid> uids, FlagOp op, Flags flags,
                                                 OptionalLong unchangedSince) {
        long[] wanted = sortedUids(uids);
        return write(t -> {
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

    @Override public ExpungeResult expunge(MailboxId mailbox, Collection<Uid> uids) {
        long[] wanted = sortedUids(uids);
        return write(t -> {
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

    // --- subscriptions, ACL --------------------------------------------------------------------

    @Override public void subscribe(String mailbox) {
        String canonical = MailboxNames.canonical(mailbox);
        write(t -> {
            if (t.before.subscriptions().contains(canonical)) return null;
            slot.applier.subscribe(t, canonical, true);
            t.add(new Change.Subscribed(canonical));
            return null;
        });
    }

    @Override public void unsubscribe(String mailbox) {
        String canonical = MailboxNames.canonical(mailbox);
        write(t -> {
            if (!t.before.subscriptions().contains(canonical)) return null;
            slot.applier.subscribe(t, canonical, false);
            t.add(new Change.Unsubscribed(canonical));
            return null;
        });
    }

    @Override public void setAcl(String mailbox, String identifier, String rights) {
        String canonical = MailboxNames.canonical(mailbox);
        if (identifier == null || identifier.isEmpty() || identifier.length() > 255 || identifier.chars().anyMatch(c -> c < 0x20)) {
            throw new StoreException(Reason.INVALID_ARGUMENT, "invalid ACL identifier");
        }
        if (rights == null || !rights.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
            throw new StoreException(Reason.INVALID_ARGUMENT, "invalid ACL rights: " + rights);
        }
        write(t -> {
            MailboxMeta m = t.byName(canonical);
            if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + canonical);
            slot.applier.setAcl(t, m, identifier, rights);
            t.add(new Change.AclSet(m.id, identifier, rights));
            return null;
        });
    }

    // --- user lifecycle ----------------------------------------------------------------------------

    /** Removes everything of the user in one commit; the change log keeps its records (ending with UserDeleted). */
    void delete() {
        write(t -> {
            slot.applier.apply(t, new Change.UserDeleted(name));
            return null;
        });
    }
}
