// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WriteLeaseTest {
    static final long SESSION = 0x1234, TIMEOUT_MS = 4_000, HALF = TIMEOUT_MS * 1_000_000 / 2;
    final AtomicLong clock = new AtomicLong(1_000_000_000L);
    final WriteLease lease = new WriteLease(clock::get);

    @Test
    void shutUntilTheMapWasLearnedOnASession() {
        assertThat(lease.mayAcknowledge()).isFalse();
        assertThat(lease.grant(SESSION, TIMEOUT_MS, clock.get(), lease.generation())).isTrue();
        assertThat(lease.mayAcknowledge()).isTrue();
    }

    @Test
    void aPausedNodeLosesItsLeaseHalfASessionAfterItsLastAnsweredRequestWithoutAnyEvent() {
        long proof = clock.get();
        lease.grant(SESSION, TIMEOUT_MS, proof, lease.generation());
        clock.set(proof + HALF - 1);
        assertThat(lease.mayAcknowledge()).as("half a session less a nanosecond").isTrue();
        clock.set(proof + HALF);
        assertThat(lease.mayAcknowledge()).as("half a session: the session may expire from a whole one on").isFalse();
        lease.heard(SESSION, lease.generation(), clock.get());
        assertThat(lease.mayAcknowledge()).as("an answer to a request sent now extends it").isTrue();
    }

    @Test
    void aSuspensionShutsItAtOnceAndAnAnswerToARequestSentBeforeDoesNotReopenIt() {
        lease.grant(SESSION, TIMEOUT_MS, clock.get(), lease.generation());
        long generation = lease.generation(), sent = clock.get();
        lease.suspend();
        assertThat(lease.mayAcknowledge()).isFalse();
        lease.heard(SESSION, generation, sent);
        assertThat(lease.mayAcknowledge()).isFalse();
    }

    @Test
    void theSameSessionReopensItButANewSessionNeedsTheMapLearnedAgain() {
        lease.grant(SESSION, TIMEOUT_MS, clock.get(), lease.generation());
        lease.suspend();
        assertThat(lease.reconnected(SESSION + 1)).isFalse();
        assertThat(lease.mayAcknowledge()).isFalse();
        assertThat(lease.reconnected(SESSION)).isTrue();
        assertThat(lease.mayAcknowledge()).isTrue();
        clock.addAndGet(HALF);
        assertThat(lease.mayAcknowledge()).as("still bounded by the last answered request").isFalse();
    }

    @Test
    void aMapLearnedOverAConnectionThatWasSuspendedMeanwhileGrantsNothing() {
        long generation = lease.generation();
        lease.suspend();
        assertThat(lease.grant(SESSION, TIMEOUT_MS, clock.get(), generation)).isFalse();
        assertThat(lease.mayAcknowledge()).isFalse();
    }

    @Test
    void anAnswerOnAnotherSessionOrAfterCloseCountsForNothing() {
        lease.grant(SESSION, TIMEOUT_MS, clock.get(), lease.generation());
        clock.addAndGet(HALF);
        lease.heard(SESSION + 1, lease.generation(), clock.get());
        assertThat(lease.mayAcknowledge()).isFalse();
        lease.close();
        lease.heard(SESSION, lease.generation(), clock.get());
        assertThat(lease.reconnected(SESSION)).isFalse();
        assertThat(lease.mayAcknowledge()).isFalse();
    }
}
