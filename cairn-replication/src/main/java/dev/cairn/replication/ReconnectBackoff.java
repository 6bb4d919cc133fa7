// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a channel waits before it connects again: {@code first} after the first failure,
 * doubling with each failure after it up to {@code max}, each wait drawn between half and all of
 * that ("equal jitter"), so that a store's channels to a replica that is down do not knock
 * together and a replica that comes back is found within {@code max}. A handshake that completes
 * starts over from {@code first}. One per channel; used by the channel's thread only.
 */
final class ReconnectBackoff {
    private final long firstNanos, maxNanos;
    private long ceiling;

    ReconnectBackoff(Duration first, Duration max) {
        this.firstNanos = Math.max(1, first.toNanos());
        this.maxNanos = Math.max(firstNanos, max.toNanos());
        this.ceiling = firstNanos;
    }

    /** The wait before the next attempt; the one after it is up to twice as long (at most {@code max}). */
    Duration next() {
        long c = ceiling;
        ceiling = c > maxNanos / 2 ? maxNanos : c * 2;
        return Duration.ofNanos(c / 2 + ThreadLocalRandom.current().nextLong(c / 2 + 1));
    }

    /** A handshake completed: the next failure waits {@code first} again. */
    void reset() { ceiling = firstNanos; }
}
