// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxId;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoreException.Reason;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.ApplyOutcome;
import dev.cairn.store.replication.CommitHook;
import dev.cairn.store.replication.Position;
import dev.cairn.store.replication.Reservation;
import dev.cairn.store.replication.Role;
import dev.cairn.store.replication.NewUidValidity;
import dev.cairn.store.replication.SlotReplication;
import dev.cairn.store.replication.SyncState;
import dev.cairn.store.replication.UserImage;
import dev.cairn.store.replication.UserImageStaging;
import dev.cairn.store.replication.UserImageStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The RocksDB slot's side of replication ({@link SlotReplication}): the fence, the epoch and role,
 * the commit hook, positions and reservations here; the replica's apply, promotion and user images
 * in {@link ReplicaApplier}.
 *
 * <p>Kept in the slot's RocksDB (meta, user 0): the epoch, the role (with the store it is for), per
 * user the reservation, the slot's own in-sync claim as a replica and, on a master, each replica's
 * state ({@link SyncState}). A slot whose role is REPLICA is fenced from the moment it opens: it
 * takes no local write whatever config it was opened with, until replication makes it a master.
 */
public final class RocksSlotReplication implements SlotReplication {
    /** Meta keys on user 0 (the slot's own records; 1 and 2 are the user registry's). */
    private static final byte EPOCH = 10, RESERVATION = 11, ROLE = 12, SYNC_STATE = 22, REPLICA_STATE = 23; // user 0's other tags: Keys

    private final RocksSlotStore slot;
    final ReplicaApplier applier; // package-private: tests reach its afterBareUser
    private final SlotFence fence = new SlotFence();
    private volatile long epoch;
    private volatile CommitHook hook;
    /** The sum of the registered users' seqs ({@link #position}): counted once at open, then moved by {@link #seqMoved}. */
    private final java.util.concurrent.atomic.AtomicLong position = new java.util.concurrent.atomic.AtomicLong();

    RocksSlotReplication(RocksSlotStore slot) {
        this.slot = slot;
        this.applier = new ReplicaApplier(slot);
        byte[] e = slot.get(slot.meta, Keys.userTag(0, EPOCH));
        this.epoch = e == null ? 0 : Keys.getLong(e);
        // Copies a crash interrupted (staged, or replaced and not yet removed): the users read as before.
        int collected = ImageGarbage.collectAll(slot);
        if (collected > 0) {
            org.slf4j.LoggerFactory.getLogger(RocksSlotReplication.class).info("removed {} unfinished or replaced user copies", collected);
        }
        // Once per open, after the garbage (a staged copy is no registered user): from here on it is kept.
        position.set(countPosition());
        // A fence is never forgotten: the slot stays fenced until replication makes it a master again.
        if (role() == Role.REPLICA) {
            String store = roleStore();
            fence.raise("this slot is a replica" + (store == null ? "" : " of store " + store)
                    + " (or a former master another node took over; epoch " + epoch + "): it takes no writes of its own");
        }
    }

    // --- fence and epoch -------------------------------------------------------------------------

    /**
     * Refuses every local write with UNAVAILABLE and the reason (a replica, or a fenced former
     * master), once the local commits that looked at the fence before it are published (see
     * {@link SlotFence}). A slot that took writes until now tells the fence listeners (its sessions end).
     */
    @Override public void fence(String reason) { fence.fence(reason); }

    Runnable onFenced(dev.cairn.store.SlotStore.FenceListener listener) { return fence.onFenced(listener); }

    @Override public void unfence() { fence.lower(); }

    /** Null when writable. */
    @Override public String fenceReason() { return fence.reason(); }

    void checkWritable() { fence.checkWritable(); }

    /** See {@link SlotFence#beginLocalCommit}: the last look before a local commit is written. */
    void beginLocalCommit() { fence.beginLocalCommit(); }

    /** See {@link SlotFence#localCommitPublished}. */
    void localCommitPublished() { fence.localCommitPublished(); }

    @Override public long epoch() { return epoch; }

    /** Records a newer epoch durably; an older one is ignored. Returns the epoch now in force. */
    @Override public synchronized long raiseEpoch(long newEpoch) {
        if (newEpoch <= epoch) return epoch;
        WriteOps ops = new WriteOps();
        ops.put(slot.meta, Keys.userTag(0, EPOCH), Keys.longBytes(newEpoch));
        slot.commitDurably(ops);
        epoch = newEpoch;
        return epoch;
    }

    /**
     * The role this slot was last given by promotion (MASTER) or by another node taking the store
     * over (REPLICA); null when neither happened. It wins over the config at start, so a former
     * master whose config still names it does not start as master, and a promoted one stays master.
     */
    @Override public Role role() {
        byte[] v = slot.get(slot.meta, Keys.userTag(0, ROLE));
        return v == null ? null : Role.values()[v[0]];
    }

