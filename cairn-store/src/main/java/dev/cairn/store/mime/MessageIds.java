// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import java.util.ArrayList;
import java.util.List;

/**
 * The one reading of Message-IDs (Message-ID, In-Reply-To, References), for everything that
 * compares them: the thread table behind THREADID (RFC 8474 §5.2), the references the parser
 * keeps, and THREAD=REFERENCES (RFC 5256 §4).
 *
 * <p>RFC 5322 §3.6.4: {@code msg-id = [CFWS] "<" id-left "@" id-right ">" [CFWS]}. An id is
 * what lies between "&lt;" and "&gt;", brackets kept; comments and text outside them are not
 * part of it. Whitespace inside is dropped: a folded header (§2.2.3) and the obsolete syntax's
 * CFWS within an id (§4.5.4) do not make a different id. The case is kept and compared exactly:
 * the RFC folds no case in a msg-id (id-left is a local part, case-sensitive per RFC 5321
 * §2.4), and the store's thread keys have always been exact, so ids written before still match.
 * An id longer than {@link #MAX_LENGTH} (brackets included) or an empty "&lt;&gt;" is no id: a
 * key of the thread table is bounded, and real ids are far shorter (RFC 5322 §2.1.1 caps a
 * line at 998 octets).
 */
public final class MessageIds {
    /** The longest id kept, in characters with its brackets. */
    public static final int MAX_LENGTH = 500;

    private MessageIds() {}

    /** Every id in a header value, in order (repeats kept); empty for null. */
    public static List<String> all(String value) {
        List<String> out = new ArrayList<>();
        if (value == null) return out;
        int i = 0;
        while ((i = value.indexOf('<', i)) >= 0) {
            int j = value.indexOf('>', i + 1);
            if (j < 0) break;
            String id = withoutWhitespace(value, i, j + 1);
            if (id != null) out.add(id);
            i = j + 1;
        }
        return out;
    }

    /** The first id in a header value (a Message-ID field's own), or null when it holds none. */
    public static String first(String value) {
        if (value == null) return null;
        int i = 0;
        while ((i = value.indexOf('<', i)) >= 0) {
            int j = value.indexOf('>', i + 1);
            if (j < 0) return null;
            String id = withoutWhitespace(value, i, j + 1);
            if (id != null) return id;
            i = j + 1;
        }
        return null;
    }

    /** {@code value[from, to)} without whitespace, or null when that leaves "&lt;&gt;" or more than {@link #MAX_LENGTH}. */
    private static String withoutWhitespace(String value, int from, int to) {
        StringBuilder id = new StringBuilder(Math.min(to - from, MAX_LENGTH + 1));
        for (int k = from; k < to; k++) {
            char c = value.charAt(k);
            if (isWhitespace(c)) continue;
            if (id.length() == MAX_LENGTH) return null;
            id.append(c);
        }
        return id.length() > 2 ? id.toString() : null;
    }

    /** FWS (space, tab, CR, LF), and the vertical tab and form feed that older parsing dropped too. */
    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0x0b || c == '\f';
    }
}
