// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import dev.cairn.store.StoreException;
import java.nio.charset.StandardCharsets;

/** Mailbox name rules: '/' separates levels; "INBOX" is case-insensitive (RFC 9051 §5.1). */
final class MailboxNames {
    private MailboxNames() {}

    static final int MAX_BYTES = 1000, MAX_LEVELS = 32;

    /**
     * The canonical form of a valid name, or INVALID_NAME: empty names or components, leading,
     * trailing or doubled '/', "." or ".." anywhere, NUL and control characters, unpaired
     * surrogates, U+FFFD (what a decoder leaves of invalid UTF-8), over {@value #MAX_BYTES} UTF-8
     * bytes or {@value #MAX_LEVELS} levels.
     */
    static String canonical(String name) {
        if (name == null || name.isEmpty()) throw invalid(name, "empty name");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) throw invalid(name, "control character");
            if (c == '\uFFFD') throw invalid(name, "invalid UTF-8");
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= name.length() || !Character.isLowSurrogate(name.charAt(i + 1))) throw invalid(name, "unpaired surrogate");
                i++;
            } else if (Character.isLowSurrogate(c)) {
                throw invalid(name, "unpaired surrogate");
            }
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) throw invalid(name, "longer than " + MAX_BYTES + " bytes");
        if (name.contains("..")) throw invalid(name, "\"..\"");
        String[] parts = name.split("/", -1);
        if (parts.length > MAX_LEVELS) throw invalid(name, "more than " + MAX_LEVELS + " levels");
        for (String p : parts) {
            if (p.isEmpty()) throw invalid(name, "empty level (leading, trailing or double '/')");
            if (p.equals(".")) throw invalid(name, "\".\" level");
        }
        if (parts[0].equalsIgnoreCase("INBOX")) return parts.length == 1 ? "INBOX" : "INBOX" + name.substring(5);
        return name;
    }

    static String parent(String name) {
        int i = name.lastIndexOf('/');
        return i < 0 ? null : name.substring(0, i);
    }

    private static StoreException invalid(String name, String why) {
        String shown = name == null ? "null" : name.length() > 80 ? name.substring(0, 80) + "..." : name;
        return new StoreException(StoreException.Reason.INVALID_NAME, "invalid mailbox name (" + why + "): " + shown.replaceAll("\\p{Cntrl}", "?"));
    }
}
