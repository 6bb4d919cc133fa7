// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxView;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.NewMessage;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.QuotaUsage;
import dev.cairn.store.Results.AclEntry;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.Results.CopyResult;
import dev.cairn.store.Results.ExpungeResult;
import dev.cairn.store.Results.FlagOp;
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
import dev.cairn.store.replication.UidWindowPassed;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * the {@link ChangeApplier}, which a replica's apply uses too. The commands and reads live in rooms
 * of their own ({@link MessageCommands}, {@link MailboxCommands}, {@link MessageReads},
 * {@link RecentMarks}); this class keeps the state, the views, the write path and the dispatch.
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
    final MailboxCommands mailboxCommands;
    final MessageCommands messageCommands;
    private final MessageReads reads;
    private final RecentMarks recent;

    UserState(RocksSlotStore slot, String name, int id, Data data) {
        this.slot = slot;
        this.name = name;
        this.id = id;
        this.channel = slot.channelOf(name);
        this.data = data;
        this.mailboxCommands = new MailboxCommands(this);
        this.messageCommands = new MessageCommands(this);
        this.reads = new MessageReads(this);
        this.recent = new RecentMarks(this);
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

    /** The user's current picture; fails when the user is deleted. */
    Data live() {
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

    static MailboxMeta existing(Data d, MailboxId mailbox) {
        MailboxMeta m = d.byId(mailbox);
        if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + mailbox);
        return m;
    }

    static MailboxMeta existing(Data d, String canonicalName) {
        MailboxMeta m = d.byName(canonicalName);
        if (m == null) throw new StoreException(Reason.NONEXISTENT, "no such mailbox: " + canonicalName);
        return m;
    }

    @Override public ParsedMessage parsed(BodyId body) {
        live();
        return slot.parsed(body);
    }

    @Override public InputStream openBody(BodyId body) throws IOException {
        live();
        return slot.openBody(body);
    }

    @Override public Set<String> subscriptions() { return live().subscriptions(); }

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
                v = new View(this, m.id, slot.longScan(() -> reads.loadSnapshot(meta)));
                views.put(m.num, v);
            }
            return v;
        } finally {
            lock.unlock();
        }
    }

    // --- the write path ------------------------------------------------------------------------

    void forgetRecent(int mailboxNum) { recent.forget(mailboxNum); }

    View openView(int mailboxNum) { return views.get(mailboxNum); }

    View closeView(int mailboxNum) { return views.remove(mailboxNum); }

    /** After the commit that deleted the user: its views are told and dropped. */
    void deletedAt(long seq) {
        deleted = true;
        for (View v : views.values()) v.publish(v.current(), new MailboxChange.Deleted(seq));
        views.clear();
    }

    /**
     * A replica's copy of the user replaced this one (under its lock): writes go to a fresh state
     * (as after eviction) and its views are told, as for a deleted user (a replica's only
     * sessions are read-only verifications).
     */
    void replaced(long seq) {
        evicted = true;
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
            for (int attempt = 0; ; attempt++) {
                Txn t = new Txn(this, live());
                T result = build.apply(t);
                if (t.changes.isEmpty()) return result;
                try {
                    commit(t);
                } catch (UidWindowPassed w) {
                    // Nothing was written: the mailboxes get a new UIDVALIDITY, then the command is
                    // built again, so what it hands out (and answers, e.g. APPENDUID) is under the new one.
                    if (attempt > 0) throw new StoreException(Reason.UNAVAILABLE, "cannot renew the UIDVALIDITY of " + w.mailboxes());
                    renewUidValidity(w.mailboxes());
                    continue;
                }
                committedSeq = t.seq;
                return result;
            }
        } finally {
            lock.unlock();
            // Sync replication: the caller's OK waits for a replica, outside the lock (other
            // commits of this user proceed and share the round trip).
            if (committedSeq > 0) slot.replication().awaitReplicated(name, committedSeq);
        }
    }

    void commit(Txn t) {
        if (!t.replicated) slot.replication().beforeCommit(name, t);
        boolean durable = false;
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
            // The hook may have waited long since write() looked at the fence (for a reservation, or
            // frozen): looked at again, and the fence held until this commit is published (SlotFence).
            if (!t.replicated) beginLocalCommit();
            try {
                slot.commitDurably(t.ops);
                durable = true;
                slot.replication().seqMoved(t.before.header().seq, t.userDeleted ? 0 : t.seq);
                data = index(t.header, byNum, t.subscriptions != null ? t.subscriptions : t.before.subscriptions());
            } finally {
                if (!t.replicated) slot.replication().localCommitPublished();
            }
            if (!t.replicated) slot.replication().committed(record, t.before.header().seq, encoded, t.bodies);
        } catch (StoreException e) {
            if (e.reason() == Reason.UNAVAILABLE) {
                reload();
                // A batch whose wait failed may have landed all the same: the position follows what the database holds.
                if (!durable) slot.replication().seqMoved(t.before.header().seq, data.header().seq);
            }
            throw e;
        } finally {
            t.ops.commitEnded(slot.bodyLog); // also when the batch failed before it was committed
        }
        for (Runnable r : t.afterCommit) r.run();
        if (t.records == null) slot.changeLog.committed(channel, name, t.seq);
        else for (ChangeRecord r : t.records) slot.changeLog.committed(channel, name, r.seq());
    }

    /** The last look at the fence; refused, the hook is told that the commit it let through wrote nothing. */
    private void beginLocalCommit() {
        try {
            slot.replication().beginLocalCommit();
        } catch (StoreException e) {
            slot.replication().abandoned(name);
            throw e;
        }
    }

    /** Gives each mailbox a UIDVALIDITY above every one the user had, in a commit of its own (under the lock). */
    private void renewUidValidity(Set<MailboxId> mailboxes) {
        Txn t = new Txn(this, live());
        for (MailboxId id : mailboxes) {
            if (t.before.byId(id) != null) slot.applier.apply(t, new Change.UidValidityChanged(id, slot.replication().nextUidValidity(t.header)));
        }
        if (!t.changes.isEmpty()) commit(t);
    }

    /** After a failed write: the DB may or may not hold it; memory follows the DB again. */
    void reload() {
        try {
            data = load(slot, id);
            for (Map.Entry<Integer, View> e : views.entrySet()) {
                MailboxMeta m = data.byNum().get(e.getKey());
                if (m == null) views.remove(e.getKey());
                else e.getValue().publish(reads.loadSnapshot(m), null);
            }
        } catch (RuntimeException e) {
            // The DB itself is failing: the next write will fail again and retry the reload.
        }
    }

    // --- dispatch ---------------------------------------------------------------------------------

    @Override public Optional<MessageRecord> message(MailboxId mailbox, Uid uid) { return reads.message(mailbox, uid); }

    @Override public List<MessageRecord> messages(MailboxId mailbox, Collection<Uid> uids) { return reads.messages(mailbox, uids); }

    @Override public List<Tombstone> expungedSince(MailboxId mailbox, long modSeq) { return reads.expungedSince(mailbox, modSeq); }

    @Override public List<AclEntry> acl(String mailbox) { return reads.acl(mailbox); }

    @Override public long claimRecent(MailboxId mailbox, long uidLimit) { return recent.claimRecent(mailbox, uidLimit); }

    @Override public long firstUnclaimedRecent(MailboxId mailbox) { return recent.firstUnclaimedRecent(mailbox); }

    @Override public MailboxInfo createMailbox(String mailbox, Set<SpecialUse> specialUse) {
        return mailboxCommands.createMailbox(mailbox, specialUse);
    }

    @Override public void deleteMailbox(String mailbox) { mailboxCommands.deleteMailbox(mailbox); }

    @Override public void renameMailbox(String from, String to) { mailboxCommands.renameMailbox(from, to); }

    @Override public void subscribe(String mailbox) { mailboxCommands.subscribe(mailbox); }

    @Override public void unsubscribe(String mailbox) { mailboxCommands.unsubscribe(mailbox); }

    @Override public void setAcl(String mailbox, String identifier, String rights) { mailboxCommands.setAcl(mailbox, identifier, rights); }

    @Override public AppendResult append(String mailbox, List<NewMessage> messages) { return messageCommands.append(mailbox, messages); }

    @Override public CopyResult copy(MailboxId source, Collection<Uid> uids, String destination) {
        return messageCommands.copy(source, uids, destination);
    }

    @Override public CopyResult move(MailboxId source, Collection<Uid> uids, String destination) {
        return messageCommands.move(source, uids, destination);
    }

    @Override public StoreFlagsResult storeFlags(MailboxId mailbox, Collection<Uid> uids, FlagOp op, Flags flags,
                                                 OptionalLong unchangedSince) {
        return messageCommands.storeFlags(mailbox, uids, op, flags, unchangedSince);
    }

    @Override public ExpungeResult expunge(MailboxId mailbox, Collection<Uid> uids) { return messageCommands.expunge(mailbox, uids); }

    // --- user lifecycle ----------------------------------------------------------------------------

    /** Removes everything of the user in one commit; the change log keeps its records (ending with UserDeleted). */
    void delete() {
        write(t -> {
            slot.applier.apply(t, new Change.UserDeleted(name));
            return null;
        });
    }
}
