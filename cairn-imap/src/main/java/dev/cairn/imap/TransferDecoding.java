// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import org.apache.james.mime4j.codec.QuotedPrintableInputStream;

/**
 * Undoes a body part's Content-Transfer-Encoding (RFC 2045 §6). Two ways, because a part's bytes
 * come from whoever sent the message: SEARCH decodes {@link #leniently} (as far as the data
 * goes, never failing: one broken part must not make a mailbox unsearchable), BINARY decodes
 * {@link #strictly} and says when it cannot (RFC 3516 §4.3: NO [UNKNOWN-CTE]).
 */
final class TransferDecoding {
    private TransferDecoding() {}

    /** The part cannot be decoded: its encoding is unknown, or its base64 is broken. */
    static final class UndecodableException extends Exception {
        UndecodableException(String message) { super(message, null, false, false); }
    }

    private static final byte[] BASE64 = new byte[256];

    static {
        java.util.Arrays.fill(BASE64, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) BASE64[alphabet.charAt(i)] = (byte) i;
    }

    /** Decoded as far as it goes: bad base64 groups give what bits they have, and decoding goes on. */
    static byte[] leniently(byte[] raw, String encoding) {
        try {
            return decode(raw, encoding, false);
        } catch (UndecodableException unknownEncoding) {
            return raw; // searched as it is, like 7bit
        }
    }

    /** Decoded exactly, or {@link UndecodableException}. */
    static byte[] strictly(byte[] raw, String encoding) throws UndecodableException {
        return decode(raw, encoding, true);
    }

    private static byte[] decode(byte[] raw, String encoding, boolean strict) throws UndecodableException {
        String e = encoding == null ? "" : encoding.strip().toLowerCase(Locale.ROOT);
        return switch (e) {
            case "", "7bit", "8bit", "binary" -> raw;
            case "base64" -> base64(raw, strict);
            case "quoted-printable" -> quotedPrintable(raw);
            default -> throw new UndecodableException("Unknown Content-Transfer-Encoding " + printable(encoding));
        };
    }

    /** The sender's encoding name as it may appear in a response line: printable ASCII, 40 characters at most. */
    private static String printable(String encoding) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < encoding.length() && sb.length() < 40; i++) {
            char c = encoding.charAt(i);
            sb.append(c > ' ' && c < 0x7f ? c : '?');
        }
        return sb.toString();
    }

    /**
     * RFC 2045 §6.8: characters outside the alphabet are ignored; '=' pads the last group. Strict
     * decoding refuses a group cut short other than by padding, data after padding, and a lone
     * sixth bit group; lenient decoding keeps the whole bytes of a cut group and starts afresh
     * after padding (concatenated encodings are common).
     */
    static byte[] base64(byte[] raw, boolean strict) throws UndecodableException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 3 / 4 + 3);
        int bits = 0, n = 0;
        boolean padded = false;
        for (byte b : raw) {
            int v = BASE64[b & 0xff];
            if (b == '=') {
                if (strict && n < 2 && !padded) throw new UndecodableException("Padding in the wrong place in base64 data");
                flushGroup(out, bits, n);
                bits = 0;
                n = 0;
                padded = true;
                continue;
            }
            if (v < 0) continue;
            if (padded && strict) throw new UndecodableException("Data after the padding of base64 data");
            padded = false;
            bits = bits << 6 | v;
            if (++n == 4) {
                out.write(bits >> 16);
                out.write(bits >> 8);
                out.write(bits);
                bits = 0;
                n = 0;
            }
        }
        if (strict && n == 1) throw new UndecodableException("Base64 data ends in the middle of a byte");
        flushGroup(out, bits, n);
        return out.toByteArray();
    }

    /** The whole bytes of a group of n (< 4) sextets: 2 give one byte, 3 give two. */
    private static void flushGroup(ByteArrayOutputStream out, int bits, int n) {
        if (n == 2) {
            out.write(bits >> 4);
        } else if (n == 3) {
            out.write(bits >> 10);
            out.write(bits >> 2);
        }
    }

    /** RFC 2045 §6.7, robustly (its notes 1-4): a bad escape is kept as it is, never an error. */
    private static byte[] quotedPrintable(byte[] raw) {
        try (InputStream in = new QuotedPrintableInputStream(new ByteArrayInputStream(raw), false)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading memory
        }
    }
}