    /** The store named with the role: the bytes after the role's (none in a slot written before it was kept). */
    @Override public String roleStore() {
        byte[] v = slot.get(slot.meta, Keys.userTag(0, ROLE));
        return v == null || v.length < 2 ? null : new String(v, 1, v.length - 1, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override public void setRole(Role role) { setRole(role, null); }

    @Override public synchronized void setRole(Role role, String store) {
        String name = store != null ? store : roleStore();
        if (role == role() && java.util.Objects.equals(name, roleStore())) return;
        byte[] n = name == null ? new byte[0] : name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] v = new byte[1 + n.length];
        v[0] = (byte) role.ordinal();
        System.arraycopy(n, 0, v, 1, n.length);
        WriteOps ops = new WriteOps();
        ops.put(slot.meta, Keys.userTag(0, ROLE), v);
        slot.commitDurably(ops);
    }

    // --- UIDVALIDITY classes ----------------------------------------------------------------------

    /** This slot's class among its store's slots (0 of 1: a single node). */
    private volatile int uidValidityClass = 0, uidValidityClasses = 1;

    @Override public void setUidValidityClass(int slotClass, int classes) {
        if (classes < 1 || slotClass < 0 || slotClass >= classes) throw new IllegalArgumentException(slotClass + " of " + classes);
        this.uidValidityClass = slotClass;
        this.uidValidityClasses = classes;
    }

    /** The next UIDVALIDITY of the user whose counters these are, in this slot's class. */
    long nextUidValidity(UserHeader header) { return header.nextUidValidity(uidValidityClass, uidValidityClasses); }

    // --- the commit hook -------------------------------------------------------------------------

    @Override public void setHook(CommitHook hook) { this.hook = hook; }

    void beforeCommit(String user, Txn t) {
        CommitHook h = hook;
        if (h == null) return;
        Map<MailboxId, Long> uids = new LinkedHashMap<>();
        for (MailboxMeta m : t.added.values()) uids.put(m.id, m.uidNext - 1);
        for (MailboxMeta m : t.touched.values()) {
            if (t.removed.contains(m.num)) continue;
            MailboxMeta was = t.before.byId(m.id);
            if (was != null && was.uidValidity != m.uidValidity) continue; // a new UIDVALIDITY: its UIDs count afresh
            uids.put(m.id, m.uidNext - 1);
        }
        h.beforeCommit(user, t.seq, uids);
    }

    void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, PreparedBody> bodies) {
        CommitHook h = hook;
        if (h == null) return; // a single node: nothing to hand over
        Map<BodyId, byte[]> bytes = new HashMap<>(bodies.size() * 2);
        bodies.forEach((id, p) -> bytes.put(id, p.bytes));
        h.committed(record, previous, encoded, bytes);
    }

    /** See {@link CommitHook#abandoned}. */
    void abandoned(String user) {
        CommitHook h = hook;
        if (h != null) h.abandoned(user);
    }

    void awaitReplicated(String user, long seq) {
        CommitHook h = hook;
        if (h != null) h.awaitReplicated(user, seq);
    }

    /** See {@link CommitHook#confirmAcknowledgement}: the master's hook asks its lease; without one, a fenced slot refuses. */
    void confirmAcknowledgement() {
        CommitHook h = hook;
        if (h != null) h.confirmAcknowledgement();
        else checkWritable();
    }

    // --- replica side: positions and apply ---------------------------------------------------------

    /** The user's seq on this slot (0 when the user is not here). */
    @Override public long seq(String user) {
        // An open user's state is published right after each durable commit (a failed one
        // reloads it from the database), so it is the database's seq, or just short of it.
        UserState open = slot.openState(user);
        if (open != null) return open.data.header().seq;
        long seq = storedSeq(user);
        slot.awaitDurable(); // a replica must not be told of a seq this node could still lose
        return seq;
    }

    /**
     * The sum over the slot's users of their seqs, in O(1): kept where a user's seq is written
     * (each commit, local or a master's records applied, the promotion's jump among them; a
     * user's image installed, whole or streamed; a user deleted or dropped; a repair), after the
     * write is durable, so it never counts a seq this node could still lose.
     */
    @Override public long position() { return position.get(); }

    /**
     * A user's seq went from {@code before} to {@code after} (0: the user is not, or no longer,
     * here) in a batch that is now durable. Called under the user's lock, so moves of one user
     * come in order; moves of different users commute.
     */
    void seqMoved(long before, long after) {
        if (before != after) position.addAndGet(after - before);
    }

