// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.SlotReplication;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * How many changes a user's log holds between two seqs: what a replica lacks, in changes. A
 * master's seqs follow each other except where a promotion jumped past its former master's
 * reservation and window ({@link SlotReplication#promote}: 2^32 and more, one record marks it), so
 * a replica behind such a jump lacks one change there, not four billion. A span shorter than the
 * smallest jump cannot hold one and costs nothing; a longer one is walked run by run, the end of a
 * run found by bisection on the log (about 32 reads of one record), and each jump found is kept
 * (a jump never moves), so status and metrics read the log again only for a jump not seen before.
 */
final class ChangeCount {
    private final ChangeLog log;
    /** Per user, the jumps found: the last seq before a gap to the first after it. */
    private final Map<String, NavigableMap<Long, Long>> jumps = new ConcurrentHashMap<>();

    ChangeCount(ChangeLog log) { this.log = log; }

    /** The changes of the user with a seq above {@code after} and at most {@code upto} that the log holds. */
    long between(String user, long after, long upto) {
        if (upto - after <= SlotReplication.MODSEQ_WINDOW) return Math.max(0, upto - after); // no jump fits
        long n = 0, from = after + 1;
        while (from <= upto) {
            long first = firstFrom(user, from);
            if (first > upto) break;
            long last = runEnd(user, first, upto);
            n += last - first + 1;
            from = last + 1;
        }
        return n;
    }

    /** The seq of the user's first record at or after {@code from} (Long.MAX_VALUE: none). */
    private long firstFrom(String user, long from) {
        Map.Entry<Long, Long> j = jumpsOf(user).lowerEntry(from);
        if (j != null && from < j.getValue()) return j.getValue(); // inside a known gap
        List<ChangeRecord> r = log.read(user, from, 1);
        return r.isEmpty() ? Long.MAX_VALUE : r.getFirst().seq();
    }

    /** The last seq, at most {@code upto}, of the run of records that starts at {@code first} (which the log holds). */
    private long runEnd(String user, long first, long upto) {
        long hi = Math.min(upto, first + SlotReplication.MODSEQ_WINDOW);
        Long known = jumpsOf(user).ceilingKey(first);
        if (known != null && known <= hi) return known;
        if (present(user, hi)) return hi; // the seqs between first and hi cannot hold a gap
        long lo = first; // present; hi is not
        while (hi - lo > 1) {
            long mid = lo + (hi - lo) / 2;
            if (present(user, mid)) lo = mid;
            else hi = mid;
        }
        long after = firstFrom(user, lo + 1);
        if (after != Long.MAX_VALUE) jumpsOf(user).put(lo, after);
        return lo;
    }

    private boolean present(String user, long seq) {
        List<ChangeRecord> r = log.read(user, seq, 1);
        return !r.isEmpty() && r.getFirst().seq() == seq;
    }

    private NavigableMap<Long, Long> jumpsOf(String user) { return jumps.computeIfAbsent(user, u -> new ConcurrentSkipListMap<>()); }

    /** The user is gone here: its jumps with it. */
    void forget(String user) { jumps.remove(user); }
}
