// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Errors seen during a run, counted by kind ({@code uid-reused}, {@code flag-lost},
 * {@code connection}, ...), with the first few described in full so a report says what
 * went wrong, not only how often.
 */
public final class Errors {

    private static final int SAMPLES = 20;

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();
    private final List<String> samples = new ArrayList<>();

    public void report(String kind, String detail) {
        counts.computeIfAbsent(kind, k -> new LongAdder()).increment();
        total.increment();
        synchronized (samples) {
            if (samples.size() < SAMPLES) {
                samples.add(kind + ": " + detail);
            }
        }
    }

    public long total() {
        return total.sum();
    }

    public long count(String kind) {
        LongAdder adder = counts.get(kind);
        return adder == null ? 0 : adder.sum();
    }

    /** Counts by kind, sorted by name. */
    public Map<String, Long> byKind() {
        Map<String, Long> sorted = new TreeMap<>();
        counts.forEach((kind, count) -> sorted.put(kind, count.sum()));
        return sorted;
    }

    public List<String> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }
}
