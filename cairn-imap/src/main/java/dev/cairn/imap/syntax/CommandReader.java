// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import dev.cairn.protocol.LineInput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads one command (its lines and literals) with every size bounded before memory is spent:
 * a line longer than the limit is skipped, not stored; a literal's announced size is checked
 * before the continuation is sent (RFC 9051 §7.5) or, for a non-synchronizing literal
 * (LITERAL+, RFC 7888), before a single octet of it is read.
 */
public final class CommandReader {
    /**
     * @param maxLineLength   octets per line, CRLF not counted
     * @param maxLiteralSize  octets of one APPEND message (APPENDLIMIT)
     * @param maxLiterals     literals in one command
     * @param spoolThreshold  literals above it go to a temporary file in {@code spoolDirectory}
     */
    public record Limits(int maxLineLength, long maxLiteralSize, int maxLiterals, long spoolThreshold, Path spoolDirectory) {}

    /** Sends the "+ " continuation for a synchronizing literal. */
    @FunctionalInterface
    public interface Continuation {
        void ready() throws IOException;
    }

    /**
     * The command cannot be read. {@code tag} is what the client sent (or null), {@code code} the
     * response code; when {@code fatal} the stream position is lost (a refused non-synchronizing
     * literal is on its way) and the session must end with BYE.
     */
    public static final class RefusedException extends Exception {
        private final String tag;
        private final String code;
        private final boolean fatal;
        private final boolean no;

        RefusedException(String tag, String code, boolean no, boolean fatal, String message) {
            super(message);
            this.tag = tag;
            this.code = code;
            this.no = no;
            this.fatal = fatal;
        }

        public String tag() { return tag; }
        public String code() { return code; }
        public boolean fatal() { return fatal; }
        /** NO (a valid command the server will not take: APPEND over the limit) rather than BAD. */
        public boolean no() { return no; }
    }

    private final Limits limits;

    public CommandReader(Limits limits) { this.limits = limits; }

    public Limits limits() { return limits; }

    /**
     * Reads the next command. A blank line yields an empty command (the caller answers BAD).
     *
     * @throws java.io.EOFException when the client closes the connection
     */
    public RawCommand read(LineInput in, Continuation continuation) throws IOException, RefusedException {
        List<RawCommand.Segment> segments = new ArrayList<>(2);
        String tag = null;
        boolean append = false;
        int literals = 0;
        try {
            while (true) {
                BoundedLine line = readLine(in, limits.maxLineLength());
                if (tag == null) {
                    tag = tagOf(line.head);
                    append = isAppend(line.head);
                }
                if (line.tooLong) {
                    LiteralMarker m = LiteralMarker.find(line.tail, line.tail.length);
                    boolean nonSync = m != null && m.nonSync;
                    throw new RefusedException(tag, "TOOBIG", false, nonSync, "Command line too long");
                }
                if (line.nul) throw new RefusedException(tag, "CLIENTBUG", false, false, "NUL octet in command");
                byte[] bytes = line.content;
                LiteralMarker marker = LiteralMarker.find(bytes, bytes.length);
                if (marker == null) {
                    segments.add(new RawCommand.Text(bytes));
                    return new RawCommand(segments);
                }
                segments.add(new RawCommand.Text(java.util.Arrays.copyOf(bytes, marker.start)));
                if (marker.size < 0) {
                    throw new RefusedException(tag, "TOOBIG", append, marker.nonSync, "Literal size out of range");
                }
                long max = append ? limits.maxLiteralSize() : limits.maxLineLength();
                if (marker.size > max) {
                    throw new RefusedException(tag, "TOOBIG", append, marker.nonSync,
                            append ? "Message too large (APPENDLIMIT " + max + ")" : "Literal too large");
                }
                if (++literals > limits.maxLiterals()) {
                    throw new RefusedException(tag, "LIMIT", false, marker.nonSync, "Too many literals in one command");
                }
                if (!marker.nonSync) continuation.ready();
                segments.add(readLiteral(in, marker.size, marker.binary, append));
            }
        } catch (IOException | RefusedException | RuntimeException e) {
            new RawCommand(segments).close();
            throw e;
        }
    }

