// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.BodySource;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.MissingBodies;
import dev.cairn.store.replication.NeedsResync;
import dev.cairn.store.replication.UserImage;
import dev.cairn.store.replication.UserImageStaging;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A replica's copy of a user staged under a user id of its own ({@link UserImageStaging}): the
 * master's records go in under that id as they come, each message with a reference to its body
 * in the same batch (so no body they need can be reclaimed meanwhile), and the id is marked as
 * garbage ({@link ImageGarbage}) until {@link #finish} points the user's name at it, in one batch
 * that also marks the old id as garbage and moves the address index to the copy's account
 * ({@link Accounts}). Readers see the old copy until then, and after a crash
 * the next open collects the staged id.
 */
final class StagedImage implements UserImageStaging {
    private final RocksSlotStore slot;
    private final String user;
    private final long seq;
    private final int id;
    private final byte[] prefix;
    /** Messages of the last part whose bodies this slot lacks, by body, until the bodies come. */
    private final Map<BodyId, List<UserImage.Entry>> waiting = new LinkedHashMap<>();
    private boolean finished, closed;

    private StagedImage(RocksSlotStore slot, String user, long seq, int id) {
        this.slot = slot;
        this.user = user;
        this.seq = seq;
        this.id = id;
        this.prefix = Keys.user(id);
    }

    /** A fresh user id, marked as garbage in the batch that takes it. */
    static StagedImage begin(RocksSlotStore slot, String user, long seq) {
        slot.userRegistry.lock();
        try {
            int id = slot.applier.nextUserId();
            WriteOps ops = new WriteOps();
            ops.put(slot.meta, Keys.userTag(0, Keys.NEXT_USER), Keys.longBytes(id + 1L));
            ImageGarbage.mark(slot, ops, id, user);
            slot.commitDurably(ops);
            return new StagedImage(slot, user, seq, id);
        } finally {
            slot.userRegistry.unlock();
        }
    }

    @Override public List<BodyId> add(List<UserImage.Entry> entries) {
        if (!waiting.isEmpty()) throw new MissingBodies(List.copyOf(waiting.keySet()));
        WriteOps ops = new WriteOps();
        Map<BodyId, Long> delta = new HashMap<>();
        Map<BodyId, List<UserImage.Entry>> referencing = new LinkedHashMap<>();
        for (UserImage.Entry e : entries) {
            ImageStream.family(slot, e.family()); // an unknown family is refused before anything is written
            if (e.family() != ImageStream.MESSAGES) {
                ops.put(ImageStream.family(slot, e.family()), key(e), e.value());
                continue;
            }
            referencing.computeIfAbsent(bodyOf(e), b -> new ArrayList<>()).add(e);
        }
        try (BodyStore.BodyLocks held = slot.lockBodies(referencing.keySet())) {
            // Under the bodies' locks: a body counted here cannot lose its last reference before this batch adds one.
            for (Map.Entry<BodyId, List<UserImage.Entry>> r : referencing.entrySet()) {
                if (slot.refcount(r.getKey()) == 0) {
                    waiting.put(r.getKey(), r.getValue());
                    continue;
                }
                for (UserImage.Entry e : r.getValue()) ops.put(slot.messages, key(e), e.value());
                delta.put(r.getKey(), (long) r.getValue().size());
            }
            slot.applier.writeRefcounts(ops, delta, b -> {
                throw new IllegalStateException("body " + b + " was counted and is not here");
            });
            slot.commitDurably(ops);
        } finally {
            ops.commitEnded(slot.bodyLog);
        }
        return List.copyOf(waiting.keySet());
    }

    @Override public void bodies(Map<BodyId, byte[]> bodies) {
        WriteOps ops = new WriteOps();
        Map<BodyId, Long> delta = new HashMap<>();
        List<BodyId> given = new ArrayList<>();
        for (BodyId b : bodies.keySet()) {
            List<UserImage.Entry> es = waiting.get(b);
            if (es == null) continue; // not asked for (or given twice): nothing waits for it
            for (UserImage.Entry e : es) ops.put(slot.messages, key(e), e.value());
            delta.put(b, (long) es.size());
            given.add(b);
        }
        if (given.isEmpty()) return;
        try (BodyStore.BodyLocks held = slot.lockBodies(given)) {
            slot.applier.writeRefcounts(ops, delta, b -> {
                PreparedBody p = PreparedBody.read(BodySource.of(bodies.get(b)), Long.MAX_VALUE);
                if (!p.id.equals(b)) throw new NeedsResync("body " + b + " arrived with other content");
                return p;
            });
            slot.commitDurably(ops);
        } finally {
            ops.commitEnded(slot.bodyLog);
        }
        for (BodyId b : given) waiting.remove(b);
    }

    @Override public void finish() {
        if (!waiting.isEmpty()) throw new MissingBodies(List.copyOf(waiting.keySet()));
        byte[] header = slot.get(slot.meta, Keys.userTag(id, Keys.HEADER));
        if (header == null) throw new NeedsResync("the copy of " + user + " has no user header");
        long headerSeq;
        try {
            headerSeq = UserHeader.decode(header).seq;
        } catch (RuntimeException e) {
            throw new NeedsResync("the copy of " + user + " has a damaged user header");
        }
        if (headerSeq != seq) throw new NeedsResync("the copy of " + user + " is at seq " + headerSeq + ", announced " + seq);
        Integer old;
        // The address index follows the accounts (see Accounts): under its lock, taken first, moved in the switch's batch.
        slot.accounts.lock.lock();
        slot.userRegistry.lock();
        try {
            old = slot.userId(user);
            UserState s = old == null ? null : slot.lockedState(user);
            try {
                int channel = slot.channelOf(user);
                WriteOps ops = new WriteOps();
                slot.accounts.switched(ops, user, old == null ? null : slot.accounts.stored(old), slot.accounts.stored(id));
                ops.put(slot.meta, Keys.userTagString(0, Keys.USER_BY_NAME, user), Keys.intBytes(id));
                ops.put(slot.meta, Keys.userTag(id, Keys.NAME), user.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                ops.delete(slot.meta, ImageGarbage.mark(id));
                if (old != null) {
                    ImageGarbage.mark(slot, ops, old, user);
                    byte[] log = Keys.changePrefix(channel, old);
                    ops.deleteRange(slot.changelog, log, Keys.after(log));
                }
                // The user's change log restarts at the copy's seq (a record with no changes).
                ChangeRecord mark = new ChangeRecord(user, seq, slot.epoch(), RocksSlotReplication.now(), List.of());
                ops.put(slot.changelog, Keys.change(channel, id, seq), ChangeCodec.encode(mark));
                slot.commitDurably(ops);
                slot.replication().seqMoved(s == null ? 0 : s.data.header().seq, seq);
                finished = true;
                if (s != null) slot.replaced(s, seq);
            } finally {
                if (s != null) s.lock.unlock();
            }
        } finally {
            slot.userRegistry.unlock();
            slot.accounts.lock.unlock();
        }
        if (old != null) collect(old);
    }

    /** Garbage left by a failure here (the slot closing, say) is collected at the next open. */
    private void collect(int garbage) {
        try {
            ImageGarbage.collect(slot, garbage);
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(StagedImage.class).warn("collecting the records of {} (id {}) failed, left for the next open: {}",
                    user, garbage, e.toString());
        }
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        waiting.clear();
        if (!finished) collect(id);
    }

    private byte[] key(UserImage.Entry e) {
        byte[] key = new byte[prefix.length + e.key().length];
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        System.arraycopy(e.key(), 0, key, prefix.length, e.key().length);
        return key;
    }

    private static BodyId bodyOf(UserImage.Entry e) {
        try {
            return MessageValue.decode(e.value()).body();
        } catch (RuntimeException bad) {
            throw new IllegalArgumentException("a message record that does not decode: " + bad);
        }
    }
}
