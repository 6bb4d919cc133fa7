// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.BodyId;
import dev.cairn.store.CheckReport;
import dev.cairn.store.CheckReport.Problem;
import dev.cairn.store.Flags;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.ChangeCodec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * `cairn check`: verifies every invariant the store keeps, per user under the user's write lock,
 * and the slot's bodies under every body stripe lock (so no commit that changes a reference count
 * runs meanwhile). Repairs what is safely fixable from the messages themselves: counters, quota
 * usage, UIDNEXT and HIGHESTMODSEQ, reference counts, orphan bodies, index/messages disagreement.
 * A missing body or a gap in the change log is reported, not repaired (nothing to rebuild it from).
 */
final class Checker {
    private final RocksSlotStore slot;
    private final List<Problem> problems = new ArrayList<>();
    private long messagesChecked;

    Checker(RocksSlotStore slot) { this.slot = slot; }

    CheckReport run(String userOrNull, boolean repair) {
        List<String> names;
        if (userOrNull != null) {
            if (!slot.hasUser(userOrNull)) throw new StoreException(StoreException.Reason.NO_SUCH_USER, "no such user: " + userOrNull);
            names = List.of(userOrNull);
        } else {
            names = slot.users();
        }
        for (String name : names) {
            UserState s = slot.lockedState(name);
            if (s == null) continue;
            try {
                checkUser(s, repair);
            } finally {
                s.lock.unlock();
            }
        }
        checkBodies(userOrNull == null, repair);
        return new CheckReport(names.size(), messagesChecked, List.copyOf(problems));
    }

    private void problem(String user, String what, boolean repaired) { problems.add(new Problem(user, what, repaired)); }

