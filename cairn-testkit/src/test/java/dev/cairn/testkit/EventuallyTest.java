// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventuallyTest {
    @Test void retriesUntilTheAssertionHolds() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        eventually(Duration.ofSeconds(10), () -> assertThat(tries.incrementAndGet()).isEqualTo(3));
        assertThat(tries).hasValue(3);
    }

    @Test void rethrowsTheLastFailureWhenTheTimeIsUp() {
        AtomicInteger tries = new AtomicInteger();
        assertThatThrownBy(() -> eventually(Duration.ofMillis(100), () -> assertThat(tries.incrementAndGet()).isZero()))
                .isInstanceOf(AssertionError.class).hasMessageContaining("expected: 0")
                .satisfies(e -> assertThat(e.getSuppressed()[0]).hasMessage("still failing after PT0.1S"));
    }

    @Test void anExceptionCountsAsNotYet() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        eventually(Duration.ofSeconds(10), () -> {
            if (tries.incrementAndGet() < 2) throw new IOException("not yet");
        });
        assertThatThrownBy(() -> eventually(Duration.ofMillis(50), () -> {
            throw new IOException("never");
        })).isInstanceOf(IOException.class).hasMessage("never");
    }
}
