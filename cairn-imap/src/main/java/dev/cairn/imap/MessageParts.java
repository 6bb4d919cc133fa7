// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import dev.cairn.imap.syntax.Section;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.ParsedMessage;
import dev.cairn.store.ParsedMessage.BodyPart;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Finds body sections in a stored message by the offsets the store kept in its parse (RFC 9051
 * §6.4.5 part numbering), and reads them as byte ranges without parsing the body again.
 */
final class MessageParts {
    /** A byte range of the message, or the bytes of a filtered header. */
    record Content(long start, long end, byte[] bytes) {
        long length() { return bytes != null ? bytes.length : end - start; }
    }

    /** Bodies up to this size are read once, before a FETCH line is started (see {@link #load}). */
    static final long PRELOAD_LIMIT = 1 << 20;

    private final UserStore store;
    private final MessageRecord record;
    private ParsedMessage parsed;
    private byte[] body;

    MessageParts(UserStore store, MessageRecord record) {
        this.store = store;
        this.record = record;
    }

    ParsedMessage parsed() {
        if (parsed == null) parsed = store.parsed(record.body());
        return parsed;
    }

    /**
     * Reads what the FETCH items need before the FETCH line is started: the parse, and a body of
     * up to {@link #PRELOAD_LIMIT} octets. Another session may expunge the message's last copy
     * at any moment, and its body and parse go in the same commit; once a response has begun
     * there is no clean way to say so. False means the message is gone: say nothing about it
     * (RFC 9051 §7.5.1 lets a server omit a message expunged meanwhile). A larger body is
     * streamed from one RocksDB snapshot taken when it is opened.
     */
    boolean load(boolean needParse, boolean needBody) throws IOException {
        try {
            if (needParse) parsed();
            if (needBody && body == null && record.size() <= PRELOAD_LIMIT) {
                try (InputStream in = store.openBody(record.body())) {
                    body = in.readAllBytes();
                }
            }
            return true;
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.NONEXISTENT) return false;
            throw e;
        }
    }

    /** The body as {@link #load} read it, or null when it was not (too large, or not asked for). */
    byte[] loadedBody() { return body; }

    private InputStream openBody() throws IOException {
        return body != null ? new java.io.ByteArrayInputStream(body) : store.openBody(record.body());
    }

    BodyPart root() { return parsed().structure(); }

    /** The part a path names, or null (RFC 9051 §6.4.5: part 1 of a single-part message is its body). */
    BodyPart part(int[] path) {
        BodyPart cur = root();
        for (int depth = 0; depth < path.length; depth++) {
            int n = path[depth];
            if (cur.isMultipart()) {
                if (n < 1 || n > cur.children().size()) return null;
                cur = cur.children().get(n - 1);
            } else if (cur.isMessage() && (depth > 0 || cur != root())) {
                BodyPart embedded = cur.embedded();
                if (embedded == null) return null;
                if (embedded.isMultipart()) {
                    if (n < 1 || n > embedded.children().size()) return null;
                    cur = embedded.children().get(n - 1);
                } else if (n == 1) {
                    cur = embedded;
                } else {
                    return null;
                }
            } else if (depth == 0 && n == 1) {
                // the body of a single-part message
            } else {
                return null;
            }
        }
        return cur;
    }

    /** The bytes a section names, or null when it names nothing. */
    Content section(Section s) throws IOException {
        long size = record.size();
        BodyPart p = s.part().length == 0 ? root() : part(s.part());
        if (p == null) return null;
        long headerStart, headerEnd, textEnd;
        if (s.part().length == 0) {
            headerStart = 0;
            headerEnd = root().bodyOffset();
            textEnd = size;
        } else if (s.kind() == Section.Kind.ALL) {
            return new Content(p.bodyOffset(), p.endOffset(), null);
        } else if (s.kind() == Section.Kind.MIME) {
            return new Content(p.headerOffset(), p.bodyOffset(), null);
        } else {
            BodyPart embedded = p.isMessage() ? p.embedded() : null;
            if (embedded == null) return null;
            headerStart = embedded.headerOffset();
            headerEnd = embedded.bodyOffset();
            textEnd = embedded.endOffset();
        }
        return switch (s.kind()) {
            case ALL -> new Content(0, size, null);
            case HEADER -> new Content(headerStart, headerEnd, null);
            case TEXT -> new Content(headerEnd, textEnd, null);
            case HEADER_FIELDS, HEADER_FIELDS_NOT -> new Content(0, 0,
                    filterHeader(read(headerStart, headerEnd), s.fields(), s.kind() == Section.Kind.HEADER_FIELDS));
            case MIME -> new Content(p.headerOffset(), p.bodyOffset(), null);
        };
    }

    InputStream open(Content c) throws IOException {
        if (c.bytes() != null) return new java.io.ByteArrayInputStream(c.bytes());
        InputStream in = openBody();
        in.skipNBytes(c.start());
        return in;
    }

    byte[] read(long start, long end) throws IOException {
        try (InputStream in = openBody()) {
            in.skipNBytes(start);
            return in.readNBytes((int) Math.max(0, end - start));
        }
    }

    byte[] readAll(Content c) throws IOException {
        if (c.bytes() != null) return c.bytes();
        return read(c.start(), c.end());
    }

    /** The message header's raw bytes. */
    byte[] header() throws IOException { return read(0, root().bodyOffset()); }

    /**
     * Decoded content of a part (BINARY, RFC 3516): base64 and quoted-printable undone; null when
     * the path names nothing; {@link TransferDecoding.UndecodableException} when it cannot be.
     */
    byte[] decoded(int[] path) throws IOException, TransferDecoding.UndecodableException {
        BodyPart p = path.length == 0 ? root() : part(path);
        if (p == null) return null;
        if (path.length == 0 && p.isMultipart()) return read(0, record.size());
        return TransferDecoding.strictly(read(p.bodyOffset(), p.endOffset()), p.encoding());
    }

    /**
     * Reads byte ranges in increasing order through one opened body (SEARCH over a message of
     * many parts): a message of n parts costs one pass, not n openings and skips.
     */
    final class Forward implements AutoCloseable {
        private InputStream in;
        private long position;

        /** Up to {@code max} bytes of [start, end). */
        byte[] read(long start, long end, int max) throws IOException {
            int n = (int) Math.max(0, Math.min(end - start, max));
            if (body != null) {
                int from = (int) Math.min(start, body.length);
                return java.util.Arrays.copyOfRange(body, from, (int) Math.min(body.length, (long) from + n));
            }
            if (in == null || start < position) {
                close();
                in = store.openBody(record.body());
                position = 0;
            }
            in.skipNBytes(start - position);
            byte[] b = in.readNBytes(n);
            position = start + b.length;
            return b;
        }

        @Override public void close() throws IOException {
            if (in != null) in.close();
            in = null;
        }
    }

    /** Keeps (or drops) the named fields of a header, each with its continuation lines, then CRLF. */
    static byte[] filterHeader(byte[] header, java.util.List<String> names, boolean keep) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < header.length) {
            int end = i;
            // a field runs until a line that does not start with whitespace
            while (true) {
                int lf = indexOf(header, (byte) '\n', end);
                end = lf < 0 ? header.length : lf + 1;
                if (end >= header.length || (header[end] != ' ' && header[end] != '\t')) break;
            }
            int colon = indexOf(header, (byte) ':', i);
            boolean blank = header[i] == '\r' || header[i] == '\n';
            if (!blank && colon > i && colon < end) {
                String name = new String(header, i, colon - i, StandardCharsets.US_ASCII).trim();
                boolean named = false;
                for (String n : names) if (n.equalsIgnoreCase(name)) named = true;
                if (named == keep) out.write(header, i, end - i);
            }
            i = end;
        }
        out.write('\r');
        out.write('\n');
        return out.toByteArray();
    }

    private static int indexOf(byte[] b, byte v, int from) {
        for (int i = from; i < b.length; i++) if (b[i] == v) return i;
        return -1;
    }
}
