// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** LIST patterns (RFC 9051 §6.3.9): what they match, and that no pattern makes a match slow. */
class MailboxPatternTest {
    private static boolean matches(String reference, String pattern, String name) {
        return MailboxPattern.of(reference, pattern).matches(name);
    }

    @Test void starMatchesAcrossLevelsAndPercentWithinOne() {
        assertThat(matches("", "*", "a/b/c")).isTrue();
        assertThat(matches("", "%", "a")).isTrue();
        assertThat(matches("", "%", "a/b")).isFalse();
        assertThat(matches("", "a/%", "a/b")).isTrue();
        assertThat(matches("", "a/%", "a/b/c")).isFalse();
        assertThat(matches("", "a/*", "a/b/c")).isTrue();
        assertThat(matches("", "a*c", "abc")).isTrue();
        assertThat(matches("", "a*c", "abcd")).isFalse();
        assertThat(matches("", "", "")).isTrue();
        assertThat(matches("", "", "a")).isFalse();
        assertThat(matches("Archive/", "%", "Archive/2024")).isTrue();
        assertThat(matches("Archive/", "%", "Other")).isFalse();
    }

    @Test void inboxMatchesInAnyCaseAndOtherNamesExactly() {
        assertThat(matches("", "inbox", "INBOX")).isTrue();
        assertThat(matches("", "iNbOx/%", "INBOX/a")).isTrue();
        assertThat(matches("", "sent", "Sent")).isFalse();
    }

    /** "*a%b" over "a/ab": the first 'a' leads nowhere ('%' may not cross '/'), the second does. */
    @Test void aPercentAfterAStarIsTriedFromEveryPosition() {
        assertThat(matches("", "*a%b", "a/ab")).isTrue();
        assertThat(matches("", "*a%b", "a/a/b")).isFalse();
    }

    @Test void agreesWithBacktrackingOnRandomPatterns() {
        Random random = new Random(15);
        String alphabet = "ab/*%";
        for (int round = 0; round < 20_000; round++) {
            String pattern = randomString(random, alphabet, 6);
            String name = randomString(random, "ab/", 7);
            assertThat(matches("", pattern, name)).as("%s against %s", pattern, name).isEqualTo(backtracking(pattern, 0, name, 0));
        }
    }

    /** Many wildcards over the longest name the store allows: the regex this replaced took hours. */
    @Test @Timeout(value = 10, unit = TimeUnit.SECONDS) void wildcardsOverALongNameStayLinear() {
        String name = "a".repeat(1000);
        for (String pattern : new String[] {"*".repeat(20) + "b", "*a".repeat(500) + "b", "%a*".repeat(300) + "b", "*%".repeat(2000)}) {
            assertThat(matches("", pattern, name)).as(pattern).isEqualTo(pattern.endsWith("%"));
        }
    }

    private static String randomString(Random random, String alphabet, int maxLength) {
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(maxLength + 1);
        for (int i = 0; i < n; i++) sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        return sb.toString();
    }

    /** The definition, by exhaustive search: fine for the tiny inputs above. */
    private static boolean backtracking(String p, int i, String s, int j) {
        if (i == p.length()) return j == s.length();
        char c = p.charAt(i);
        if (c == '*' || c == '%') {
            for (int k = j; k <= s.length(); k++) {
                if (backtracking(p, i + 1, s, k)) return true;
                if (k < s.length() && c == '%' && s.charAt(k) == '/') return false;
            }
            return false;
        }
        return j < s.length() && s.charAt(j) == c && backtracking(p, i + 1, s, j + 1);
    }
}
