// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class VerifiedPasswordsTest {
    private static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    }

    private final MutableClock clock = new MutableClock();
    private final VerifiedPasswords verified = new VerifiedPasswords(2, Duration.ofMinutes(10), clock);

    @Test
    void remembersOnlyTheExactPasswordForTheExactHash() {
        verified.remember("$argon2id$a", "secret".toCharArray());
        assertThat(verified.matches("$argon2id$a", "secret".toCharArray())).isTrue();
        assertThat(verified.matches("$argon2id$a", "Secret".toCharArray())).isFalse();
        assertThat(verified.matches("$argon2id$b", "secret".toCharArray())).isFalse();
        assertThat(verified.matches(null, "secret".toCharArray())).isFalse();
        assertThat(verified.matches("$argon2id$a", null)).isFalse();
    }

    @Test
    void forgetsAfterTheTtl() {
        verified.remember("h", "pw".toCharArray());
        clock.now = clock.now.plus(Duration.ofMinutes(10)).minusSeconds(1);
        assertThat(verified.matches("h", "pw".toCharArray())).isTrue();
        clock.now = clock.now.plusSeconds(1);
        assertThat(verified.matches("h", "pw".toCharArray())).isFalse();
        assertThat(verified.size()).isZero();
    }

    @Test
    void staysWithinItsCapacityDroppingTheLeastRecentlyUsed() {
        verified.remember("a", "1".toCharArray());
        verified.remember("b", "2".toCharArray());
        assertThat(verified.matches("a", "1".toCharArray())).isTrue(); // a is now the most recent
        verified.remember("c", "3".toCharArray());
        assertThat(verified.size()).isEqualTo(2);
        assertThat(verified.matches("b", "2".toCharArray())).isFalse();
        assertThat(verified.matches("a", "1".toCharArray())).isTrue();
        assertThat(verified.matches("c", "3".toCharArray())).isTrue();
    }
}
