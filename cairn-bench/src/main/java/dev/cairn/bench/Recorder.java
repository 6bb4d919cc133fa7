// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * One client's operation counts and latencies per kind. The client thread records; the run
 * merges all recorders once the clients have stopped. Only the shared total is read live
 * (for the progress line).
 */
public final class Recorder {

    private final List<String> kinds;
    private final Histogram[] latencies;
    private final LongAdder liveTotal;
    private volatile boolean measuring;

    public Recorder(List<String> kinds, LongAdder liveTotal) {
        this.kinds = kinds;
        this.latencies = new Histogram[kinds.size()];
        for (int i = 0; i < latencies.length; i++) {
            latencies[i] = new Histogram();
        }
        this.liveTotal = liveTotal;
    }

    /** Operations before this is called (warm-up) are not recorded. */
    public void startMeasuring() {
        measuring = true;
    }

    public void stopMeasuring() {
        measuring = false;
    }

    public void record(String kind, long startNanos) {
        if (!measuring) {
            return;
        }
        int index = kinds.indexOf(kind);
        if (index < 0) {
            throw new IllegalArgumentException("unknown operation kind " + kind);
        }
        latencies[index].record((System.nanoTime() - startNanos) / 1000);
        liveTotal.increment();
    }

    public Histogram latencies(String kind) {
        return latencies[kinds.indexOf(kind)];
    }
}
