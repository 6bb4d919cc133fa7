// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.store.ParsedMessage.Address;
import java.util.Comparator;
import java.util.List;

/**
 * The sort keys of SORT (RFC 5256 §3; RFC 5957 §3; the base subject of §2.1 is {@link BaseSubject})
 * and the comparator they are compared with. Keys come back already folded, so {@link #ORDER}
 * (octet order of the folded text) is the i;ascii-casemap comparator RFC 5256 §2.3 makes the
 * default: only a-z fold, to A-Z, which is why "_" (0x5F) sorts after "Z" (0x5A) and "[" (0x5B).
 */
final class SortKeys {
    private SortKeys() {}

    /** Octet order of UTF-8 text, which is code point order. */
    static final Comparator<String> ORDER = SortKeys::compareCodePoints;

    /** i;ascii-casemap folding (RFC 4790 §9.2.1): a-z to A-Z, every other character as it is. */
    static String fold(String s) {
        char[] out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'a' && c <= 'z') {
                if (out == null) out = s.toCharArray();
                out[i] = (char) (c - 32);
            }
        }
        return out == null ? s : new String(out);
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i), y = b.codePointAt(j);
            if (x != y) return Integer.compare(x, y);
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** SORT FROM, TO, CC (RFC 5256 §3): addr-mailbox of the field's first ENVELOPE entry, a group's name if it starts with a group. */
    static String firstMailbox(List<Address> list) {
        if (list == null || list.isEmpty() || list.get(0).mailbox() == null) return "";
        return fold(list.get(0).mailbox());
    }

    /**
     * DISPLAYFROM and DISPLAYTO (RFC 5957 §3): the first mailbox's display name, encoded words
     * decoded, or its addr-spec when it has no name; empty when the field has no mailbox.
     */
    static String display(List<Address> list) {
        if (list == null) return "";
        for (Address a : list) {
            if (a.host() == null) continue; // group start or end
            if (a.name() != null && !a.name().isBlank()) return fold(EncodedWords.decode(a.name()).strip());
            return fold(a.host().isEmpty() ? a.mailbox() : a.mailbox() + "@" + a.host());
        }
        return "";
    }
}
