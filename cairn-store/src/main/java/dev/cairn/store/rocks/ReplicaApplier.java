// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.BodySource;
import dev.cairn.store.MailboxId;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.ApplyOutcome;
import dev.cairn.store.replication.MissingBodies;
import dev.cairn.store.replication.NeedsResync;
import dev.cairn.store.replication.Reservation;
import dev.cairn.store.replication.SlotReplication;
import dev.cairn.store.replication.UserImage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.rocksdb.ColumnFamilyHandle;

/**
 * The replica side of the store: applies a master's change records exactly (same seq, UIDs,
 * MODSEQs, mailbox ids), each change through the {@link ChangeApplier} the master's commands write
 * with and the same commit as local writes, so the record, the data and the user's seq (the
 * replica's position) are in one durable batch. Also whole-user images for resync and the
 * MODSEQ/UID jump of a promotion.
 */
final class ReplicaApplier {
    private final RocksSlotStore slot;
    /** Tests only: runs once a new user's bare record is committed, before its first record is applied. */
    volatile Runnable afterBareUser = () -> {};

    ReplicaApplier(RocksSlotStore slot) { this.slot = slot; }

    ApplyOutcome apply(ChangeRecord r, Function<BodyId, byte[]> bodies) {
        // A change of the account (or its end) moves the address index: under its lock, taken first.
        boolean accounts = touchesAccount(r);
        if (accounts) slot.accounts.lock.lock();
        try {
            return applyOne(r, bodies);
        } finally {
            if (accounts) slot.accounts.lock.unlock();
        }
    }

    private static boolean touchesAccount(ChangeRecord r) {
        for (Change c : r.changes()) {
            if (c instanceof Change.AccountSet || c instanceof Change.AccountRemoved || c instanceof Change.UserDeleted) return true;
        }
        return false;
    }

