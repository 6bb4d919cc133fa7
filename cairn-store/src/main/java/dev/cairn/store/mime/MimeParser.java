// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import dev.cairn.store.ParsedMessage;
import dev.cairn.store.ParsedMessage.Address;
import dev.cairn.store.ParsedMessage.BodyPart;
import dev.cairn.store.ParsedMessage.Disposition;
import dev.cairn.store.ParsedMessage.Envelope;
import dev.cairn.store.ParsedMessage.Parameter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.field.DateTimeFieldLenientImpl;
import org.apache.james.mime4j.stream.RawField;

/**
 * Parses a message once, when its body first arrives, into what IMAP needs: the envelope, the
 * references, and the MIME tree with byte offsets. The tree comes from a boundary scanner over
 * the bytes (exact offsets, and it never gives up on malformed input: an unterminated multipart
 * ends at its parent's end, a missing header gives defaults). What a sender can make it cost is
 * bounded: recursion by nesting {@value #MAX_DEPTH} deep, parts by {@value #MAX_PARTS}, and
 * time by {@value #RESCANS} scans of the message's length (each level of nesting scans its
 * body again, so 64 levels of a 60 MB message were 64 scans); past any of these, a part is kept
 * as an opaque leaf. Header values are kept raw as IMAP wants them; mime4j parses dates.
 */
public final class MimeParser {
    private MimeParser() {}

    public static final int MAX_DEPTH = 64;
    static final int MAX_PARTS = 10_000;
    /** Bytes scanned for boundaries and lines, in multiples of the message's length (real mail nests a few levels). */
    static final int RESCANS = 8;

    /** What is left to spend on one message. */
    private static final class Budget {
        int parts = MAX_PARTS;
        long scan;

        /** Takes {@code bytes} of scanning if there is that much left. */
        boolean scan(long bytes) {
            if (bytes > scan) return false;
            scan -= bytes;
            return true;
        }
    }

    /** Parses a whole message. Never throws on malformed input. */
    public static ParsedMessage parse(byte[] message) {
        Budget budget = new Budget();
        budget.scan = (long) RESCANS * message.length + 65_536;
        Header header = Header.parse(message, 0, message.length);
        BodyPart structure = part(message, 0, message.length, header, 0, false, budget);
        return new ParsedMessage(envelope(header), sentDate(header.value("date")), references(header), structure);
    }

    private static BodyPart part(byte[] b, int start, int end, Header header, int depth, boolean digest, Budget budget) {
        budget.parts--;
        ContentType ct = ContentType.parse(header.value("content-type"), digest);
        int bodyStart = header.bodyOffset;
        String encoding = header.value("content-transfer-encoding");
        encoding = encoding == null ? "7BIT" : encoding.strip().toUpperCase(Locale.ROOT);
        Disposition disposition = null;
        String cd = header.value("content-disposition");
        if (cd != null) {
            ContentType d = ContentType.parseDisposition(cd);
            if (d != null) disposition = new Disposition(d.type, d.parameters);
        }
        List<String> language = null;
        String cl = header.value("content-language");
        if (cl != null) {
            language = new ArrayList<>();
            for (String l : cl.split(",")) if (!Header.stripComments(l).isBlank()) language.add(Header.stripComments(l).strip());
            if (language.isEmpty()) language = null;
        }
        String id = trimmed(header.value("content-id")), description = trimmed(header.value("content-description"));
        String md5 = trimmed(header.value("content-md5")), location = trimmed(header.value("content-location"));
        long size = end - bodyStart;
        boolean deep = depth >= MAX_DEPTH || budget.parts <= 0;
        String boundary = ct.parameter("boundary");
        if (ct.type.equals("multipart") && boundary != null && !boundary.isEmpty() && !deep && budget.scan(end - bodyStart)) {
            List<BodyPart> children = new ArrayList<>();
            boolean childDigest = ct.subtype.equals("digest");
            for (int[] range : splitMultipart(b, bodyStart, end, boundary.getBytes(StandardCharsets.ISO_8859_1), budget.parts)) {
                if (budget.parts <= 0) break;
                Header h = Header.parse(b, range[0], range[1]);
                children.add(part(b, range[0], range[1], h, depth + 1, childDigest, budget));
            }
            if (children.isEmpty()) {
                // IMAP needs at least one part: an empty text/plain one where the body starts.
                children.add(new BodyPart("text", "plain", List.of(new Parameter("charset", "us-ascii")), null, null, "7BIT",
                        0, 0, null, null, null, null, bodyStart, bodyStart, bodyStart, List.of(), null, null));
            }
            return new BodyPart(ct.type, ct.subtype, ct.parameters, id, description, encoding, size, -1, md5, disposition,
                    language, location, start, bodyStart, end, children, null, null);
        }
        long lines = -1;
        Envelope embeddedEnvelope = null;
        BodyPart embedded = null;
        if (ct.type.equals("text")) lines = lines(b, bodyStart, end);
        if (ct.type.equals("message") && (ct.subtype.equals("rfc822") || ct.subtype.equals("global")) && !deep
                && budget.scan(end - bodyStart)) {
            lines = lines(b, bodyStart, end);
            Header inner = Header.parse(b, bodyStart, end);
            embeddedEnvelope = envelope(inner);
            embedded = part(b, bodyStart, end, inner, depth + 1, false, budget);
        }
        return new BodyPart(ct.type, ct.subtype, ct.parameters, id, description, encoding, size, lines, md5, disposition,
                language, location, start, bodyStart, end, List.of(), embeddedEnvelope, embedded);
    }

