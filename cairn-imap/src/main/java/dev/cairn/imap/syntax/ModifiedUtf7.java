// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import java.nio.charset.StandardCharsets;

/**
 * Modified UTF-7 for mailbox names of IMAP4rev1 clients (RFC 3501 §5.1.3). Decoding is strict:
 * a name has exactly one spelling, so names that a client could spell two ways (a printable
 * character shifted, "&-" runs split, padding bits set, empty shifts) are refused.
 */
public final class ModifiedUtf7 {
    private static final char[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".toCharArray();
    private static final int[] VALUE = new int[128];

    static {
        java.util.Arrays.fill(VALUE, -1);
        for (int i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET[i]] = i;
    }

    private ModifiedUtf7() {}

    /** Thrown for a name that is not valid modified UTF-7. */
    public static final class InvalidException extends Exception {
        public InvalidException(String message) { super(message); }
    }

    private static boolean direct(char c) { return c >= 0x20 && c <= 0x7e; }

    public static String encode(String name) {
        StringBuilder out = new StringBuilder(name.length() + 8);
        int i = 0;
        while (i < name.length()) {
            char c = name.charAt(i);
            if (c == '&') {
                out.append("&-");
                i++;
            } else if (direct(c)) {
                out.append(c);
                i++;
            } else {
                int j = i;
                while (j < name.length() && !direct(name.charAt(j))) j++;
                byte[] utf16 = name.substring(i, j).getBytes(StandardCharsets.UTF_16BE);
                out.append('&');
                int bits = 0, buffer = 0;
                for (byte b : utf16) {
                    buffer = (buffer << 8) | (b & 0xff);
                    bits += 8;
                    while (bits >= 6) {
                        bits -= 6;
                        out.append(ALPHABET[(buffer >> bits) & 0x3f]);
                    }
                }
                if (bits > 0) out.append(ALPHABET[(buffer << (6 - bits)) & 0x3f]);
                out.append('-');
                i = j;
            }
        }
        return out.toString();
    }

    public static String decode(String encoded) throws InvalidException {
        StringBuilder out = new StringBuilder(encoded.length());
        int i = 0;
        boolean lastWasShift = false;
        while (i < encoded.length()) {
            char c = encoded.charAt(i);
            if (!direct(c)) throw new InvalidException("8-bit or control character in a modified UTF-7 name");
            if (c != '&') {
                out.append(c);
                i++;
                lastWasShift = false;
                continue;
            }
            int end = encoded.indexOf('-', i + 1);
            if (end < 0) throw new InvalidException("unterminated '&' shift");
            if (end == i + 1) {
                out.append('&');
                i = end + 1;
                lastWasShift = false;
                continue;
            }
            if (lastWasShift) throw new InvalidException("adjacent shifts must be one");
            int bits = 0, buffer = 0;
            StringBuilder utf16 = new StringBuilder();
            int pendingHigh = -1;
            for (int k = i + 1; k < end; k++) {
                char e = encoded.charAt(k);
                int v = e < 128 ? VALUE[e] : -1;
                if (v < 0) throw new InvalidException("invalid character '" + e + "' in a shift");
                buffer = (buffer << 6) | v;
                bits += 6;
                if (bits >= 16) {
                    bits -= 16;
                    char u = (char) ((buffer >> bits) & 0xffff);
                    buffer &= (1 << bits) - 1;
                    if (direct(u)) throw new InvalidException("printable character shifted");
                    if (Character.isHighSurrogate(u)) {
                        if (pendingHigh >= 0) throw new InvalidException("unpaired surrogate");
                        pendingHigh = u;
                    } else if (Character.isLowSurrogate(u)) {
                        if (pendingHigh < 0) throw new InvalidException("unpaired surrogate");
                        utf16.append((char) pendingHigh).append(u);
                        pendingHigh = -1;
                    } else {
                        if (pendingHigh >= 0) throw new InvalidException("unpaired surrogate");
                        utf16.append(u);
                    }
                }
            }
            if (pendingHigh >= 0) throw new InvalidException("unpaired surrogate");
            if (bits >= 6 || (buffer & ((1 << bits) - 1)) != 0) throw new InvalidException("bad padding in a shift");
            out.append(utf16);
            i = end + 1;
            lastWasShift = true;
        }
        return out.toString();
    }
}
