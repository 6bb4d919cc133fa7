// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.syntax.Literal;
import dev.cairn.store.BodySource;
import dev.cairn.store.ParsedMessage.BodyPart;
import dev.cairn.store.mime.MimeParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import java.util.List;

/**
 * A message APPENDed as a literal8 ({@code ~{n}}, RFC 3516 §4.4) may hold NUL octets, which a
 * normal literal may never carry (RFC 9051 §4.3), yet FETCH BODY[...] and RFC822 answer with normal
 * literals. So, as peers do, each part whose content holds NUL is stored base64-encoded, its
 * Content-Transfer-Encoding changed to match: BODY[n] then sends base64 text, and BINARY[n]
 * decodes it back to the octets the client sent, in a literal8.
 */
final class BinaryAppend {
    private BinaryAppend() {}

    /** NUL outside any part's content (in a header, a preamble): no encoding can carry it. */
    static final class UnstorableException extends Exception {
        UnstorableException(String message) { super(message, null, false, false); }
    }

    private static final byte[] BASE64_FIELD = "Content-Transfer-Encoding: base64\r\n".getBytes(StandardCharsets.US_ASCII);

    /** The message as it can be stored: the literal itself unless it is a literal8 holding NUL. */
    static BodySource storable(Literal literal) throws IOException, UnstorableException {
        if (!literal.binary()) return literal;
        // Only a literal8 is read here; the store reads every message whole before writing it anyway.
        byte[] bytes = literal.bytes() != null ? literal.bytes() : Files.readAllBytes(literal.file());
        if (indexOfNul(bytes, 0, bytes.length) < 0) return literal;
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + bytes.length / 2);
        long copied = rewrite(bytes, MimeParser.parse(bytes).structure(), out, 0);
        out.write(bytes, (int) copied, bytes.length - (int) copied);
        byte[] stored = out.toByteArray();
        if (indexOfNul(stored, 0, stored.length) >= 0) throw new UnstorableException("NUL octet outside a body part's content");
        return BodySource.of(stored);
    }

    /** Writes the message up to the end of {@code p}, every leaf with NUL in its content re-encoded; returns where it stopped copying. */
    private static long rewrite(byte[] b, BodyPart p, ByteArrayOutputStream out, long copied) throws IOException {
        if (p.isMultipart()) {
            for (BodyPart child : p.children()) copied = rewrite(b, child, out, copied);
            return copied;
        }
        if (p.isMessage() && p.embedded() != null) return rewrite(b, p.embedded(), out, copied);
        int header = (int) p.headerOffset(), body = (int) p.bodyOffset(), end = (int) p.endOffset();
        if (indexOfNul(b, body, end) < 0) return copied;
        out.write(b, (int) copied, header - (int) copied);
        byte[] fields = MessageParts.filterHeader(java.util.Arrays.copyOfRange(b, header, body), List.of("Content-Transfer-Encoding"), false);
        out.write(fields, 0, fields.length - 2); // without the CRLF that ends the header
        out.write(BASE64_FIELD);
        out.write('\r');
        out.write('\n');
        byte[] content = TransferDecoding.leniently(java.util.Arrays.copyOfRange(b, body, end), p.encoding());
        out.write(Base64.getMimeEncoder().encode(content)); // 76-character lines (RFC 2045 §6.8)
        return end;
    }

    private static int indexOfNul(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] == 0) return i;
        return -1;
    }
}
