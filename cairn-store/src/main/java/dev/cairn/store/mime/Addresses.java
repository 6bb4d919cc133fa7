// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import dev.cairn.store.ParsedMessage.Address;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * RFC 5322 §3.4 address lists as the IMAP ENVELOPE wants them (RFC 9051 §7.5.2): display names
 * raw (quotes removed, encoded words kept), a bare addr-spec's trailing comment as its name,
 * comments and folding whitespace dropped from the addr-spec, groups as a start marker (host null,
 * mailbox = group name) and an end marker (mailbox and host null). Lenient: junk between commas
 * becomes a mailbox without host rather than an error.
 */
final class Addresses {
    private Addresses() {}

    private static final int MAX = 1000;
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    static List<Address> parse(String value) {
        if (value == null) return null;
        List<Address> out = new ArrayList<>();
        Scanner s = new Scanner(value);
        while (!s.atEnd() && out.size() < MAX) {
            s.skipSeparators();
            if (s.atEnd()) break;
            int mark = s.i;
            try {
            String phrase = s.phrase();
            char c = s.atEnd() ? 0 : s.peek();
            if (c == ':') {
                s.i++;
                out.add(new Address(null, null, phrase.strip(), null));
                while (!s.atEnd() && s.peek() != ';' && out.size() < MAX) {
                    s.skipSeparators();
                    if (s.atEnd() || s.peek() == ';') break;
                    int before = s.i;
                    Address a = mailbox(s);
                    if (a != null) out.add(a);
                    if (s.i <= before) s.i = before + 1;
                }
                if (!s.atEnd()) s.i++; // ';'
                out.add(new Address(null, null, null, null));
            } else {
                s.i = mark;
                Address a = mailbox(s);
                if (a != null) out.add(a);
            }
            } finally {
                if (s.i <= mark) s.i = mark + 1; // junk such as a stray ';': skip it, always move on
            }
        }
        return out;
    }

    /** One mailbox: "phrase &lt;route:local@domain&gt;" or "local@domain"; consumes up to the next ',' or ';'. */
    private static Address mailbox(Scanner s) {
        int start = s.i;
        String phrase = s.phrase();
        if (!s.atEnd() && s.peek() == '<') {
            s.i++;
            int close = s.s.indexOf('>', s.i);
            String inner = close < 0 ? s.s.substring(s.i) : s.s.substring(s.i, close);
            s.i = close < 0 ? s.s.length() : close + 1;
            s.skipTo(",;");
            String adl = null;
            inner = Header.stripComments(inner).strip();
            if (inner.startsWith("@")) {
                int colon = inner.indexOf(':');
                if (colon > 0) { adl = inner.substring(0, colon); inner = inner.substring(colon + 1); }
            }
            String name = phrase.strip();
            return split(name.isEmpty() ? null : name, adl, inner);
        }
        // addr-spec alone: what we read as a phrase is the address
        s.i = start;
        int end = s.findUnquoted(",;");
        String raw = s.s.substring(start, end);
        String spec = Header.stripComments(raw).strip();
        s.i = end;
        if (spec.isEmpty()) return null;
        // "user@domain (Real Name)": the RFC 822 habit of a name in a trailing comment, which every
        // major server puts in the ENVELOPE's name and clients show as the sender's name.
        return split(lastComment(raw), null, spec);
    }

    private static Address split(String name, String adl, String spec) {
        spec = compact(spec);
        int at = lastUnquoted(spec, '@');
        String local = at < 0 ? spec : spec.substring(0, at);
        String host = at < 0 ? "" : spec.substring(at + 1);
        if (local.length() >= 2 && local.startsWith("\"") && local.endsWith("\"")) local = unquote(local);
        if (local.isEmpty() && host.isEmpty()) return null;
        // An empty host (no '@') is sent as NIL by IMAP; we keep "" so it is not taken for a group marker.
        return new Address(name, adl, local, host);
    }

