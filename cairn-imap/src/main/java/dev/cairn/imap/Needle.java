// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

/**
 * A search string with its Knuth-Morris-Pratt table: found in a text in time linear in both
 * (String.contains compares again from each position: "aaa...ab" in "aaa...a" is quadratic).
 */
final class Needle {
    private final String text;
    private final int[] fallback;

    Needle(String text) {
        this.text = text;
        fallback = new int[text.length() + 1];
        fallback[0] = -1;
        for (int i = 1, k = -1; i <= text.length(); i++) {
            while (k >= 0 && text.charAt(k) != text.charAt(i - 1)) k = fallback[k];
            fallback[i] = ++k;
        }
    }

    boolean in(String haystack) { return in(haystack, 0); }

    boolean in(String haystack, int from) {
        if (text.isEmpty()) return true;
        int k = 0;
        for (int i = from; i < haystack.length(); i++) {
            char ch = haystack.charAt(i);
            while (k >= 0 && text.charAt(k) != ch) k = fallback[k];
            if (++k == text.length()) return true;
        }
        return false;
    }
}
