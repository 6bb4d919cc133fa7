// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A LIST/LSUB reference and pattern (RFC 9051 §6.3.9): '*' matches any run of characters, '%'
 * any run without the hierarchy separator '/', INBOX in any case. Matched without backtracking:
 * the set of pattern positions a name's prefix can end at is carried one character at a time
 * (shift-and over bit sets), so a match costs (name length) × (pattern length / 64) steps
 * whatever wildcards the client sends. A regex of ".*" groups costs the power of their number.
 */
final class MailboxPattern {
    /** Pattern elements after runs of wildcards are folded into one; state i = i elements matched. */
    private final int elements;
    private final int words;
    private final long[] star;
    private final long[] percent;
    /** For each literal character, the elements that are it. */
    private final Map<Character, long[]> literals = new HashMap<>();
    private final long[] none;

    private MailboxPattern(String folded) {
        elements = folded.length();
        words = (elements + 1 + 63) / 64;
        star = new long[words];
        percent = new long[words];
        none = new long[words];
        for (int i = 0; i < elements; i++) {
            char ch = folded.charAt(i);
            long[] set = ch == '*' ? star : ch == '%' ? percent : literals.computeIfAbsent(ch, k -> new long[words]);
            set[i >>> 6] |= 1L << i;
        }
    }

    static MailboxPattern of(String reference, String pattern) {
        String full = reference + pattern;
        if (full.length() >= 5 && full.regionMatches(true, 0, "INBOX", 0, 5) && (full.length() == 5 || full.charAt(5) == '/')) {
            full = "INBOX" + full.substring(5);
        }
        // "*%", "%*", "**" match what "*" matches; "%%" what "%" matches
        StringBuilder folded = new StringBuilder(full.length());
        for (int i = 0; i < full.length(); i++) {
            char ch = full.charAt(i);
            boolean wildcard = ch == '*' || ch == '%';
            int last = folded.length() - 1;
            if (wildcard && last >= 0 && (folded.charAt(last) == '*' || folded.charAt(last) == '%')) {
                if (ch == '*') folded.setCharAt(last, '*');
                continue;
            }
            folded.append(ch);
        }
        return new MailboxPattern(folded.toString());
    }

    boolean matches(String name) {
        long[] active = new long[words];
        long[] next = new long[words];
        active[0] = 1;
        closeOverWildcards(active);
        for (int n = 0; n < name.length(); n++) {
            char ch = name.charAt(n);
            long[] literal = literals.getOrDefault(ch, none);
            long carry = 0;
            boolean any = false;
            for (int w = 0; w < words; w++) {
                long a = active[w];
                long stay = (a & star[w]) | (ch != '/' ? a & percent[w] : 0);
                long advanced = a & literal[w];
                next[w] = stay | (advanced << 1) | carry;
                carry = advanced >>> 63;
                any |= next[w] != 0;
            }
            if (!any) return false;
            closeOverWildcards(next);
            long[] t = active;
            active = next;
            next = t;
            Arrays.fill(next, 0);
        }
        return (active[elements >>> 6] & (1L << elements)) != 0;
    }

    /** A wildcard also matches nothing: from its state, the next state is reached at once. */
    private void closeOverWildcards(long[] set) {
        long carry = 0;
        for (int w = 0; w < words; w++) {
            long skipped = set[w] & (star[w] | percent[w]);
            long before = set[w];
            set[w] = before | (skipped << 1) | carry;
            carry = skipped >>> 63;
        }
    }
}