    private void checkUser(UserState s, boolean repair) {
        int u = s.id;
        WriteOps fix = new WriteOps();
        UserHeader header = UserHeader.decode(slot.get(slot.meta, Keys.userTag(u, Keys.HEADER)));
        Map<Integer, MailboxMeta> mailboxes = new TreeMap<>();
        slot.scan(slot.meta, Keys.userTag(u, Keys.MAILBOX), (k, v) -> {
            int num = ByteBuffer.wrap(k, 5, 4).getInt();
            mailboxes.put(num, MailboxMeta.decode(num, v));
        });
        // Index and messages entries per mailbox, merged by key.
        Map<Integer, TreeMap<Long, byte[]>> index = new HashMap<>(), messages = new HashMap<>();
        Map<Integer, Long> maxTombUid = new HashMap<>(), maxTombModSeq = new HashMap<>();
        slot.scan(slot.index, Keys.user(u), (k, v) -> index.computeIfAbsent(ByteBuffer.wrap(k, 4, 4).getInt(), x -> new TreeMap<>()).put(Keys.uidOf(k), v));
        slot.scan(slot.messages, Keys.user(u), (k, v) -> messages.computeIfAbsent(ByteBuffer.wrap(k, 4, 4).getInt(), x -> new TreeMap<>()).put(Keys.uidOf(k), v));
        slot.scan(slot.tombstones, Keys.user(u), (k, v) -> {
            int num = ByteBuffer.wrap(k, 4, 4).getInt();
            maxTombUid.merge(num, Keys.uidOf(k), Math::max);
            maxTombModSeq.merge(num, Keys.getLong(v), Math::max);
        });
        long totalMessages = 0, totalSize = 0;
        java.util.Set<Integer> nums = new java.util.TreeSet<>();
        nums.addAll(index.keySet()); nums.addAll(messages.keySet());
        for (int num : nums) {
            if (!mailboxes.containsKey(num)) {
                int n = index.getOrDefault(num, new TreeMap<>()).size() + messages.getOrDefault(num, new TreeMap<>()).size();
                problem(s.name, n + " message entries of a mailbox that does not exist (#" + num + ")", repair);
                if (repair) {
                    byte[] p = Keys.mailboxPrefix(u, num);
                    messages.getOrDefault(num, new TreeMap<>()).values().forEach(v -> { }); // references recounted below
                    fix.deleteRange(slot.index, p, Keys.after(p));
                    fix.deleteRange(slot.messages, p, Keys.after(p));
                }
            }
        }
        for (MailboxMeta m : mailboxes.values()) {
            TreeMap<Long, byte[]> idx = index.getOrDefault(m.num, new TreeMap<>());
            TreeMap<Long, byte[]> msg = messages.getOrDefault(m.num, new TreeMap<>());
            long count = 0, unseen = 0, deleted = 0, size = 0, maxUid = maxTombUid.getOrDefault(m.num, 0L);
            long maxModSeq = maxTombModSeq.getOrDefault(m.num, 0L);
            for (var e : idx.entrySet()) {
                long uid = e.getKey();
                ByteBuffer ib = ByteBuffer.wrap(e.getValue());
                long modSeq = ib.getLong(), mask = ib.getLong();
                byte[] mv = msg.get(uid);
                if (mv == null) {
                    problem(s.name, m.name + " UID " + uid + " has flags but no message record", repair);
                    if (repair) fix.delete(slot.index, Keys.message(u, m.num, uid));
                    continue;
                }
                messagesChecked++;
                count++;
                if ((mask & Flags.SEEN) == 0) unseen++;
                if ((mask & Flags.DELETED) != 0) deleted++;
                size += MessageValue.decode(mv).size();
                maxUid = Math.max(maxUid, uid);
                maxModSeq = Math.max(maxModSeq, modSeq);
            }
            for (var e : msg.entrySet()) {
                if (idx.containsKey(e.getKey())) continue;
                long uid = e.getKey();
                problem(s.name, m.name + " UID " + uid + " has a message record but no flags (index)", repair);
                if (repair) {
                    // Recreate the index entry: the message is kept, unflagged (unseen).
                    fix.put(slot.index, Keys.message(u, m.num, uid), ChangeApplier.indexValue(Math.max(1, header.seq), 0));
                    messagesChecked++;
                    count++;
                    unseen++;
                    size += MessageValue.decode(e.getValue()).size();
                    maxUid = Math.max(maxUid, uid);
                }
            }
            totalMessages += count;
            totalSize += size;
            MailboxMeta fixed = m.copy();
            boolean changed = false;
            if (m.messages != count || m.unseen != unseen || m.deleted != deleted || m.size != size) {
                problem(s.name, m.name + " counters say " + m.messages + " messages/" + m.unseen + " unseen/" + m.deleted
                        + " deleted/" + m.size + " octets, the messages say " + count + "/" + unseen + "/" + deleted + "/" + size, repair);
                fixed.messages = count; fixed.unseen = unseen; fixed.deleted = deleted; fixed.size = size;
                changed = true;
            }
            if (m.uidNext <= maxUid) {
                problem(s.name, m.name + " UIDNEXT " + m.uidNext + " is not above UID " + maxUid, repair);
                fixed.uidNext = maxUid + 1;
                changed = true;
            }
            if (m.highestModSeq < maxModSeq) {
                problem(s.name, m.name + " HIGHESTMODSEQ " + m.highestModSeq + " is below a message's " + maxModSeq, repair);
                fixed.highestModSeq = maxModSeq;
                changed = true;
            }
            if (repair && changed) fix.put(slot.meta, Keys.userTagInt(u, Keys.MAILBOX, m.num), fixed.encode());
        }
        UserHeader fixedHeader = header.copy();
        boolean headerChanged = false;
        if (header.messagesUsed != totalMessages || header.storageUsed != totalSize) {
            problem(s.name, "quota usage says " + header.messagesUsed + " messages/" + header.storageUsed
                    + " octets, the mailboxes hold " + totalMessages + "/" + totalSize, repair);
            fixedHeader.messagesUsed = totalMessages;
            fixedHeader.storageUsed = totalSize;
            headerChanged = true;
        }
        long maxMailboxModSeq = mailboxes.values().stream().mapToLong(m -> m.highestModSeq).max().orElse(0);
        checkChangeLog(s, header, fixedHeader, maxMailboxModSeq);
        if (fixedHeader.seq != header.seq) headerChanged = true;
        if (repair && headerChanged) fix.put(slot.meta, Keys.userTag(u, Keys.HEADER), fixedHeader.encode());
        if (repair && !fix.isEmpty()) {
            slot.commitDurably(fix);
            if (headerChanged) slot.replication().seqMoved(header.seq, fixedHeader.seq);
            s.reload();
        }
    }

    /** Seq 1..header.seq without gaps (from the first kept record, if pruned), each decodable. */
    private void checkChangeLog(UserState s, UserHeader header, UserHeader fixedHeader, long maxMailboxModSeq) {
        byte[] prefix = Keys.changePrefix(s.channel, s.id);
        long[] expected = {-1};
        long[] last = {0};
        slot.scan(slot.changelog, prefix, (k, v) -> {
            long seq = ByteBuffer.wrap(k, 6, 8).getLong();
            boolean jump = false; // a jump record (promotion past reservations, resync) may skip seqs
            try {
                dev.cairn.store.changelog.ChangeRecord r = ChangeCodec.decode(v);
                if (r.seq() != seq) problem(s.name, "change record " + seq + " carries another seq", false);
                jump = r.isJump();
            } catch (RuntimeException e) {
                problem(s.name, "change record " + seq + " does not decode: " + e.getMessage(), false);
            }
            if (expected[0] >= 0 && seq != expected[0] && !(jump && seq > expected[0])) {
                problem(s.name, "change log jumps from seq " + (expected[0] - 1) + " to " + seq, false);
            }
            expected[0] = seq + 1;
            last[0] = seq;
        });
        if (last[0] != header.seq) {
            problem(s.name, "change log ends at seq " + last[0] + " but the user's sequence is " + header.seq,
                    last[0] > header.seq);
            if (last[0] > header.seq) fixedHeader.seq = last[0]; // never let MODSEQ go below a logged change
        }
        if (maxMailboxModSeq > Math.max(header.seq, fixedHeader.seq)) {
            problem(s.name, "a mailbox's HIGHESTMODSEQ " + maxMailboxModSeq + " is above the user's sequence " + header.seq, true);
            fixedHeader.seq = maxMailboxModSeq;
        }
    }

