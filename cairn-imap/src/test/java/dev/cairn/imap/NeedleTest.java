// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Substring search for SEARCH: the same answers as String.contains, in linear time. */
class NeedleTest {
    @Test void agreesWithContainsOnRandomTexts() {
        Random random = new Random(9051);
        for (int round = 0; round < 20_000; round++) {
            String text = random(random, 30), needle = random(random, 5);
            assertThat(new Needle(needle).in(text)).as("%s in %s", needle, text).isEqualTo(text.contains(needle));
        }
        assertThat(new Needle("").in("")).isTrue();
        assertThat(new Needle("b").in("ab", 2)).isFalse();
    }

    /** "aaa...ab" in "aaa...a": String.contains compares again from each position (10^11 steps here). */
    @Test @Timeout(value = 5, unit = TimeUnit.SECONDS) void aNeedleThatAlmostMatchesEverywhereIsStillLinear() {
        String text = "a".repeat(4_000_000);
        assertThat(new Needle("a".repeat(60_000) + "b").in(text)).isFalse();
    }

    private static String random(Random random, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = random.nextInt(max + 1); i > 0; i--) sb.append("ab".charAt(random.nextInt(2)));
        return sb.toString();
    }
}
