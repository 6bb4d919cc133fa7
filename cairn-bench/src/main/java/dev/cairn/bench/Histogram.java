// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

/**
 * Latencies in microseconds, in log-linear buckets (32 per power of two, so any value is
 * known within about 3%). Not thread-safe: each client records into its own and they are
 * merged at the end.
 */
public final class Histogram {

    private static final int SUB_BITS = 5;
    private static final int SUB = 1 << SUB_BITS;
    private static final int LINEAR = 2 * SUB;
    private static final int BUCKETS = LINEAR + (64 - SUB_BITS - 1) * SUB;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long sum;
    private long max;

    public void record(long micros) {
        long value = Math.max(0, micros);
        counts[index(value)]++;
        total++;
        sum += value;
        max = Math.max(max, value);
    }

    public void add(Histogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        sum += other.sum;
        max = Math.max(max, other.max);
    }

    public long count() {
        return total;
    }

    public long max() {
        return max;
    }

    public double mean() {
        return total == 0 ? 0 : (double) sum / total;
    }

    /** The value at {@code quantile} (0..1): the middle of the bucket holding it, capped at the maximum. */
    public long percentile(double quantile) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(quantile * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(max, middle(i));
            }
        }
        return max;
    }

    static int index(long value) {
        if (value < LINEAR) {
            return (int) value;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(value);
        int shift = exponent - SUB_BITS;
        int sub = (int) (value >>> shift) - SUB;
        return LINEAR + (exponent - SUB_BITS - 1) * SUB + sub;
    }

    static long lowest(int index) {
        if (index < LINEAR) {
            return index;
        }
        int exponent = (index - LINEAR) / SUB + SUB_BITS + 1;
        int sub = (index - LINEAR) % SUB;
        return (long) (SUB + sub) << (exponent - SUB_BITS);
    }

    private static long middle(int index) {
        if (index < LINEAR) {
            return index;
        }
        long low = lowest(index);
        long width = index + 1 < BUCKETS ? lowest(index + 1) - low : low / SUB;
        return low + width / 2;
    }
}
