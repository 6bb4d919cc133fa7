// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A sequence-set of RFC 9051 §9 ({@code 1:4,7,9:*}) or the SEARCHRES marker {@code $} (RFC 5182).
 * Kept as ranges; {@code *} is stored as {@link #STAR} and resolved against the mailbox when used.
 * The parser bounds the number of ranges, so a set never costs more than that many pairs.
 */
public final class SequenceSet {
    public static final long STAR = -1;
    private static final SequenceSet SAVED = new SequenceSet(new long[0], true);

    private final long[] ranges; // pairs: from, to (either may be STAR), as written
    private final boolean saved;

    private SequenceSet(long[] ranges, boolean saved) {
        this.ranges = ranges;
        this.saved = saved;
    }

    public static SequenceSet saved() { return SAVED; }

    public static SequenceSet of(long[] ranges) {
        if (ranges.length % 2 != 0) throw new IllegalArgumentException("ranges come in pairs");
        return new SequenceSet(ranges.clone(), false);
    }

    /** A set of the given numbers, merged into ranges (for SEARCHRES results, COPYUID). */
    public static SequenceSet ofNumbers(long[] sortedNumbers) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < sortedNumbers.length; ) {
            int j = i;
            while (j + 1 < sortedNumbers.length && sortedNumbers[j + 1] <= sortedNumbers[j] + 1) j++;
            out.add(sortedNumbers[i]);
            out.add(sortedNumbers[j]);
            i = j + 1;
        }
        long[] r = new long[out.size()];
        for (int i = 0; i < r.length; i++) r[i] = out.get(i);
        return new SequenceSet(r, false);
    }

    /** Parses a whole sequence-set; null when it is not one or has more than {@code maxRanges} ranges. */
    public static SequenceSet parse(String text, int maxRanges) {
        if (text.equals("$")) return SAVED;
        if (text.isEmpty()) return null;
        String[] parts = text.split(",", -1);
        if (parts.length > maxRanges) return null;
        long[] r = new long[parts.length * 2];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            int colon = p.indexOf(':');
            long a, b;
            if (colon < 0) {
                a = b = number(p);
            } else {
                a = number(p.substring(0, colon));
                b = number(p.substring(colon + 1));
            }
            if (a == 0 || b == 0) return null;
            r[2 * i] = a;
            r[2 * i + 1] = b;
        }
        return new SequenceSet(r, false);
    }

    /** A seq-number: nz-number up to 2^32-1, or "*"; 0 when invalid. */
    private static long number(String s) {
        if (s.equals("*")) return STAR;
        if (s.isEmpty() || s.length() > 10 || s.charAt(0) == '0') return 0;
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return 0;
            v = v * 10 + (c - '0');
        }
        return v > 0xFFFF_FFFFL ? 0 : v;
    }

    public boolean isSaved() { return saved; }

    /**
     * Whether {@code n} is in the set, {@code *} meaning {@code max} (RFC 9051 §9: "*" is the
     * largest number in use; a range is unordered, 4:2 is 2:4).
     */
    public boolean contains(long n, long max) {
        if (saved) throw new IllegalStateException("resolve $ first");
        for (int i = 0; i < ranges.length; i += 2) {
            long a = ranges[i] == STAR ? max : ranges[i];
            long b = ranges[i + 1] == STAR ? max : ranges[i + 1];
            if (n >= Math.min(a, b) && n <= Math.max(a, b)) return true;
        }
        return false;
    }

    /** The lowest and highest number the set can name with {@code *} as {@code max}. */
    public long low(long max) {
        long low = Long.MAX_VALUE;
        for (int i = 0; i < ranges.length; i++) low = Math.min(low, ranges[i] == STAR ? max : ranges[i]);
        return low;
    }

    public long high(long max) {
        long high = 0;
        for (int i = 0; i < ranges.length; i++) high = Math.max(high, ranges[i] == STAR ? max : ranges[i]);
        return high;
    }

    /** Whether any element is written as {@code *}. */
    public boolean hasStar() {
        for (long v : ranges) if (v == STAR) return true;
        return false;
    }

    public int rangeCount() { return ranges.length / 2; }

    @Override public String toString() {
        if (saved) return "$";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ranges.length; i += 2) {
            if (i > 0) sb.append(',');
            sb.append(ranges[i] == STAR ? "*" : Long.toString(ranges[i]));
            if (ranges[i + 1] != ranges[i]) sb.append(':').append(ranges[i + 1] == STAR ? "*" : Long.toString(ranges[i + 1]));
        }
        return sb.toString();
    }

    @Override public boolean equals(Object o) {
        return o instanceof SequenceSet s && s.saved == saved && Arrays.equals(s.ranges, ranges);
    }

    @Override public int hashCode() { return Arrays.hashCode(ranges) * 31 + (saved ? 1 : 0); }
}
