// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A part's header: fields unfolded, values raw. The header ends at the first empty line; without
 * one, everything is header and the body is empty. {@code bodyOffset} is where the body starts.
 */
final class Header {
    record Field(String name, String value) {}

    final List<Field> fields;
    final int bodyOffset;

    private Header(List<Field> fields, int bodyOffset) { this.fields = fields; this.bodyOffset = bodyOffset; }

    private static final int MAX_FIELDS = 2000;

    static Header parse(byte[] b, int start, int end) {
        List<Field> fields = new ArrayList<>();
        int pos = start;
        StringBuilder current = null;
        int bodyOffset = end;
        while (pos < end) {
            int nl = MimeParser.indexOf(b, (byte) '\n', pos, end);
            int lineEnd = nl < 0 ? end : nl;
            int next = nl < 0 ? end : nl + 1;
            int contentEnd = lineEnd > pos && b[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            if (contentEnd == pos) { // the empty line: the body follows it
                bodyOffset = next;
                break;
            }
            String line = MimeParser.text(b, pos, contentEnd);
            if ((b[pos] == ' ' || b[pos] == '\t') && current != null) {
                current.append(line); // unfolding: drop the CRLF, keep the whitespace (RFC 5322 §2.2.3)
            } else {
                if (current != null) add(fields, current);
                current = new StringBuilder(line);
            }
            pos = next;
        }
        if (current != null) add(fields, current);
        return new Header(fields, bodyOffset);
    }

    private static void add(List<Field> fields, StringBuilder line) {
        if (fields.size() >= MAX_FIELDS) return;
        int colon = line.indexOf(":");
        if (colon <= 0) return; // not a field (junk or an mbox "From " line): ignored
        String name = line.substring(0, colon).strip();
        if (name.isEmpty() || name.chars().anyMatch(c -> c <= 32 || c >= 127)) return;
        String value = line.substring(colon + 1);
        int i = 0;
        while (i < value.length() && (value.charAt(i) == ' ' || value.charAt(i) == '\t')) i++;
        fields.add(new Field(name.toLowerCase(Locale.ROOT), value.substring(i)));
    }

    /** The first field of that (lower-case) name, raw; null if absent. */
    String value(String name) {
        for (Field f : fields) if (f.name.equals(name)) return f.value;
        return null;
    }

    /** Removes RFC 5322 comments (nested parentheses), outside quoted strings. */
    static String stripComments(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (quoted || depth > 0)) {
                if (depth == 0) out.append(c).append(s.charAt(i + 1));
                i++;
                continue;
            }
            if (depth == 0 && c == '"') quoted = !quoted;
            if (!quoted) {
                if (c == '(') { depth++; continue; }
                if (c == ')' && depth > 0) { depth--; continue; }
            }
            if (depth == 0) out.append(c);
        }
        return out.toString();
    }
}
