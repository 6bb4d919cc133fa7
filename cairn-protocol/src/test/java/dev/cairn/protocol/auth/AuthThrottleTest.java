// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthThrottleTest {
    static final class FakeClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
        void advance(Duration d) { now = now.plus(d); }
    }

    final FakeClock clock = new FakeClock();
    final List<Duration> slept = new ArrayList<>();
    final AuthThrottle throttle = new AuthThrottle(AuthThrottle.Config.DEFAULT, clock, slept::add);

    static InetAddress ip(String s) throws Exception { return InetAddress.getByName(s); }

    static List<Duration> seconds(long... s) {
        List<Duration> out = new ArrayList<>();
        for (long v : s) out.add(Duration.ofSeconds(v));
        return out;
    }

    @Test
    void delayDoublesFromTwoSecondsToTheFifteenSecondCap() throws Exception {
        for (int i = 0; i < 6; i++) throttle.failed("alice", ip("192.0.2.1"));
        assertThat(slept).isEqualTo(seconds(2, 4, 8, 15, 15, 15));
    }

    @Test
    void theAddressCountsAcrossUserNames() throws Exception {
        throttle.failed("alice", ip("192.0.2.1"));
        throttle.failed("bob", ip("192.0.2.1"));
        throttle.failed("carol", ip("192.0.2.1"));
        assertThat(slept).isEqualTo(seconds(2, 4, 8));
        // Another address guessing a fresh name starts over.
        throttle.failed("dave", ip("198.51.100.7"));
        assertThat(slept.getLast()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void theUserCountsAcrossAddresses() throws Exception {
        throttle.failed("alice", ip("192.0.2.1"));
        throttle.failed("ALICE", ip("192.0.2.2"));
        throttle.failed("alice", ip("192.0.2.3"));
        assertThat(slept).isEqualTo(seconds(2, 4, 8));
    }

    @Test
    void successResetsTheUserAndTheAddress() throws Exception {
        throttle.failed("alice", ip("192.0.2.1"));
        throttle.failed("alice", ip("192.0.2.1"));
        throttle.succeeded("alice", ip("192.0.2.1"));
        assertThat(throttle.pendingDelay("alice", ip("192.0.2.1"))).isEqualTo(Duration.ofSeconds(2));
        throttle.failed("alice", ip("192.0.2.1"));
        assertThat(slept).isEqualTo(seconds(2, 4, 2));
    }

    @Test
    void countsExpireAfterTheirLastFailure() throws Exception {
        throttle.failed("alice", ip("192.0.2.1"));
        throttle.failed("alice", ip("192.0.2.1"));
        clock.advance(Duration.ofMinutes(5).minusSeconds(1));
        throttle.failed("alice", ip("192.0.2.1"));
        assertThat(slept.getLast()).isEqualTo(Duration.ofSeconds(8));
        clock.advance(Duration.ofMinutes(5));
        throttle.failed("alice", ip("192.0.2.1"));
        assertThat(slept.getLast()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void ipv6CountsPerSlash48() throws Exception {
        throttle.failed(null, ip("2001:db8:1:aaaa::1"));
        throttle.failed(null, ip("2001:db8:1:bbbb::2"));
        throttle.failed(null, ip("2001:db8:2::1"));
        assertThat(slept).isEqualTo(seconds(2, 4, 2));
    }

    @Test
    void memoryIsBounded() throws Exception {
        AuthThrottle small = new AuthThrottle(new AuthThrottle.Config(Duration.ofSeconds(2), Duration.ofSeconds(15),
                Duration.ofMinutes(5), 100), clock, d -> {});
        for (int i = 0; i < 1000; i++) small.failed("user" + i, ip("10.0." + (i / 256) + "." + (i % 256)));
        assertThat(small.size()).isEqualTo(100);
    }

    @Test
    void delayFormula() {
        assertThat(throttle.delayAfter(0)).isZero();
        assertThat(throttle.delayAfter(1)).hasSeconds(2);
        assertThat(throttle.delayAfter(3)).hasSeconds(8);
        assertThat(throttle.delayAfter(4)).hasSeconds(15);
        assertThat(throttle.delayAfter(Integer.MAX_VALUE)).hasSeconds(15);
    }
}
