// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Decodes RFC 2047 encoded words ("=?charset?B?...?=", "=?charset?Q?...?=") in header text, for
 * SEARCH and SORT, in one pass. mime4j's decoder is a regex of lazy groups: a header of
 * "=?a?q?x" repeated was quadratic (20 s for 1.3 MB), and a checkpoint cannot stop it halfway.
 * Here a word's parts end at the next '?' (no part of a word may hold one), each search for it
 * starts where the last one stopped, so the work is linear in the text. What is not a
 * well-formed word, or names an unknown charset, stays as it is; whitespace between two decoded
 * words goes (RFC 2047 §6.2).
 */
final class EncodedWords {
    private EncodedWords() {}

    static String decode(String text) {
        int at = text.indexOf("=?");
        if (at < 0) return text;
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0; // text before this has been written out
        int afterWord = -1; // where the last decoded word ended, or -1
        // The first '?' found after a charset's start, and after an encoded text's start: both
        // starts only grow, so a '?' found is the answer again until a start passes it.
        int charsetQuestion = -1, textQuestion = -1;
        while (at >= 0) {
            int charsetEnd = charsetQuestion >= at + 2 ? charsetQuestion : text.indexOf('?', at + 2);
            charsetQuestion = charsetEnd;
            if (charsetEnd < 0) break;
            int textStart = charsetEnd + 3;
            if (charsetEnd > at + 2 && textStart <= text.length() && isEncoding(text.charAt(charsetEnd + 1))
                    && text.charAt(charsetEnd + 2) == '?') {
                // encoded-text holds no '?' (RFC 2047 §5: B's alphabet has none, Q writes it =3F)
                int end = textQuestion >= textStart ? textQuestion : text.indexOf('?', textStart);
                textQuestion = end;
                if (end < 0) break;
                String decoded = end > textStart && end + 1 < text.length() && text.charAt(end + 1) == '='
                        ? word(text.substring(at + 2, charsetEnd), text.charAt(charsetEnd + 1), text.substring(textStart, end)) : null;
                if (decoded != null) {
                    if (afterWord != copied || !text.substring(copied, at).isBlank()) out.append(text, copied, at);
                    out.append(decoded);
                    copied = end + 2;
                    afterWord = copied;
                    at = text.indexOf("=?", copied);
                    continue;
                }
            }
            at = text.indexOf("=?", at + 1);
        }
        out.append(text, copied, text.length());
        return out.toString();
    }

    private static boolean isEncoding(char c) { return c == 'B' || c == 'b' || c == 'Q' || c == 'q'; }

    /** One word's text decoded, or null when its charset is unknown. */
    private static String word(String charsetName, char encoding, String encoded) {
        int star = charsetName.indexOf('*'); // RFC 2231 §5: charset*language
        String name = star < 0 ? charsetName : charsetName.substring(0, star);
        Charset charset = Charsets.BY_NAME.get(name.toLowerCase(Locale.ROOT));
        if (charset == null) return null;
        byte[] ascii = encoded.getBytes(StandardCharsets.ISO_8859_1);
        byte[] bytes;
        if (encoding == 'B' || encoding == 'b') {
            try {
                bytes = TransferDecoding.base64(ascii, false);
            } catch (TransferDecoding.UndecodableException never) {
                return null; // lenient decoding does not throw
            }
        } else {
            bytes = q(ascii);
        }
        return new String(bytes, charset);
    }

    /** The Q encoding (RFC 2047 §4.2): "_" is a space, "=XX" an octet; a bad escape stays as it is. */
    private static byte[] q(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        for (int i = 0; i < in.length; i++) {
            int c = in[i] & 0xff;
            if (c == '_') {
                out.write(' ');
            } else if (c == '=' && i + 2 < in.length && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
                out.write(hex(in[i + 1]) * 16 + hex(in[i + 2]));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private static int hex(byte b) { return Character.digit(b, 16); }

    /**
     * Every charset the JVM has, by each of its names in lower case, read once: looking up a name
     * that is not there asks every charset provider again (about 150 µs) or throws, and a header
     * can name a hundred thousand different ones.
     */
    private static final class Charsets {
        static final Map<String, Charset> BY_NAME = new HashMap<>();

        static {
            for (Charset c : Charset.availableCharsets().values()) {
                BY_NAME.put(c.name().toLowerCase(Locale.ROOT), c);
                for (String alias : c.aliases()) BY_NAME.putIfAbsent(alias.toLowerCase(Locale.ROOT), c);
            }
        }
    }
}
