// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Optional;

/**
 * Mail addresses as the directory stores and compares them: {@code local@domain}, both parts
 * compared case-insensitively. RFC 5321 section 2.4 lets the local part be case-sensitive, but
 * every mail operator treats it as insensitive and users expect that.
 *
 * <p>Quoted local parts (RFC 5321 section 4.1.2 Quoted-string) are refused: they are valid but
 * nobody gives them to users, and refusing them keeps the stored form simple.
 */
public final class Addresses {
    /** RFC 5321 section 4.5.3.1: local part 64 octets, domain 255, a path 256 with the brackets. */
    public static final int MAX_LOCAL = 64;
    public static final int MAX_DOMAIN = 255;
    public static final int MAX_ADDRESS = 254;
    /** The separator of {@code local+detail@domain}. */
    public static final char DETAIL_SEPARATOR = '+';

    private Addresses() {}

    /** An address split into its normalized parts. */
    public record Parsed(String local, String domain) {
        public String address() { return local + "@" + domain; }

        /** The local part before the detail separator and the detail after it, if any. */
        public Optional<Parsed> withoutDetail() {
            int plus = local.indexOf(DETAIL_SEPARATOR);
            return plus > 0 ? Optional.of(new Parsed(local.substring(0, plus), domain)) : Optional.empty();
        }

        public Optional<String> detail() {
            int plus = local.indexOf(DETAIL_SEPARATOR);
            return plus > 0 ? Optional.of(local.substring(plus + 1)) : Optional.empty();
        }
    }

    /** The normalized address; throws {@link DirectoryException} when it is not one. */
    public static String canonical(String address) {
        return parse(address).orElseThrow(() -> new DirectoryException(
                DirectoryException.Reason.INVALID_ADDRESS, problem(address))).address();
    }

    /** The parts of a valid address, normalized; empty when it is not a valid address. */
    public static Optional<Parsed> parse(String address) {
        return problem(address) == null ? Optional.of(split(address)) : Optional.empty();
    }

    /** The normalized form of a domain (lower case, no trailing dot). */
    public static String domain(String domain) {
        String d = normalize(domain);
        return d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
    }

    /** Lower case of a bare local part, as {@link #parse} would produce it. */
    public static String localPart(String local) {
        return normalize(local);
    }

    private static Parsed split(String address) {
        int at = address.lastIndexOf('@');
        return new Parsed(normalize(address.substring(0, at)), domain(address.substring(at + 1)));
    }

    private static String normalize(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
    }

    /** Why an address is refused, in words; null when it is fine. */
    public static String problem(String address) {
        if (address == null || address.isEmpty()) {
            return "an address must not be empty";
        }
        int at = address.lastIndexOf('@');
        if (at <= 0 || at == address.length() - 1) {
            return "'" + printable(address) + "' is not an address (local@domain)";
        }
        String local = address.substring(0, at);
        String domain = address.substring(at + 1);
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                return "an address must not contain spaces or control characters";
            }
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < address.length()
                        && Character.isLowSurrogate(address.charAt(i + 1));
                if (!paired) {
                    return "an address must be valid Unicode (unpaired surrogate)";
                }
                i++;
                continue;
            }
            if ("<>()[]\\,;:\"".indexOf(c) >= 0) {
                return "an address must not contain '" + c + "' (quoted local parts are not supported)";
            }
        }
        if (local.indexOf('@') >= 0) {
            return "an address has one '@'";
        }
        if (local.getBytes(StandardCharsets.UTF_8).length > MAX_LOCAL) {
            return "the local part of an address is at most " + MAX_LOCAL + " octets";
        }
        if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
            return "the local part of an address must not start or end with '.' or hold '..'";
        }
        String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
        if (d.isEmpty() || d.getBytes(StandardCharsets.UTF_8).length > MAX_DOMAIN) {
            return "the domain of an address must be 1 to " + MAX_DOMAIN + " octets";
        }
        for (String label : d.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return "'" + printable(domain) + "' is not a domain name";
            }
        }
        if (address.getBytes(StandardCharsets.UTF_8).length > MAX_ADDRESS) {
            return "an address is at most " + MAX_ADDRESS + " octets";
        }
        return null;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(100).forEach(cp -> {
            if (Character.isISOControl(cp)) {
                b.append(String.format("\\x%02x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }
}
