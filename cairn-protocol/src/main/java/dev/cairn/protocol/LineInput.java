// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Bounded, byte-oriented buffered input shared by every protocol: lines up to a limit, and
 * exact byte counts (IMAP literals, BDAT chunks). Memory use is the fixed buffer plus at most
 * one line of the caller's limit, whatever the client sends.
 *
 * <p>Line ends: LF ends a line and one CR right before it is removed. A bare LF is accepted as
 * a line end, as Dovecot does, because real clients send it; {@link Line#crlf()} tells which
 * it was for callers that must care (message bodies). A CR elsewhere is ordinary content.
 *
 * <p>The buffer follows the traffic: a read that fills it grows it (up to the size given), a
 * read that brings a short line shrinks it back before the next blocking read, so a connection
 * that sits idle (IMAP IDLE, thousands at once) holds {@value #IDLE_BUFFER} octets, not the maximum.
 *
 * <p>The source is replaceable: {@link Connection} swaps it for the TLS stream after STARTTLS
 * (dropping whatever was buffered) and for an inflating stream under IMAP COMPRESS (keeping it).
 * Under compression an over-long line is not skipped to its end but ends the input
 * ({@link InputOverrunException}): inflating the rest could cost the server a thousand times
 * what it cost the client.
 */
public final class LineInput {
    /** The largest line limit a caller may ask for (a line is held in one array). */
    public static final int MAX_LINE = Integer.MAX_VALUE - 16;

    /** The buffer of a connection whose last read brought only a short command. */
    static final int IDLE_BUFFER = 256;

    private InputStream source;
    private final int maxBuffer;
    private byte[] buffer;
    private boolean growNext, shrinkNext;
    private boolean overlongLinesSkipped = true;
    private int position;
    private int limit;

    public LineInput(InputStream source, int bufferSize) {
        if (bufferSize <= 0) throw new IllegalArgumentException("bufferSize " + bufferSize);
        this.source = Objects.requireNonNull(source);
        this.maxBuffer = bufferSize;
        this.buffer = new byte[Math.min(IDLE_BUFFER, bufferSize)];
    }

    /**
     * Reads a command line: content up to {@code maxLength} octets, without the terminator.
     *
     * @throws LineTooLongException  after skipping the rest of a longer line
     * @throws InputOverrunException for a longer line when they are not skipped (compressed input)
     * @throws NulInLineException    after consuming a line that contains NUL
     * @throws EOFException         when the client closed the connection
     * @throws IdleTimeoutException when nothing arrived within the idle timeout
     */
    public byte[] readCommandLine(int maxLength) throws IOException {
        return readLine(maxLength, false).bytes();
    }

    /**
     * Reads a line of up to {@code maxLength} content octets (terminator not counted).
     *
     * @param allowNul false for command lines (NUL refused), true for message data
     */
    public Line readLine(int maxLength, boolean allowNul) throws IOException {
        if (maxLength < 0 || maxLength > MAX_LINE) throw new IllegalArgumentException("maxLength " + maxLength);
        // One more than the limit so that a CR right before the LF still fits.
        byte[] line = new byte[Math.min(maxLength + 1, 256)];
        int count = 0;
        boolean tooLong = false;
        boolean nul = false;
        while (true) {
            if (position == limit && !fill()) {
                throw new EOFException(count > 0 || tooLong ? "connection closed in the middle of a line" : "connection closed");
            }
            int lf = indexOf((byte) '\n', position, limit);
            int end = lf >= 0 ? lf : limit;
            int chunk = end - position;
            if (!allowNul && !nul) nul = indexOf((byte) 0, position, end) >= 0;
            if (!tooLong) {
                if (count + chunk > maxLength + 1) {
                    if (!overlongLinesSkipped) throw new InputOverrunException(maxLength);
                    tooLong = true;
                    line = null; // skip the rest without keeping it
                } else {
                    if (count + chunk > line.length) {
                        line = Arrays.copyOf(line, (int) Math.min(maxLength + 1L, Math.max(line.length * 2L, count + chunk)));
                    }
                    System.arraycopy(buffer, position, line, count, chunk);
                    count += chunk;
                }
            }
            position = end;
            if (lf < 0) continue;
            position = lf + 1;
            if (tooLong) throw new LineTooLongException(maxLength);
            boolean crlf = count > 0 && line[count - 1] == '\r';
            if (crlf) count--;
            if (count > maxLength) throw new LineTooLongException(maxLength);
            if (nul) throw new NulInLineException();
            return new Line(Arrays.copyOf(line, count), crlf);
        }
    }

    /**
     * Copies exactly {@code count} octets to {@code sink}. The caller has checked {@code count}
     * against its limit; this never buffers more than its fixed buffer.
     */
    public void readExactly(long count, OutputStream sink) throws IOException {
        if (count < 0) throw new IllegalArgumentException("count " + count);
        long remaining = count;
        while (remaining > 0) {
            if (position == limit && !fill()) {
                throw new EOFException("connection closed with " + remaining + " of " + count + " octets missing");
            }
            int n = (int) Math.min(remaining, limit - position);
            sink.write(buffer, position, n);
            position += n;
            remaining -= n;
        }
    }

    /**
     * Fills {@code into} with the next {@code into.length} octets: a literal the caller keeps in
     * memory, read into its own array rather than through a growing buffer and a copy.
     */
    public void readFully(byte[] into) throws IOException {
        int done = 0;
        while (done < into.length) {
            int wanted = into.length - done;
            // Nothing buffered and more wanted than the buffer holds: from the source straight into
            // the array (the buffer neither copies it nor grows for it).
            int n = position == limit && wanted >= buffer.length ? readSource(into, done, wanted) : read(into, done, wanted);
            if (n <= 0) throw new EOFException("connection closed with " + wanted + " of " + into.length + " octets missing");
            done += n;
        }
    }

    /** Skips exactly {@code count} octets (a literal or chunk that is refused but must be consumed). */
    public void skipExactly(long count) throws IOException {
        readExactly(count, OutputStream.nullOutputStream());
    }

    /** Reads at most {@code length} octets, blocking until at least one is there; -1 at end of input. */
    public int read(byte[] into, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, into.length);
        if (length == 0) return 0;
        if (position == limit && !fill()) return -1;
        int n = Math.min(length, limit - position);
        System.arraycopy(buffer, position, into, offset, n);
        position += n;
        return n;
    }

    /** Octets received and buffered but not yet consumed. */
    public int buffered() { return limit - position; }

    /** Removes and returns the buffered octets. */
    public byte[] takeBuffered() {
        byte[] pending = Arrays.copyOfRange(buffer, position, limit);
        position = limit = 0;
        return pending;
    }

    /** Reads from {@code newSource} from now on; the caller has taken or dropped the buffered octets. */
    void replaceSource(InputStream newSource) {
        if (buffered() != 0) throw new IllegalStateException("buffered input must be taken before replacing the source");
        source = Objects.requireNonNull(newSource);
        position = limit = 0;
    }

    InputStream source() { return source; }

    /**
     * Whether a line over its limit is skipped to its end (then the reader is in step again). False
     * once the source inflates what the client sends: the caller must stop at the limit instead.
     */
    public boolean skipsOverlongLines() { return overlongLinesSkipped; }

    /** From now on an over-long line ends the input ({@link InputOverrunException}) instead of being skipped. */
    void stopSkippingOverlongLines() { overlongLinesSkipped = false; }

    /** The size of the buffer now (tests). */
    int bufferSize() { return buffer.length; }

    /** Called only when every buffered octet is consumed, so the buffer may be swapped. */
    private boolean fill() throws IOException {
        if (growNext) {
            buffer = new byte[(int) Math.min(maxBuffer, buffer.length * 4L)];
        } else if (shrinkNext) {
            buffer = new byte[IDLE_BUFFER];
        }
        growNext = shrinkNext = false;
        int n = readSource(buffer, 0, buffer.length);
        if (n <= 0) return false; // a blocking stream returns 0 only for a zero-length request
        position = 0;
        limit = n;
        resizeAfter(n);
        return true;
    }

    private int readSource(byte[] into, int offset, int length) throws IOException {
        try {
            return source.read(into, offset, length);
        } catch (SocketTimeoutException e) {
            throw new IdleTimeoutException("idle timeout", e);
        }
    }

    /**
     * A full read means more is coming (a literal, a pipeline): grow for the next one. A short
     * read is a command and then, usually, silence: shrink, once it is consumed, so the blocking
     * read that follows holds little. Resizing happens only at the next fill, when nothing is buffered.
     */
    private void resizeAfter(int n) {
        if (n == buffer.length && buffer.length < maxBuffer) {
            growNext = true;
        } else if (n < IDLE_BUFFER && buffer.length > IDLE_BUFFER) {
            shrinkNext = true;
        }
    }

    private int indexOf(byte b, int from, int to) {
        for (int i = from; i < to; i++) if (buffer[i] == b) return i;
        return -1;
    }
}
