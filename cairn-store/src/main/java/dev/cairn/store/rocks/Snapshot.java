// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.Flags;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.ModSeq;
import dev.cairn.store.Uid;
import java.util.Arrays;

/**
 * An immutable mailbox state in three primitive arrays: 20 bytes a message (UID as an unsigned
 * int, MODSEQ, flag mask). Appends share the arrays with the previous snapshot: an older snapshot
 * only reads its first {@code size} entries, and only the newest snapshot of a view (under the
 * user's write lock) writes past them. Flag changes and expunges copy.
 */
final class Snapshot implements MailboxSnapshot {
    /** Arrays possibly shared by several snapshots; {@code used} is how far the newest one reaches. */
    static final class Arrays3 {
        int[] uids;
        long[] modSeqs, masks;
        int used;

        Arrays3(int capacity) {
            uids = new int[capacity]; modSeqs = new long[capacity]; masks = new long[capacity];
        }
    }

    private final MailboxInfo info;
    private final Arrays3 arrays;
    private final int size;
    /**
     * A mailbox's keyword table with the Flags of each mask seen, shared by the snapshots that
     * have the same table: FETCH FLAGS of 100,000 messages makes a handful of Flags, not 100,000.
     */
    static final class FlagTable {
        final String[] keywords;
        private final java.util.concurrent.ConcurrentHashMap<Long, Flags> cache = new java.util.concurrent.ConcurrentHashMap<>();

        FlagTable(String[] keywords) { this.keywords = keywords; }

        Flags flags(long mask) {
            Flags f = cache.get(mask);
            if (f == null) {
                f = MailboxMeta.flags(mask, keywords);
                if (cache.size() < 4096) cache.putIfAbsent(mask, f);
            }
            return f;
        }
    }

    private final FlagTable table;

    Snapshot(MailboxInfo info, Arrays3 arrays, int size, FlagTable table) {
        this.info = info; this.arrays = arrays; this.size = size; this.table = table;
    }

    private FlagTable table(String[] keywords) { return keywords == table.keywords ? table : new FlagTable(keywords); }

    @Override public MailboxInfo info() { return info; }

    @Override public int size() { return size; }

    @Override public Uid uid(int index) { return Uid.of(uidAt(index)); }

    long uidAt(int index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException(index);
        return Integer.toUnsignedLong(arrays.uids[index]);
    }

    @Override public ModSeq modSeq(int index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException(index);
        return ModSeq.of(arrays.modSeqs[index]);
    }

    @Override public Flags flags(int index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException(index);
        return table.flags(arrays.masks[index]);
    }

    long maskAt(int index) { return arrays.masks[index]; }

    @Override public java.util.List<String> keywords() { return java.util.List.of(table.keywords); }

    @Override public int indexOf(Uid uid) {
        int key = (int) uid.value();
        int lo = 0, hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Integer.compareUnsigned(arrays.uids[mid], key);
            if (c < 0) lo = mid + 1;
            else if (c > 0) hi = mid - 1;
            else return mid;
        }
        return -(lo + 1);
    }

    Snapshot withInfo(MailboxInfo newInfo, String[] newKeywords) { return new Snapshot(newInfo, arrays, size, table(newKeywords)); }

    /** This snapshot plus messages with higher UIDs, sharing arrays when this is the newest snapshot on them. */
    Snapshot appended(MailboxInfo newInfo, String[] newKeywords, long[] uids, long[] modSeqs, long[] masks) {
        int n = uids.length;
        Arrays3 target = arrays;
        if (arrays.used != size || size + n > arrays.uids.length) {
            target = new Arrays3(Math.max(16, (size + n) + (size + n) / 4));
            System.arraycopy(arrays.uids, 0, target.uids, 0, size);
            System.arraycopy(arrays.modSeqs, 0, target.modSeqs, 0, size);
            System.arraycopy(arrays.masks, 0, target.masks, 0, size);
        }
        for (int i = 0; i < n; i++) {
            target.uids[size + i] = (int) uids[i];
            target.modSeqs[size + i] = modSeqs[i];
            target.masks[size + i] = masks[i];
        }
        target.used = size + n;
        return new Snapshot(newInfo, target, size + n, table(newKeywords));
    }

    /** A copy with the given messages' modseq and mask replaced (indexes into this snapshot). */
    Snapshot flagged(MailboxInfo newInfo, String[] newKeywords, int[] indexes, long modSeq, long[] masks) {
        Arrays3 target = copy(size + Math.max(16, size / 8));
        for (int i = 0; i < indexes.length; i++) {
            target.modSeqs[indexes[i]] = modSeq;
            target.masks[indexes[i]] = masks[i];
        }
        return new Snapshot(newInfo, target, size, table(newKeywords));
    }

    /** A copy without the messages at the given (ascending) indexes. */
    Snapshot expunged(MailboxInfo newInfo, String[] newKeywords, int[] indexes) {
        int n = size - indexes.length;
        Arrays3 target = new Arrays3(n + Math.max(16, n / 8));
        int from = 0, to = 0;
        for (int gone : indexes) {
            int len = gone - from;
            System.arraycopy(arrays.uids, from, target.uids, to, len);
            System.arraycopy(arrays.modSeqs, from, target.modSeqs, to, len);
            System.arraycopy(arrays.masks, from, target.masks, to, len);
            to += len;
            from = gone + 1;
        }
        int len = size - from;
        System.arraycopy(arrays.uids, from, target.uids, to, len);
        System.arraycopy(arrays.modSeqs, from, target.modSeqs, to, len);
        System.arraycopy(arrays.masks, from, target.masks, to, len);
        target.used = n;
        return new Snapshot(newInfo, target, n, table(newKeywords));
    }

    private Arrays3 copy(int capacity) {
        Arrays3 t = new Arrays3(capacity);
        System.arraycopy(arrays.uids, 0, t.uids, 0, size);
        System.arraycopy(arrays.modSeqs, 0, t.modSeqs, 0, size);
        System.arraycopy(arrays.masks, 0, t.masks, 0, size);
        t.used = size;
        return t;
    }

    /** Trims spare capacity (after a cold load, to keep a big idle mailbox small). */
    static Snapshot of(MailboxInfo info, String[] keywords, int[] uids, long[] modSeqs, long[] masks, int size) {
        Arrays3 a = new Arrays3(0);
        a.uids = Arrays.copyOf(uids, size); a.modSeqs = Arrays.copyOf(modSeqs, size); a.masks = Arrays.copyOf(masks, size);
        a.used = size;
        return new Snapshot(info, a, size, new FlagTable(keywords));
    }
}