    /** The sum the running one must equal: every registered user's stored seq (one read each). */
    long countPosition() {
        long sum = 0;
        for (String user : slot.users()) sum += storedSeq(user);
        return sum;
    }

    /** The seq in the database, possibly one fsync short of durable: fence before shipping it. */
    long storedSeq(String user) {
        Integer id = slot.userId(user);
        if (id == null) return 0;
        byte[] h = slot.get(slot.meta, Keys.userTag(id, Keys.HEADER));
        return h == null ? 0 : UserHeader.decode(h).seq;
    }

    /** Every user of a channel with its seq and the epoch of its last kept record. */
    @Override public List<Position> positions(int channel) {
        List<Position> out = new ArrayList<>();
        for (String user : slot.users()) {
            if (slot.channelOf(user) != channel) continue;
            UserState open = slot.openState(user);
            long seq = open != null ? open.data.header().seq : storedSeq(user);
            out.add(new Position(user, seq, epochAt(user, seq)));
        }
        slot.awaitDurable(); // once for the whole list, not once a user
        return out;
    }

    /** The epoch of the user's record at seq, or -1 when this slot does not keep that record. */
    @Override public long recordEpoch(String user, long seq) {
        long epoch = epochAt(user, seq);
        slot.awaitDurable();
        return epoch;
    }

    private long epochAt(String user, long seq) {
        if (seq == 0 || !slot.hasUser(user)) return -1;
        List<ChangeRecord> r = slot.changeLog.readUnfenced(user, seq, 1);
        return r.isEmpty() || r.getFirst().seq() != seq ? -1 : r.getFirst().epoch();
    }

    @Override public boolean hasBody(BodyId body) { return slot.refcount(body) > 0; }

    /**
     * Applies a master's record with its exact seq, UIDs and MODSEQs, durably, the applied position
     * (the user's seq) in the same batch. A record at or below the user's seq is skipped (applied
     * already). Bodies the slot lacks must be in {@code bodies}.
     *
     * @throws MissingBodies when a body is neither here nor given
     * @throws NeedsResync   when the record does not follow what this slot has
     */
    @Override public ApplyOutcome apply(ChangeRecord record, Function<BodyId, byte[]> bodies) {
        return applier.apply(record, bodies);
    }

    /**
     * Applies a user's records in order, consecutive ones in one durable batch where they allow
     * it, and returns the user's seq now durable; fails as {@link #apply} does at the first record
     * that cannot be applied (MissingBodies, NeedsResync), with everything before it durable.
     */
    @Override public long applyAll(String user, List<ChangeRecord> records, Function<BodyId, byte[]> bodies) {
        applier.applyAll(user, records, bodies);
        return seq(user);
    }

    /**
     * Master side of reconciliation: the given UIDs of the mailbox, which a former master handed
     * out and which never existed here, are remembered as expunged (QRESYNC VANISHED tells clients
     * that saw them); the commit is shipped to the replicas like any other.
     */
    @Override public boolean vanish(String user, MailboxId mailbox, List<Long> uids) {
        checkWritable();
        return applier.vanish(user, mailbox, uids);
    }

    // --- reservations --------------------------------------------------------------------------------

    @Override public Reservation reservation(String user) {
        byte[] v = slot.get(slot.meta, Keys.userTagString(0, RESERVATION, user));
        return v == null ? Reservation.NONE : decodeReservation(v);
    }

    /** Records (durably, merged with what is recorded) what a master may hand out for the user. */
    @Override public synchronized Reservation reserve(String user, Reservation wanted) {
        Reservation merged = reservation(user).max(wanted);
        WriteOps ops = new WriteOps();
        ops.put(slot.meta, Keys.userTagString(0, RESERVATION, user), encodeReservation(merged));
        slot.commitDurably(ops);
        return merged;
    }

