// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.store.BodyId;
import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.changelog.ChangeRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Per user, the commits made here since the {@code previous} seq of the first one, in order and
 * without a gap, as the commit encoded them and with the bodies it held: a channel ships them from
 * memory instead of reading them back from the change log and the body store. The log stays the
 * source whenever the tail does not reach back to where shipping resumes (after a reconnect or a
 * rewind, or when a commit was left out because the tail was full or the replica away). Holds
 * {@link #MAX_BYTES} at most (records and bodies), so a replica that falls behind costs a bounded
 * heap. Thread-safe: commits add from the committing threads, the channel's sender takes.
 */
final class CommitTail {
    /** What the tail may hold (records and bodies); beyond it the log serves. */
    static final long MAX_BYTES = 16L << 20;

    record Committed(long previous, ChangeRecord record, byte[] encoded, Map<BodyId, byte[]> bodies, long bytes) {
        /** A record read back from the change log: encoded again when shipped, bodies read from the store. */
        static Committed fromLog(ChangeRecord record) { return new Committed(-1, record, null, Map.of(), 0); }
    }

    private final Map<String, ArrayDeque<Committed>> byUser = new HashMap<>();
    private long bytes;

    /**
     * Adds the commit to the user's tail, starting it anew after a gap; left out (then read from
     * the log when it is shipped) while the replica is away or when the tail is full.
     */
    synchronized void keep(boolean connected, String user, long previous, ChangeRecord record, byte[] encoded,
                           Map<BodyId, byte[]> bodies) {
        ArrayDeque<Committed> q = byUser.get(user);
        if (q != null && q.peekLast().record().seq() != previous) {
            drop(user); // a record of the user came in between without passing here
            q = null;
        }
        long size = encoded.length;
        for (byte[] b : bodies.values()) size += b.length;
        if (!connected || bytes + size > MAX_BYTES) return;
        if (q == null) byUser.put(user, q = new ArrayDeque<>());
        q.add(new Committed(previous, record, encoded, bodies, size));
        bytes += size;
    }

    /** The user's tail is of no use any more (the user is gone). */
    synchronized void drop(String user) {
        ArrayDeque<Committed> q = byUser.remove(user);
        if (q != null) for (Committed k : q) bytes -= k.bytes();
    }

    /** Shipping resumes from the replica's positions, mostly below the tail: it is freed. */
    synchronized void clear() {
        byUser.clear();
        bytes = 0;
    }

    /**
     * The user's commits from seq {@code from} on (at most {@code max} of them, and about
     * {@code maxBytes}), or null when the tail does not hold every record from there: then the
     * change log must be read. Commits below {@code from} (shipped already) are dropped.
     */
    synchronized List<Committed> take(String user, long from, int max, long maxBytes) {
        ArrayDeque<Committed> q = byUser.get(user);
        if (q == null) return null;
        while (!q.isEmpty() && q.peekFirst().record().seq() < from) bytes -= q.pollFirst().bytes();
        if (q.isEmpty() || q.peekFirst().previous() >= from) {
            // Empty, or records between from and the tail's first are only in the log (the
            // tail's commits that the log read covers are dropped here next time).
            if (q.isEmpty()) byUser.remove(user);
            return null;
        }
        List<Committed> out = new ArrayList<>();
        long taken = 0;
        while (!q.isEmpty() && out.size() < max && taken < maxBytes) {
            Committed k = q.pollFirst();
            bytes -= k.bytes();
            taken += k.bytes();
            out.add(k);
        }
        if (q.isEmpty()) byUser.remove(user);
        return out;
    }

    /**
     * The user's commits to ship from seq {@code from} on: from this tail when it holds them, else
     * read from the change log (and what the log covered dropped here); null when the log no
     * longer has {@code from} either (pruned: the user is to be copied whole).
     */
    List<Committed> commits(String user, long from, int max, long maxBytes, ChangeLog log) {
        List<Committed> commits = take(user, from, max, maxBytes);
        if (commits != null) return commits;
        if (from < log.firstSeq(user)) return null;
        commits = new ArrayList<>();
        for (ChangeRecord rec : log.read(user, from, max)) commits.add(Committed.fromLog(rec));
        if (!commits.isEmpty()) take(user, commits.getLast().record().seq() + 1, 0, 0);
        return commits;
    }
}