    private Literal readLiteral(LineInput in, long size, boolean binary, boolean append) throws IOException {
        if (!append || size <= limits.spoolThreshold()) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream((int) size);
            in.readExactly(size, buffer);
            return Literal.inMemory(buffer.toByteArray(), binary);
        }
        Files.createDirectories(limits.spoolDirectory());
        Path file = Files.createTempFile(limits.spoolDirectory(), "append-", ".eml");
        try (OutputStream out = Files.newOutputStream(file)) {
            in.readExactly(size, out);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return new Literal(null, file, size, binary);
    }

    /** The first line's tag, if it has a valid one. */
    private static String tagOf(byte[] head) {
        int sp = 0;
        while (sp < head.length && head[sp] != ' ') sp++;
        if (sp == 0 || sp == head.length && head.length >= BoundedLine.HEAD) return null;
        for (int i = 0; i < sp; i++) if (!Syntax.isTagChar(head[i])) return null;
        return new String(head, 0, sp, StandardCharsets.US_ASCII);
    }

    private static boolean isAppend(byte[] head) {
        String s = new String(head, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
        int sp = s.indexOf(' ');
        return sp > 0 && s.startsWith("APPEND ", sp + 1);
    }

    /** A line, or for an over-long one only its first and last octets (enough for tag and marker). */
    private record BoundedLine(byte[] content, byte[] head, byte[] tail, boolean tooLong, boolean nul) {
        static final int HEAD = 64;
    }

    /**
     * Reads up to LF octet by octet from the buffered input, keeping at most {@code max} octets.
     * (LineInput's own line reader drops an over-long line whole; IMAP needs its tag to answer.)
     */
    private static BoundedLine readLine(LineInput in, int max) throws IOException {
        byte[] buf = new byte[Math.min(max + 1, 128)];
        byte[] tail = new byte[32];
        int count = 0;
        long total = 0;
        boolean nul = false;
        byte[] one = new byte[1];
        while (true) {
            int n = in.read(one, 0, 1);
            if (n < 0) throw new java.io.EOFException(total > 0 ? "connection closed in the middle of a line" : "connection closed");
            byte b = one[0];
            if (b == '\n') break;
            if (b == 0) nul = true;
            tail[(int) (total % tail.length)] = b;
            total++;
            if (count <= max) {
                if (count == buf.length) buf = java.util.Arrays.copyOf(buf, Math.min(max + 1, buf.length * 2));
                buf[count++] = b;
            }
        }
        if (count > 0 && buf[count - 1] == '\r' && total == count) {
            count--;
            total--;
        }
        boolean tooLong = total > max;
        byte[] head = java.util.Arrays.copyOf(buf, Math.min(count, BoundedLine.HEAD));
        if (tooLong) {
            // the last octets in order, CR dropped
            int len = (int) Math.min(total, tail.length);
            byte[] t = new byte[len];
            for (int i = 0; i < len; i++) t[i] = tail[(int) ((total - len + i) % tail.length)];
            int tl = len;
            if (tl > 0 && t[tl - 1] == '\r') tl--;
            return new BoundedLine(null, head, java.util.Arrays.copyOf(t, tl), true, nul);
        }
        return new BoundedLine(java.util.Arrays.copyOf(buf, count), head, null, false, nul);
    }

    /** A literal announcement at the end of a line: {@code {N}}, {@code {N+}}, {@code ~{N}}. */
    record LiteralMarker(int start, long size, boolean nonSync, boolean binary) {
        static LiteralMarker find(byte[] line, int length) {
            if (length < 3 || line[length - 1] != '}') return null;
            int i = length - 2;
            boolean nonSync = false;
            if (line[i] == '+') {
                nonSync = true; // LITERAL+ / LITERAL- (RFC 7888)
                i--;
            }
            int digitsEnd = i + 1;
            while (i >= 0 && line[i] >= '0' && line[i] <= '9') i--;
            int digitsStart = i + 1;
            if (i < 0 || line[i] != '{' || digitsStart == digitsEnd) return null;
            int start = i;
            boolean binary = i > 0 && line[i - 1] == '~';
            if (binary) start--;
            long size = 0;
            for (int k = digitsStart; k < digitsEnd; k++) {
                size = size * 10 + (line[k] - '0');
                if (size > (1L << 40)) { size = -1; break; } // absurd: refuse without overflowing
            }
            return new LiteralMarker(start, size, nonSync, binary);
        }
    }

    @SuppressWarnings("unused")
    private static String ascii(byte[] b) { return new String(b, StandardCharsets.US_ASCII); }
}