    /**
     * Makes this slot a master at the given epoch: every user's MODSEQ and every mailbox's UIDNEXT
     * move past what the former master reserved here plus the window it may have used alone
     * (a record with no changes marks the jump in the user's change log). Users without a
     * reservation here jump past the window alone: a master without a replica may have written
     * to them too. Users jump in parallel so their commits share fsyncs.
     */
    @Override public synchronized int promote(long newEpoch, long uidWindow) {
        raiseEpoch(newEpoch);
        setRole(Role.MASTER);
        byte[] prefix = Keys.userTag(0, RESERVATION);
        Map<String, Reservation> all = new LinkedHashMap<>();
        for (String user : slot.users()) all.put(user, Reservation.NONE);
        slot.scan(slot.meta, prefix, (k, v) -> all.put(
                new String(k, prefix.length, k.length - prefix.length, java.nio.charset.StandardCharsets.UTF_8),
                decodeReservation(v)));
        java.util.concurrent.atomic.AtomicInteger bumped = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Semaphore running = new java.util.concurrent.Semaphore(64);
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> jumps = new ArrayList<>();
            for (Map.Entry<String, Reservation> e : all.entrySet()) {
                running.acquireUninterruptibly();
                jumps.add(pool.submit(() -> {
                    try {
                        if (applier.jumpPast(e.getKey(), e.getValue(), uidWindow, epoch)) bumped.incrementAndGet();
                    } finally {
                        running.release();
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : jumps) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException ex) {
                    if (ex.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException(ex.getCause());
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new StoreException(Reason.UNAVAILABLE, "interrupted while promoting");
                }
            }
        }
        return bumped.get();
    }

    static byte[] encodeReservation(Reservation r) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(b);
            out.writeByte(1);
            out.writeLong(r.seq());
            out.writeLong(r.otherUids());
            out.writeInt(r.uids().size());
            for (Map.Entry<MailboxId, Long> e : r.uids().entrySet()) {
                ChangeCodec.writeString(out, e.getKey().value());
                out.writeLong(e.getValue());
            }
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Reservation decodeReservation(byte[] v) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(v));
            if (in.readUnsignedByte() != 1) throw new IOException("reservation version");
            long seq = in.readLong(), other = in.readLong();
            int n = in.readInt();
            Map<MailboxId, Long> uids = new HashMap<>();
            for (int i = 0; i < n; i++) uids.put(new MailboxId(ChangeCodec.readString(in)), in.readLong());
            return new Reservation(seq, uids, other);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- resync: whole-user copies ---------------------------------------------------------------------

    /**
     * A consistent copy of everything the user holds (taken under the user's lock): its records
     * in every column family but the change log, keyed without the slot-local user id, and the
     * bodies its messages reference. Null when the user is not here.
     */
    @Override public UserImage exportUser(String user) { return applier.export(user); }

    /**
     * Replaces this slot's copy of the user with the image, in one durable batch: the user's
     * change log restarts at the image's seq (a record with no changes), reference counts follow.
     */
    @Override public void installUser(UserImage image) { applier.install(image); }

    @Override public UserImageStream streamUser(String user) { return ImageStream.open(slot, user); }

    @Override public UserImageStaging stageUser(String user, long seq) {
        return StagedImage.begin(slot, user, seq);
    }

    /** Drops the user here (a resync of a user the master no longer has). */
    @Override public void dropUser(String user) { applier.drop(user); }

    // --- the in-sync set -------------------------------------------------------------------------------

    @Override public SyncState syncState() {
        byte[] v = slot.get(slot.meta, Keys.userTag(0, SYNC_STATE));
        return v == null ? null : decodeSyncState(v);
    }

    @Override public synchronized void recordSyncState(SyncState state) {
        WriteOps ops = new WriteOps();
        if (state == null) ops.delete(slot.meta, Keys.userTag(0, SYNC_STATE));
        else ops.put(slot.meta, Keys.userTag(0, SYNC_STATE), encodeSyncState(state));
        slot.commitDurably(ops);
    }

    @Override public Map<String, SyncState> replicaStates() {
        byte[] prefix = Keys.userTag(0, REPLICA_STATE);
        Map<String, SyncState> all = new java.util.TreeMap<>();
        slot.scan(slot.meta, prefix, (k, v) -> all.put(
                new String(k, prefix.length, k.length - prefix.length, java.nio.charset.StandardCharsets.UTF_8), decodeSyncState(v)));
        return all;
    }

    @Override public synchronized void recordReplicaState(String replica, SyncState state) {
        WriteOps ops = new WriteOps();
        ops.put(slot.meta, Keys.userTagString(0, REPLICA_STATE, replica), encodeSyncState(state));
        slot.commitDurably(ops);
    }

    static byte[] encodeSyncState(SyncState s) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(b);
            out.writeByte(1);
            out.writeByte(s.kind().ordinal());
            out.writeLong(s.epoch());
            out.writeLong(s.version());
            out.writeLong(s.at());
            ChangeCodec.writeString(out, s.why());
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static SyncState decodeSyncState(byte[] v) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(v));
            if (in.readUnsignedByte() != 1) throw new IOException("sync state version");
            int kind = in.readUnsignedByte();
            if (kind >= SyncState.Kind.values().length) throw new IOException("sync state kind " + kind);
            return new SyncState(SyncState.Kind.values()[kind], in.readLong(), in.readLong(), in.readLong(), ChangeCodec.readString(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override public synchronized List<NewUidValidity> renewUidValidities(long epoch) {
        List<NewUidValidity> out = new ArrayList<>();
        for (String user : slot.users()) out.addAll(UidValidityRenewal.renew(slot, user, epoch));
        return out;
    }

    static Instant now() { return Instant.now(); }
}