    /**
     * An addr-spec without its folding whitespace: RFC 5322 §3.4.1 allows CFWS around the dots and
     * the '@' ("user . name @ example.org"), which is not part of the address. Quoted strings keep theirs.
     */
    static String compact(String spec) {
        StringBuilder out = new StringBuilder(spec.length());
        boolean quoted = false;
        for (int i = 0; i < spec.length(); i++) {
            char c = spec.charAt(i);
            if (quoted && c == '\\' && i + 1 < spec.length()) {
                out.append(c).append(spec.charAt(++i));
                continue;
            }
            if (c == '"') quoted = !quoted;
            if (!quoted && Character.isWhitespace(c)) continue;
            out.append(c);
        }
        return out.toString();
    }

    private static int lastUnquoted(String s, char wanted) {
        int found = -1;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted && c == '\\') { i++; continue; }
            if (c == '"') quoted = !quoted;
            else if (!quoted && c == wanted) found = i;
        }
        return found;
    }

    /** The text of the last top-level comment outside quoted strings, whitespace collapsed; null if none or blank. */
    static String lastComment(String s) {
        String last = null;
        StringBuilder current = null;
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (quoted || depth > 0)) {
                if (depth > 0) current.append(s.charAt(i + 1));
                i++;
                continue;
            }
            if (depth == 0 && c == '"') { quoted = !quoted; continue; }
            if (quoted) continue;
            if (c == '(') {
                if (depth++ == 0) { current = new StringBuilder(); continue; }
            } else if (c == ')' && depth > 0) {
                if (--depth == 0) { last = current.toString(); continue; }
            }
            if (depth > 0) current.append(c);
        }
        if (last == null) return null;
        last = WHITESPACE.matcher(last).replaceAll(" ").strip();
        return last.isEmpty() ? null : last;
    }

    static String unquote(String q) {
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < q.length() - 1; i++) {
            char c = q.charAt(i);
            if (c == '\\' && i + 1 < q.length() - 1) c = q.charAt(++i);
            out.append(c);
        }
        return out.toString();
    }

    private static final class Scanner {
        final String s;
        int i;

        Scanner(String s) { this.s = s; }

        boolean atEnd() { return i >= s.length(); }

        char peek() { return s.charAt(i); }

        void skipSeparators() { while (i < s.length() && (s.charAt(i) == ',' || Character.isWhitespace(s.charAt(i)))) i++; }

        void skipTo(String stops) {
            int e = findUnquoted(stops);
            i = e;
        }

        int findUnquoted(String stops) {
            boolean q = false;
            int depth = 0;
            for (int j = i; j < s.length(); j++) {
                char c = s.charAt(j);
                if (c == '\\') { j++; continue; }
                if (c == '"' && depth == 0) q = !q;
                else if (!q && c == '(') depth++;
                else if (!q && c == ')' && depth > 0) depth--;
                else if (!q && depth == 0 && (stops.indexOf(c) >= 0 || c == '<' && stops.contains("<"))) return j;
            }
            return s.length();
        }

        /** Reads a display phrase up to '<', ':', ',' or ';' (not inside quotes or comments); quotes removed, comments dropped. */
        String phrase() {
            StringBuilder out = new StringBuilder();
            int depth = 0;
            boolean q = false;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (q) {
                    if (c == '\\' && i + 1 < s.length()) { out.append(s.charAt(i + 1)); i += 2; continue; }
                    if (c == '"') q = false;
                    else out.append(c);
                    i++;
                    continue;
                }
                if (depth > 0) {
                    if (c == '(') depth++;
                    else if (c == ')') depth--;
                    else if (c == '\\') i++;
                    i++;
                    continue;
                }
                if (c == '"') { q = true; i++; continue; }
                if (c == '(') { depth++; i++; continue; }
                if (c == '<' || c == ':' || c == ',' || c == ';') break;
                out.append(c);
                i++;
            }
            return WHITESPACE.matcher(out).replaceAll(" ");
        }
    }
}
