// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;

/**
 * User names: what the directory accepts and the one spelling it stores.
 *
 * <p>A name is compared case-insensitively: the canonical form is Unicode NFC, lower case
 * (Locale.ROOT, so a Turkish default locale does not change "I"). A name is also a login string
 * (IMAP LOGIN, SASL PLAIN), a key in the store and part of ACL identifiers, so it must not hold
 * anything that means something in one of those places.
 */
public final class UserNames {
    /** In UTF-8 octets, after canonicalisation. */
    public static final int MAX_LENGTH = 255;

    private UserNames() {}

    /** The canonical form of a valid name; throws {@link DirectoryException} for an invalid one. */
    public static String canonical(String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new DirectoryException(DirectoryException.Reason.INVALID_USER_NAME, problem);
        }
        return normalize(name);
    }

    /** True when {@link #canonical} would accept the name. */
    public static boolean isValid(String name) {
        return problem(name) == null;
    }

    static String normalize(String name) {
        return Normalizer.normalize(name, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
    }

    /** Why a name is refused, in words for the operator; null when it is fine. */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "a user name must not be empty";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                return "a user name must not contain control characters";
            }
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                return "a user name must not contain spaces";
            }
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < name.length()
                        && Character.isLowSurrogate(name.charAt(i + 1));
                if (!paired) {
                    return "a user name must be valid Unicode (unpaired surrogate)";
                }
                i++;
                continue;
            }
            // '/' and '\' would let a name escape a directory if it ever names a path; '"' and
            // '*' / '%' are quoting and wildcards in IMAP; ':' separates SASL and auth_http fields.
            if ("/\\\"*%:".indexOf(c) >= 0) {
                return "a user name must not contain '" + c + "'";
            }
        }
        String normalized = normalize(name);
        if (normalized.getBytes(StandardCharsets.UTF_8).length > MAX_LENGTH) {
            return "a user name must be at most " + MAX_LENGTH + " octets (UTF-8)";
        }
        if (normalized.equals(".") || normalized.equals("..")) {
            return "'" + name + "' is not a user name";
        }
        // RFC 4314 section 2: "anyone" is the ACL identifier for everybody, and an identifier
        // starting with '-' names negative rights; a user with such a name would be ambiguous.
        if (normalized.equals("anyone") || normalized.startsWith("-")) {
            return "'" + name + "' is reserved (RFC 4314 ACL identifiers)";
        }
        if (normalized.startsWith("@") || normalized.endsWith("@")) {
            return "a user name must not start or end with '@'";
        }
        return null;
    }
}
