// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cluster's write lease as commits ask it: held, back within the hold, or lapsed. */
@Timeout(30)
class AcknowledgementFenceTest {
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AcknowledgementFence fence = new AcknowledgementFence(closed::get);

    @Test void withoutALeaseEveryCommitMayBeAcknowledged() {
        assertThat(fence.mayAcknowledge(() -> false)).as("afterWait is asked only after a wait").isTrue();
    }

    @Test void aLeaseBackWithinTheHoldLetsTheCommitGoOnIfTheStoreStayed() {
        long back = System.nanoTime() + Duration.ofMillis(100).toNanos();
        fence.set(() -> System.nanoTime() > back, Duration.ofSeconds(10));
        assertThat(fence.mayAcknowledge(() -> true)).isTrue();
        long again = System.nanoTime() + Duration.ofMillis(100).toNanos();
        fence.set(() -> System.nanoTime() > again, Duration.ofSeconds(10));
        assertThat(fence.mayAcknowledge(() -> false)).as("the store moved meanwhile").isFalse();
    }

    @Test void aLeaseThatStaysAwayFailsTheCommitAfterTheHoldOrAtOnceWhenClosed() {
        fence.set(() -> false, Duration.ofMillis(200));
        long start = System.nanoTime();
        assertThat(fence.mayAcknowledge(() -> true)).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        fence.set(() -> false, Duration.ofMinutes(10));
        closed.set(true);
        start = System.nanoTime();
        assertThat(fence.mayAcknowledge(() -> true)).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
}
