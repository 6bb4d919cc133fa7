// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The relay's copy loop: a direction that is drained waits on {@link BackendSession#IDLE_BUFFER}
 * octets (thousands of sessions sit in IDLE), a busy one reads {@link BackendSession#BUFFER} at a
 * time, and every octet arrives in order.
 */
class BackendSessionTest {
    /** A source that hands out the given chunk sizes (capped by what the reader asks for) and records each request. */
    private static final class Chunks implements BackendSession.Source {
        final Deque<Integer> sizes;
        final List<Integer> asked = new ArrayList<>();
        int next;

        Chunks(Integer... sizes) { this.sizes = new ArrayDeque<>(List.of(sizes)); }

        @Override public int read(byte[] buffer, int offset, int length) {
            asked.add(length);
            if (sizes.isEmpty()) return -1;
            int n = Math.min(length, sizes.pop());
            for (int i = 0; i < n; i++) buffer[offset + i] = (byte) next++;
            return n;
        }
    }

    @Test void aDrainedDirectionWaitsOnTheSmallBufferAndABusyOneReadsInLargeSteps() throws Exception {
        int small = BackendSession.IDLE_BUFFER, large = BackendSession.BUFFER;
        // a command line; a long reply (fills the small buffer, then the large one twice, then its tail); a line again
        Chunks from = new Chunks(30, 100_000, 100_000, 100_000, 700, 40);
        ByteArrayOutputStream to = new ByteArrayOutputStream();
        Counter bytes = new SimpleMeterRegistry().counter("relayed");
        int[] flushes = {0};

        BackendSession.copy(from, to, () -> flushes[0]++, bytes);

        assertThat(from.asked).containsExactly(small, small, large, large, large, small, small);
        byte[] out = to.toByteArray();
        int total = 30 + small + 2 * large + 700 + 40;
        assertThat(out).hasSize(total);
        for (int i = 0; i < out.length; i++) assertThat(out[i]).isEqualTo((byte) i);
        assertThat(bytes.count()).isEqualTo(total);
        assertThat(flushes[0]).as("a flush after every read").isEqualTo(6);
    }
}
