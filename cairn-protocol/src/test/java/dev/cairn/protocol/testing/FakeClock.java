// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.testing;

import dev.cairn.protocol.auth.AuthThrottle;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

/** A clock that moves only when told, e.g. by the sleeper of an {@link AuthThrottle}, so every penalty is exact. */
public final class FakeClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(ZoneId zone) { return this; }
    @Override public Instant instant() { return now; }

    public synchronized void advance(Duration d) { now = now.plus(d); }

    /** A throttle sleeper that returns at once: it notes each wait in {@code waits} and moves this clock by it. */
    public AuthThrottle.Sleeper sleeper(List<Duration> waits) {
        return d -> {
            waits.add(d);
            advance(d);
        };
    }
}
