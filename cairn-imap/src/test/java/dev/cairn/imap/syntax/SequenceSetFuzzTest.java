// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Sequence sets (RFC 9051 §9 sequence-set, RFC 5182 "$"): a text is refused (null) or gives a set
 * of at most the allowed ranges, whose written form parses back to the same set, and whose
 * low/high bounds agree with membership.
 */
class SequenceSetFuzzTest {
    private static final int MAX_RANGES = 16;

    @FuzzTest
    void parse(byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        SequenceSet set = SequenceSet.parse(text, MAX_RANGES);
        if (set == null) return;
        if (set.isSaved()) {
            assertThat(text).isEqualTo("$");
            return;
        }
        assertThat(set.rangeCount()).isBetween(1, MAX_RANGES);
        assertThat(SequenceSet.parse(set.toString(), MAX_RANGES)).isEqualTo(set);
        long max = 1 + (data.length * 7919L) % 5000; // some mailbox size, for "*"
        long low = set.low(max), high = set.high(max);
        assertThat(low).isBetween(1L, 0xFFFF_FFFFL);
        assertThat(high).isBetween(low, 0xFFFF_FFFFL);
        assertThat(set.contains(low, max)).isTrue();
        assertThat(set.contains(high, max)).isTrue();
        assertThat(set.contains(low - 1, max)).isFalse();
        assertThat(set.contains(high + 1, max)).isFalse();
    }
}