    private static String trimmed(String s) {
        if (s == null) return null;
        s = s.strip();
        return s.isEmpty() ? null : s;
    }

    /**
     * The parts of a multipart body: each range starts after a delimiter line and ends before the
     * CRLF that precedes the next delimiter (RFC 2046 §5.1.1: that CRLF belongs to the delimiter).
     * At most {@code limit} parts: the rest of the body is in none.
     */
    static List<int[]> splitMultipart(byte[] b, int start, int end, byte[] boundary, int limit) {
        List<int[]> parts = new ArrayList<>();
        int partStart = -1;
        int pos = start;
        while (pos < end && parts.size() < limit) {
            int lineEnd = indexOf(b, (byte) '\n', pos, end);
            int next = lineEnd < 0 ? end : lineEnd + 1;
            int kind = delimiter(b, pos, lineEnd < 0 ? end : lineEnd, boundary);
            if (kind != 0) {
                if (partStart >= 0) {
                    int partEnd = pos;
                    if (partEnd > partStart && b[partEnd - 1] == '\n') partEnd--;
                    if (partEnd > partStart && b[partEnd - 1] == '\r') partEnd--;
                    parts.add(new int[] {partStart, Math.max(partStart, partEnd)});
                }
                if (kind == 2) return parts;
                partStart = next;
            }
            pos = next;
        }
        if (partStart >= 0 && partStart <= end && parts.size() < limit) parts.add(new int[] {partStart, end}); // unterminated: to the end
        return parts;
    }

    /** 0: not a delimiter line; 1: "--boundary"; 2: "--boundary--" (trailing whitespace allowed). */
    private static int delimiter(byte[] b, int from, int lineEnd, byte[] boundary) {
        int n = boundary.length;
        if (lineEnd - from < n + 2 || b[from] != '-' || b[from + 1] != '-') return 0;
        for (int i = 0; i < n; i++) if (b[from + 2 + i] != boundary[i]) return 0;
        int p = from + 2 + n;
        int kind = 1;
        if (p + 1 < lineEnd && b[p] == '-' && b[p + 1] == '-') {
            kind = 2;
            p += 2;
        }
        for (; p < lineEnd; p++) if (b[p] != ' ' && b[p] != '\t' && b[p] != '\r') return 0;
        return kind;
    }

    static int indexOf(byte[] b, byte v, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] == v) return i;
        return -1;
    }

    /** Lines as IMAP counts them: line ends, plus one for a last line without one. */
    static long lines(byte[] b, int from, int to) {
        long n = 0;
        for (int i = from; i < to; i++) if (b[i] == '\n') n++;
        if (to > from && b[to - 1] != '\n') n++;
        return n;
    }

    // --- envelope --------------------------------------------------------------------------------

    static Envelope envelope(Header h) {
        List<Address> from = Addresses.parse(h.value("from"));
        List<Address> sender = Addresses.parse(h.value("sender"));
        List<Address> replyTo = Addresses.parse(h.value("reply-to"));
        // RFC 9051 §7.5.2: absent or empty Sender and Reply-To take the From value.
        if (sender == null || sender.isEmpty()) sender = from;
        if (replyTo == null || replyTo.isEmpty()) replyTo = from;
        return new Envelope(h.value("date"), h.value("subject"), from, sender, replyTo, Addresses.parse(h.value("to")),
                Addresses.parse(h.value("cc")), Addresses.parse(h.value("bcc")), h.value("in-reply-to"),
                h.value("message-id"));
    }

    static Instant sentDate(String date) {
        if (date == null || date.isBlank()) return null;
        try {
            Date d = DateTimeFieldLenientImpl.PARSER.parse(new RawField("Date", date.strip()), DecodeMonitor.SILENT).getDate();
            return d == null ? null : d.toInstant();
        } catch (RuntimeException e) {
            return null;
        }
    }

    static List<String> references(Header h) {
        Set<String> ids = new LinkedHashSet<>();
        ids.addAll(MessageIds.all(h.value("references")));
        ids.addAll(MessageIds.all(h.value("in-reply-to")));
        return List.copyOf(ids);
    }

    /** Bytes of a header as text: UTF-8 when valid (RFC 6532), else ISO-8859-1 (8-bit junk survives). */
    static String text(byte[] b, int from, int to) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
        }
    }

    static Charset charset(String name) {
        try {
            return Charset.forName(name);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
