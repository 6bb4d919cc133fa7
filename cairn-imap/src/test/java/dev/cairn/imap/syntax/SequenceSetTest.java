// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SequenceSetTest {
    @Test void rangesStarAndReversedRanges() {
        SequenceSet s = SequenceSet.parse("1:3,7,9:*,20:15", 10);
        assertThat(s.contains(2, 30)).isTrue();
        assertThat(s.contains(5, 30)).isFalse();
        assertThat(s.contains(16, 30)).isTrue();
        assertThat(s.contains(30, 30)).isTrue();
        assertThat(SequenceSet.parse("*:5", 10).contains(3, 4)).isFalse(); // * is 4: 4:5
        assertThat(SequenceSet.parse("*:2", 10).contains(3, 4)).isTrue();
    }

    @Test void invalidSetsAreNull() {
        for (String bad : new String[] {"", "0", "1:0", "01", "1,", ",1", "1::2", "4294967296", "a", "1:2:3"}) {
            assertThat(SequenceSet.parse(bad, 10)).as(bad).isNull();
        }
        assertThat(SequenceSet.parse("1,2,3", 2)).isNull();
        assertThat(SequenceSet.parse("1,2", 2)).isNotNull();
    }

    @Test void numbersCompactIntoRanges() {
        assertThat(SequenceSet.ofNumbers(new long[] {1, 2, 3, 5, 7, 8}).toString()).isEqualTo("1:3,5,7:8");
        assertThat(SequenceSet.parse("$", 1).isSaved()).isTrue();
    }
}
