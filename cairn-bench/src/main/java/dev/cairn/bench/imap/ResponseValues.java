// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import dev.cairn.imap.client.ImapResponse.Value;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** How the bench reads values out of responses: numbers, names, and flags compared without case. */
final class ResponseValues {
    private ResponseValues() {}

    /** A number atom, or -1 when the value is anything else. */
    static long parseUid(Value value) {
        if (value instanceof Value.Atom(String text)) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    /** An atom's or string's text, else empty. */
    static String name(Value value) {
        return switch (value) {
            case Value.Atom(String text) -> text;
            case Value.Str s -> s.text();
            default -> "";
        };
    }

    /** Flags and keywords are case-insensitive (RFC 9051 section 2.3.2): lower case for comparing. */
    static String normalize(String flag) {
        return flag.toLowerCase(Locale.ROOT);
    }

    static Set<String> normalize(List<String> flags) {
        Set<String> set = new HashSet<>();
        for (String flag : flags) {
            set.add(normalize(flag));
        }
        return set;
    }

    /** \Recent belongs to a session, not to the message: left out when flags are compared. */
    static Set<String> withoutRecent(Set<String> flags) {
        Set<String> copy = new HashSet<>(flags);
        copy.remove("\\recent");
        return copy;
    }
}
