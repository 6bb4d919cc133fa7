// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import dev.cairn.protocol.LineInput;
import dev.cairn.protocol.MemoryBudget;
import dev.cairn.protocol.auth.Sasl;
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
 *
 * <p>Memory: every octet a command holds (its line buffers beyond a small start, its literals
 * kept in memory) is taken from the node's {@link MemoryBudget} through a lease capped at
 * {@link Limits#maxCommandMemory()}, before it is read. An APPEND message that gets no memory
 * goes to the spool file instead; any other literal is refused with NO before its continuation.
 *
 * <p>Before login anyone can connect, so the reader spends almost nothing: lines up to
 * {@value #PRE_AUTH_MAX_LINE} octets, literals only in LOGIN (and AUTHENTICATE), at most
 * {@value #PRE_AUTH_MAX_LITERALS} of {@value #PRE_AUTH_MAX_LITERAL} octets, and nothing spooled.
 * A synchronizing literal elsewhere gets a tagged NO instead of its continuation; a
 * non-synchronizing one is read and dropped if it is that small, and the connection is closed.
 *
 * <p>Under COMPRESS=DEFLATE (RFC 4978) one octet from the client can inflate to a thousand,
 * so a line over its limit ends the session at the limit instead of being inflated to its end.
 */
public final class CommandReader {
    /** Longest command line before login: LOGIN with two quoted fields, or AUTHENTICATE with an initial response. */
    public static final int PRE_AUTH_MAX_LINE = 8192;
    /** Largest literal before login: a user name or password (the SASL field limit). */
    public static final int PRE_AUTH_MAX_LITERAL = Sasl.MAX_FIELD_OCTETS;
    /** Literals in one command before login: LOGIN's user name and password. */
    public static final int PRE_AUTH_MAX_LITERALS = 2;
    /** The line buffer every command starts with, not counted against the memory budget. */
    private static final int LINE_START = 128;

    /**
     * @param maxLineLength    octets per line, CRLF not counted
     * @param maxLiteralSize   octets of one APPEND message (APPENDLIMIT)
     * @param maxLiterals      literals in one command
     * @param spoolThreshold   literals above it go to a temporary file in {@code spoolDirectory}
     * @param maxCommandMemory octets one command may hold in memory (lines and literals); a session
     *                         reads one command at a time, so this is what one connection may hold
     */
    public record Limits(int maxLineLength, long maxLiteralSize, int maxLiterals, long spoolThreshold, Path spoolDirectory,
                         long maxCommandMemory) {
        /** Without a limit on the memory of one command. */
        public Limits(int maxLineLength, long maxLiteralSize, int maxLiterals, long spoolThreshold, Path spoolDirectory) {
            this(maxLineLength, maxLiteralSize, maxLiterals, spoolThreshold, spoolDirectory, Long.MAX_VALUE);
        }
    }

    /** Sends the "+ " continuation for a synchronizing literal. */
    @FunctionalInterface
    public interface Continuation {
        void ready() throws IOException;
    }

    /**
     * The command cannot be read. {@code tag} is what the client sent (or null), {@code code} the
     * response code; when {@link #fatal()} the stream position is lost (a refused non-synchronizing
     * literal is on its way, or compressed input would have to be inflated to skip a line) and the
     * session must end with BYE, saying {@link #farewell()}.
     */
    public static final class RefusedException extends Exception {
        private final String tag;
        private final String code;
        private final String farewell;
        private final boolean no;

        RefusedException(String tag, String code, boolean no, String farewell, String message) {
            super(message);
            this.tag = tag;
            this.code = code;
            this.no = no;
            this.farewell = farewell;
        }

        public String tag() { return tag; }
        public String code() { return code; }
        public boolean fatal() { return farewell != null; }
        /** Why the session ends (for its BYE), or null when it goes on. */
        public String farewell() { return farewell; }
        /** NO (a valid command the server will not take: APPEND over the limit) rather than BAD. */
        public boolean no() { return no; }
    }

    private static final String AFTER_LITERAL = "Cannot continue after a refused non-synchronizing literal";

    private final Limits limits;
    private final MemoryBudget memory;

    /** With a node budget of its own that never runs out (tests, tools). */
    public CommandReader(Limits limits) { this(limits, new MemoryBudget(Long.MAX_VALUE)); }

    /** @param memory the node's budget for commands in flight, shared by all sessions */
    public CommandReader(Limits limits, MemoryBudget memory) {
        this.limits = limits;
        this.memory = memory;
    }

    public Limits limits() { return limits; }

    /** Reads the next command of a logged-in session. */
    public RawCommand read(LineInput in, Continuation continuation) throws IOException, RefusedException {
        return read(in, continuation, true);
    }

    /**
     * Reads the next command. A blank line yields an empty command (the caller answers BAD).
     *
     * @param loggedIn whether the session has logged in (before that, the pre-login bounds apply)
     * @throws java.io.EOFException when the client closes the connection
     */
    public RawCommand read(LineInput in, Continuation continuation, boolean loggedIn) throws IOException, RefusedException {
        List<RawCommand.Segment> segments = new ArrayList<>(2);
        MemoryBudget.Lease lease = memory.lease(limits.maxCommandMemory());
        int maxLine = loggedIn ? limits.maxLineLength() : Math.min(limits.maxLineLength(), PRE_AUTH_MAX_LINE);
        String tag = null;
        String command = null;
        int literals = 0;
        try {
            while (true) {
                BoundedLine line = readLine(in, maxLine, lease);
                if (tag == null) {
                    tag = tagOf(line.head);
                    command = commandOf(line.head);
                }
                boolean append = "APPEND".equals(command);
                if (line.content == null) {
                    LiteralMarker m = LiteralMarker.find(line.tail, line.tail.length);
                    // a line cut short leaves its rest unread, a refused literal its octets: no way on
                    String farewell = line.overrun ? "Cannot continue after a line cut short in compressed input"
                            : m != null && m.nonSync ? AFTER_LITERAL : null;
                    if (line.refused != null) throw memoryRefusal(tag, line.refused, farewell);
                    throw new RefusedException(tag, "TOOBIG", false, farewell, "Command line too long");
                }
                if (line.nul) throw new RefusedException(tag, "CLIENTBUG", false, null, "NUL octet in command");
                byte[] bytes = line.content;
                LiteralMarker marker = LiteralMarker.find(bytes, bytes.length);
                if (marker == null) {
                    segments.add(new RawCommand.Text(bytes));
                    return new RawCommand(segments, lease);
                }
                segments.add(new RawCommand.Text(java.util.Arrays.copyOf(bytes, marker.start)));
                String farewell = marker.nonSync ? AFTER_LITERAL : null;
                if (!loggedIn && !"LOGIN".equals(command) && !"AUTHENTICATE".equals(command)) {
                    // the octets of a small one are dropped so that the NO and BYE reach the client
                    if (marker.nonSync && marker.size >= 0 && marker.size <= PRE_AUTH_MAX_LITERAL) in.skipExactly(marker.size);
                    throw new RefusedException(tag, "CLIENTBUG", true, farewell, "Log in first; before login only LOGIN takes literals");
                }
                if (marker.size < 0) throw new RefusedException(tag, "TOOBIG", append, farewell, "Literal size out of range");
                long max = !loggedIn ? PRE_AUTH_MAX_LITERAL : append ? limits.maxLiteralSize() : limits.maxLineLength();
                if (marker.size > max) {
                    throw new RefusedException(tag, "TOOBIG", append, farewell,
                            append ? "Message too large (APPENDLIMIT " + max + ")" : "Literal too large");
                }
                if (++literals > (loggedIn ? limits.maxLiterals() : PRE_AUTH_MAX_LITERALS)) {
                    throw new RefusedException(tag, "LIMIT", false, farewell, "Too many literals in one command");
                }
                // nothing is spooled before login: APPEND takes no literal there
                boolean inMemory = !append || marker.size <= limits.spoolThreshold();
                if (inMemory) {
                    MemoryBudget.Grant grant = lease.take(marker.size);
                    if (grant != MemoryBudget.Grant.GRANTED) {
                        if (!append) throw memoryRefusal(tag, grant, farewell);
                        inMemory = false; // a message goes to disk as a larger one would
                    }
                }
                if (!marker.nonSync) continuation.ready();
                segments.add(inMemory ? readIntoMemory(in, marker.size, marker.binary) : spool(in, marker.size, marker.binary));
            }
        } catch (IOException | RefusedException | RuntimeException e) {
            new RawCommand(segments, lease).close();
            throw e;
        }
    }

    /** NO for a command that would hold more memory than its lease or the node allows. */
    private RefusedException memoryRefusal(String tag, MemoryBudget.Grant grant, String farewell) {
        return grant == MemoryBudget.Grant.OVER_LEASE
                ? new RefusedException(tag, "LIMIT", true, farewell, "Command too large (" + limits.maxCommandMemory() + " octets in memory at most)")
                : new RefusedException(tag, "UNAVAILABLE", true, farewell, "Server busy with other large commands; try again later");
    }

    /** Straight into an array of the announced size (taken from the lease already): no second copy. */
    private static Literal readIntoMemory(LineInput in, long size, boolean binary) throws IOException {
        byte[] bytes = new byte[(int) size];
        in.readFully(bytes);
        return Literal.inMemory(bytes, binary);
    }

    private Literal spool(LineInput in, long size, boolean binary) throws IOException {
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

    /** The first line's command name in upper case ("" when there is none): the word after the tag. */
    private static String commandOf(byte[] head) {
        String s = new String(head, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
        int sp = s.indexOf(' ');
        if (sp < 0) return "";
        int end = s.indexOf(' ', sp + 1);
        return s.substring(sp + 1, end < 0 ? s.length() : end);
    }

    /**
     * A line, or for one that is not stored only its first and last octets (enough for tag and
     * marker): {@code content} is null when the line was over the limit, when the memory for it
     * was {@code refused}, or when it was cut short at the limit ({@code overrun}, compressed input).
     */
    private record BoundedLine(byte[] content, byte[] head, byte[] tail, boolean nul, MemoryBudget.Grant refused, boolean overrun) {
        static final int HEAD = 64;
    }

    /**
     * Reads up to LF octet by octet from the buffered input, keeping at most {@code max} octets
     * and taking memory from {@code lease} as the buffer grows. (LineInput's own line reader
     * drops an over-long line whole; IMAP needs its tag to answer.) A line that is not kept is
     * skipped to its LF, unless the input is compressed: then reading stops right there.
     */
    private static BoundedLine readLine(LineInput in, int max, MemoryBudget.Lease lease) throws IOException {
        byte[] buf = new byte[Math.min(max + 1, LINE_START)];
        byte[] tail = new byte[32];
        int count = 0;
        long total = 0;
        boolean nul = false;
        MemoryBudget.Grant refused = null;
        byte[] one = new byte[1];
        while (true) {
            int n = in.read(one, 0, 1);
            if (n < 0) throw new java.io.EOFException(total > 0 ? "connection closed in the middle of a line" : "connection closed");
            byte b = one[0];
            if (b == '\n') break;
            if (b == 0) nul = true;
            tail[(int) (total % tail.length)] = b;
            total++;
            if (count <= max && refused == null) {
                if (count == buf.length) {
                    int grown = Math.min(max + 1, buf.length * 2);
                    MemoryBudget.Grant grant = lease.take(grown - buf.length);
                    if (grant == MemoryBudget.Grant.GRANTED) buf = java.util.Arrays.copyOf(buf, grown);
                    else refused = grant;
                }
                if (refused == null) buf[count++] = b;
            }
            // one more than max may still be a CR before the LF
            if ((total > max + 1 || refused != null) && !in.skipsOverlongLines()) {
                return new BoundedLine(null, head(buf, count), tailOf(tail, total), nul, refused, true);
            }
        }
        if (count > 0 && buf[count - 1] == '\r' && total == count) {
            count--;
            total--;
        }
        if (total > max || refused != null) return new BoundedLine(null, head(buf, count), tailOf(tail, total), nul, refused, false);
        return new BoundedLine(java.util.Arrays.copyOf(buf, count), head(buf, count), null, nul, null, false);
    }

    private static byte[] head(byte[] buf, int count) { return java.util.Arrays.copyOf(buf, Math.min(count, BoundedLine.HEAD)); }

    /** The last octets in order, a final CR dropped. */
    private static byte[] tailOf(byte[] ring, long total) {
        int len = (int) Math.min(total, ring.length);
        byte[] t = new byte[len];
        for (int i = 0; i < len; i++) t[i] = ring[(int) ((total - len + i) % ring.length)];
        int tl = len;
        if (tl > 0 && t[tl - 1] == '\r') tl--;
        return java.util.Arrays.copyOf(t, tl);
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
}