    private ApplyOutcome applyOne(ChangeRecord r, Function<BodyId, byte[]> bodies) {
        UserState s = slot.lockedState(r.user());
        if (s == null) {
            boolean creates = !r.changes().isEmpty() && r.changes().getFirst() instanceof Change.UserCreated;
            if (!creates) throw new NeedsResync("user " + r.user() + " is not on this slot");
            s = createBare(r.user());
            afterBareUser.run();
            if (s == null) throw new StoreException(StoreException.Reason.UNAVAILABLE, "cannot create " + r.user());
        }
        try {
            UserState.Data d = s.data;
            long have = d.header().seq;
            if (r.seq() <= have) return ApplyOutcome.ALREADY_APPLIED;
            // A jump record (promotion past reserved MODSEQs and UIDs, or a resync) may skip seqs.
            if (r.seq() != have + 1 && !r.isJump()) {
                throw new NeedsResync("record " + r.seq() + " of " + r.user() + " does not follow seq " + have);
            }
            Txn t = new Txn(s, d, r.seq());
            t.epoch = r.epoch();
            t.replicated = true;
            t.records = List.of(r); // logged as the master wrote it (its time too)
            List<BodyId> missing = new ArrayList<>();
            for (Change c : r.changes()) {
                if (c instanceof Change.MessagesAppended a) {
                    for (Change.AppendedMessage m : a.messages()) {
                        if (t.bodies.containsKey(m.body()) || slot.refcount(m.body()) > 0) continue;
                        byte[] bytes = bodies.apply(m.body());
                        if (bytes == null) { missing.add(m.body()); continue; }
                        PreparedBody p = PreparedBody.read(BodySource.of(bytes), Long.MAX_VALUE);
                        if (!p.id.equals(m.body())) throw new NeedsResync("body " + m.body() + " arrived with other content");
                        p.parsed();
                        t.bodies.put(p.id, p);
                    }
                }
            }
            if (!missing.isEmpty()) throw new MissingBodies(missing);
            for (Change c : r.changes()) slot.applier.apply(t, c);
            s.commit(t);
            return ApplyOutcome.APPLIED;
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
        if (r.isJump() || r.changes().isEmpty() || touchesAccount(r)) return false;
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
            Txn t = null;
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
                    t = new Txn(s, d, r.seq());
                    t.replicated = true;
                }
                t.seq = r.seq();
                t.epoch = r.epoch();
                t.bodies.putAll(prepared);
                try {
                    for (Change c : r.changes()) slot.applier.apply(t, c);
                } catch (RuntimeException e) {
                    return 0;
                }
                group.add(r);
                last = r.seq();
            }
            if (group.size() < 2) return 0; // nothing gained over the single path (which reports failures)
            t.records = group;
            s.commit(t);
            return group.size();
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * A user with no mailboxes at seq 0, what the master's first record (UserCreated ...) starts
     * from, returned with its lock held (null if it is gone again). Locked before the registry lets
     * anyone else load it: a promotion that meets the user waits for that first record and then
     * jumps the whole user. Had it jumped the bare one, the record would read as applied already
     * and the new master would keep a user without INBOX.
     */
    private UserState createBare(String user) {
        slot.userRegistry.lock();
        try {
            if (slot.userId(user) == null) {
                WriteOps ops = new WriteOps();
                int id = slot.applier.nextUserId();
                slot.applier.registerUser(ops, id, user);
                ops.put(slot.meta, Keys.userTag(id, Keys.HEADER), slot.applier.newUserHeader(user).encode());
                slot.commitDurably(ops);
                // Loaded and locked here first (loading takes the registry's lock), so this never waits.
                return slot.lockedState(user);
            }
        } finally {
            slot.userRegistry.unlock();
        }
        return slot.lockedState(user); // made meanwhile by another thread: locked as any user is
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
            Txn t = new Txn(s, s.data);
            slot.applier.apply(t, new Change.MessagesExpunged(mailbox, uids));
            try {
                s.commit(t);
            } catch (dev.cairn.store.replication.UidWindowPassed w) {
                throw new StoreException(StoreException.Reason.UNAVAILABLE, "no replica holds UIDs for " + mailbox + " now");
            }
            return true;
        } finally {
            s.lock.unlock();
        }
    }

    // --- promotion ------------------------------------------------------------------------------

    /**
     * Moves the user's seq and UIDNEXTs past what its former master may have handed out: the
     * reservation here (and for UIDs this slot's own UIDNEXT, whichever is higher) plus what a
     * master may hand out beyond it while it runs without a replica ({@code uidWindow} UIDs per
     * mailbox, {@link SlotReplication#MODSEQ_WINDOW} MODSEQs), since this slot cannot know whether
     * its master went on alone after the link broke. (From its own UIDNEXT too: a master that gave
     * a mailbox a new UIDVALIDITY counts its window from the first UID under it, which a slot that
     * knows that UIDVALIDITY has passed.) False when nothing needed to move.
     */
    boolean jumpPast(String user, Reservation r, long uidWindow, long epoch) {
        UserState s = slot.lockedState(user);
        if (s == null) return false;
        try {
            UserState.Data d = s.data;
            // Past the larger of the reservation and its own seq: the former master's MODSEQ window
            // counted from whichever of the two it knew (ReservationWindow.seqPassed).
            long seqPast = Math.max(r.seq(), d.header().seq) + SlotReplication.MODSEQ_WINDOW;
            boolean seqJump = seqPast > d.header().seq;
            Map<MailboxMeta, Long> bump = new LinkedHashMap<>();
            for (MailboxMeta m : d.byNum().values()) {
                long past = Math.max(r.uid(m.id), m.uidNext - 1) + uidWindow; // the highest UID the former master may have given
                bump.put(m, past + 1);
            }
            if (!seqJump && bump.isEmpty()) return false;
            Txn t = new Txn(s, d, Math.max(d.header().seq, seqPast) + 1);
            t.epoch = epoch;
            t.replicated = true;
            // Replicas following this master skip them too.
            bump.forEach((m, next) -> slot.applier.apply(t, new Change.UidNextRaised(m.id, next)));
            s.commit(t);
            return true;
        } finally {
            s.lock.unlock();
        }
    }

    // --- whole-user images ---------------------------------------------------------------------------

    private static final byte MESSAGES = ImageStream.MESSAGES;

    private ColumnFamilyHandle family(byte f) { return ImageStream.family(slot, f); }

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
            for (byte f : ImageStream.FAMILIES) {
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
        slot.accounts.lock.lock();
        slot.userRegistry.lock();
        try {
            Integer existing = slot.userId(image.user());
            UserState s = existing == null ? null : slot.lockedState(image.user());
            try {
                long seqBefore = s == null ? 0 : s.data.header().seq;
                WriteOps ops = new WriteOps();
                Map<BodyId, Long> delta = new HashMap<>();
                int id;
                dev.cairn.store.Account before = existing == null ? null : slot.accounts.stored(existing);
                if (existing != null) {
                    id = existing;
                    clear(ops, id, image.user(), delta);
                } else {
                    id = slot.applier.nextUserId();
                    slot.applier.registerUser(ops, id, image.user());
                }
                byte[] prefix = Keys.user(id);
                for (UserImage.Entry e : image.entries()) {
                    byte[] key = new byte[4 + e.key().length];
                    System.arraycopy(prefix, 0, key, 0, 4);
                    System.arraycopy(e.key(), 0, key, 4, e.key().length);
                    ops.put(family(e.family()), key, e.value());
                    if (e.family() == MESSAGES) delta.merge(MessageValue.decode(e.value()).body(), 1L, Long::sum);
                }
                slot.accounts.reindex(ops, image.user(), id, before, image.entries());
                ChangeRecord mark = new ChangeRecord(image.user(), image.seq(), slot.epoch(), RocksSlotReplication.now(), List.of());
                ops.put(slot.changelog, Keys.change(slot.channelOf(image.user()), id, image.seq()), ChangeCodec.encode(mark));
                applyRefs(ops, delta, image.bodies());
                if (s != null) s.reload();
                slot.replication().seqMoved(seqBefore, slot.replication().storedSeq(image.user()));
            } finally {
                if (s != null) s.lock.unlock();
            }
        } finally {
            slot.userRegistry.unlock();
            slot.accounts.lock.unlock();
        }
    }

    void drop(String user) {
        slot.accounts.lock.lock();
        slot.userRegistry.lock();
        try {
            Integer existing = slot.userId(user);
            if (existing == null) return;
            UserState s = slot.lockedState(user);
            try {
                WriteOps ops = new WriteOps();
                Map<BodyId, Long> delta = new HashMap<>();
                slot.accounts.write(ops, new HashMap<>(), user, existing, slot.accounts.stored(existing), null);
                clear(ops, existing, user, delta);
                ops.delete(slot.meta, Keys.userTagString(0, Keys.USER_BY_NAME, user));
                long before = s == null ? 0 : s.data.header().seq;
                applyRefs(ops, delta, Map.of());
                slot.replication().seqMoved(before, 0);
                if (s != null) s.deleted = true;
            } finally {
                if (s != null) s.lock.unlock();
            }
        } finally {
            slot.userRegistry.unlock();
            slot.accounts.lock.unlock();
        }
    }

    /** The user's records and its change log, for a whole copy to replace them. */
    private void clear(WriteOps ops, int id, String user, Map<BodyId, Long> delta) {
        slot.applier.clearUser(ops, id, (b, d) -> delta.merge(b, d, Long::sum));
        byte[] log = Keys.changePrefix(slot.channelOf(user), id);
        ops.deleteRange(slot.changelog, log, Keys.after(log));
    }

    /** Reference counts (and bodies appearing or disappearing) for the deltas, then the durable commit. */
    private void applyRefs(WriteOps ops, Map<BodyId, Long> delta, Map<BodyId, byte[]> given) {
        try (BodyStore.BodyLocks held = slot.lockBodies(ChangeApplier.changed(delta))) {
            slot.applier.writeRefcounts(ops, delta, b -> {
                byte[] bytes = given.get(b);
                if (bytes == null) throw new MissingBodies(List.of(b));
                PreparedBody p = PreparedBody.read(BodySource.of(bytes), Long.MAX_VALUE);
                if (!p.id.equals(b)) throw new NeedsResync("body " + b + " arrived with other content");
                return p;
            });
            slot.commitDurably(ops);
        } finally {
            ops.commitEnded(slot.bodyLog); // also when a body was missing after others were appended
        }
    }
}