    /**
     * Reference counts against the messages of every user of the slot (only when checking the
     * whole slot), orphans (a count, parse or location of a body no message references) and missing
     * bodies (a message whose body, parse or count is absent).
     */
    private void checkBodies(boolean wholeSlot, boolean repair) {
        List<BodyId> all = new ArrayList<>();
        try (BodyStore.BodyLocks locks = slot.lockAllBodies()) {
            Map<BodyId, Long> refs = new HashMap<>();
            Map<BodyId, String> owner = new HashMap<>();
            Map<Integer, String> names = new HashMap<>();
            slot.scan(slot.messages, new byte[0], (k, v) -> {
                BodyId b = MessageValue.decode(v).body();
                refs.merge(b, 1L, Long::sum);
                int uid = ByteBuffer.wrap(k).getInt();
                owner.putIfAbsent(b, names.computeIfAbsent(uid, this::userName));
            });
            Map<BodyId, Long> counts = new HashMap<>();
            slot.scan(slot.refcounts, new byte[0], (k, v) -> counts.put(BodyId.of(k), Keys.getLong(v)));
            WriteOps fix = new WriteOps();
            for (var e : refs.entrySet()) {
                BodyId b = e.getKey();
                byte[] location = slot.get(slot.bodies, Keys.body(b));
                boolean hasBody = location != null;
                boolean hasParsed = slot.get(slot.parsed, Keys.body(b)) != null;
                if (!hasBody) problem(owner.get(b), "body " + b + " is missing (" + e.getValue() + " messages refer to it)", false);
                else checkLocation(owner.get(b), b, BodyLog.Location.decode(location));
                if (hasBody && !hasParsed) {
                    problem(owner.get(b), "body " + b + " has no parse", repair);
                    if (repair) {
                        try (var in = slot.openBody(b)) {
                            byte[] bytes = in.readAllBytes();
                            fix.put(slot.parsed, Keys.body(b), dev.cairn.store.mime.ParsedCodec.encode(dev.cairn.store.mime.MimeParser.parse(bytes)));
                        } catch (java.io.IOException ex) {
                            problem(owner.get(b), "body " + b + " cannot be read: " + ex.getMessage(), false);
                        }
                    }
                }
                long count = counts.getOrDefault(b, 0L);
                if (wholeSlot && count != e.getValue()) {
                    problem(owner.get(b), "body " + b + " has reference count " + count + " but " + e.getValue() + " messages", repair);
                    if (repair) slot.putRefcount(fix, b, e.getValue());
                }
            }
            if (wholeSlot) {
                for (var e : counts.entrySet()) {
                    if (refs.containsKey(e.getKey())) continue;
                    problem(null, "orphan body " + e.getKey() + " (count " + e.getValue() + ", no message refers to it)", repair);
                    if (repair) slot.deleteBody(fix, e.getKey());
                }
                slot.scan(slot.bodies, new byte[0], (k, v) -> {
                    BodyId b = BodyId.of(k);
                    if (!refs.containsKey(b) && !counts.containsKey(b)) {
                        problem(null, "orphan body " + b + " (no count, no message)", repair);
                        if (repair) slot.deleteBody(fix, b);
                    }
                });
                slot.scan(slot.parsed, new byte[0], (k, v) -> {
                    BodyId b = BodyId.of(k);
                    if (!refs.containsKey(b) && !counts.containsKey(b) && !slot.hasBody(b)) {
                        problem(null, "orphan parse of body " + b, repair);
                        if (repair) fix.delete(slot.parsed, k);
                    }
                });
            }
            if (repair && !fix.isEmpty()) slot.commitDurably(fix);
        }
    }

    /** The location must lie inside a segment file that is there (its bytes are not hashed again: that reads every body). */
    private void checkLocation(String user, BodyId b, BodyLog.Location at) {
        BodyLog.Segment seg = slot.bodyLog.segment(at.segment());
        if (seg == null) problem(user, "body " + b + " lies in segment " + at.segment() + ", which is not there", false);
        else if (at.offset() < 0 || at.offset() + at.length() > seg.end) {
            problem(user, "body " + b + " lies beyond the end of segment " + at.segment() + " (" + at + ", " + seg.end + " bytes)", false);
        }
    }

    private String userName(int id) {
        byte[] v = slot.get(slot.meta, Keys.userTag(id, Keys.NAME));
        return v == null ? "#" + id : new String(v, java.nio.charset.StandardCharsets.UTF_8);
    }
}
