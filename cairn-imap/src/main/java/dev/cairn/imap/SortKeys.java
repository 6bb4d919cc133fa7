// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.store.ParsedMessage.Address;
import java.util.Comparator;
import java.util.List;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;

/**
 * The sort keys of SORT (RFC 5256 §2.1, §3; RFC 5957 §3) and the comparator they are compared
 * with. Keys come back already folded, so {@link #ORDER} (octet order of the folded text) is the
 * i;ascii-casemap comparator RFC 5256 §2.3 makes the default: only a-z fold, to A-Z, which is
 * why "_" (0x5F) sorts after "Z" (0x5A) and "[" (0x5B).
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
            if (a.name() != null && !a.name().isBlank()) return fold(DecoderUtil.decodeEncodedWords(a.name(), DecodeMonitor.SILENT).strip());
            return fold(a.host().isEmpty() ? a.mailbox() : a.mailbox() + "@" + a.host());
        }
        return "";
    }

    /**
     * The base subject of RFC 5256 §2.1, folded. It works on bounds into the text rather than on
     * copies or regular expressions, so a hostile subject costs time linear in its length.
     */
    static String baseSubject(String subject) {
        if (subject == null) return "";
        // (1) encoded words decoded; tabs and line breaks become spaces; runs of spaces become one
        String s = collapseWhitespace(DecoderUtil.decodeEncodedWords(subject, DecodeMonitor.SILENT));
        int start = 0, end = s.length();
        while (true) {
            end = withoutTrailers(s, start, end); // (2)
            // (3) leaders, then (4) blobs, repeated (5) until neither removes anything
            for (int next; (next = leaderEnd(s, start, end)) > start; ) start = next;
            int last = start, i = start;
            for (int next; (next = blobEnd(s, i, end)) > 0; i = next) last = i;
            // (4) removes a blob only while text remains after it; where the blobs stop, (3) failed
            // just as it did here, so nothing more comes off.
            start = i < end ? i : last;
            // (6) "[fwd: ...]" wrapping the whole subject: unwrap it and start again from (2)
            if (end - start >= 6 && s.regionMatches(true, start, "[fwd:", 0, 5) && s.charAt(end - 1) == ']') {
                start += 5;
                end -= 1;
                continue;
            }
            return fold(s.substring(start, end));
        }
    }

    private static String collapseWhitespace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                if (!space) out.append(' ');
                space = true;
            } else {
                out.append(c);
                space = false;
            }
        }
        return out.toString();
    }

    /** (2) subj-trailer = "(fwd)" / WSP, removed from the end for as long as one is there. */
    private static int withoutTrailers(String s, int start, int end) {
        while (true) {
            if (end > start && isWsp(s.charAt(end - 1))) end--;
            else if (end - start >= 5 && s.regionMatches(true, end - 5, "(fwd)", 0, 5)) end -= 5;
            else return end;
        }
    }

    /**
     * (3) Where one subj-leader starting at {@code start} ends, {@code start} if none does:
     * subj-leader = (*subj-blob subj-refwd) / WSP; subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":".
     */
    private static int leaderEnd(String s, int start, int end) {
        if (start < end && isWsp(s.charAt(start))) return start + 1;
        int i = start;
        for (int next; (next = blobEnd(s, i, end)) > 0; ) i = next;
        if (end - i >= 3 && s.regionMatches(true, i, "fwd", 0, 3)) i += 3;
        else if (end - i >= 2 && (s.regionMatches(true, i, "re", 0, 2) || s.regionMatches(true, i, "fw", 0, 2))) i += 2;
        else return start;
        while (i < end && isWsp(s.charAt(i))) i++;
        int blob = blobEnd(s, i, end);
        if (blob > 0) i = blob;
        return i < end && s.charAt(i) == ':' ? i + 1 : start;
    }

    /** Where a subj-blob ("[" *BLOBCHAR "]" *WSP, BLOBCHAR being neither "[" nor "]") starting at {@code from} ends; 0 if none. */
    private static int blobEnd(String s, int from, int end) {
        if (from >= end || s.charAt(from) != '[') return 0;
        int i = from + 1;
        while (i < end && s.charAt(i) != '[' && s.charAt(i) != ']') i++;
        if (i >= end || s.charAt(i) != ']') return 0;
        i++;
        while (i < end && isWsp(s.charAt(i))) i++;
        return i;
    }

    private static boolean isWsp(char c) { return c == ' ' || c == '\t'; }
}
