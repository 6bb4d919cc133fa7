// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * A buffered output that holds its buffer only between the first write and the next flush.
 * Protocol sessions flush at the end of every reply, so an idle connection (thousands of them in
 * IMAP IDLE) holds no output buffer at all, while a busy one still writes in large chunks. The
 * buffer starts small and grows with the reply, since one is made for every reply.
 */
final class ReleasingOutputStream extends OutputStream {
    /** The first buffer of a reply. */
    static final int FIRST = 1024;

    private final OutputStream out;
    private final int size;
    private byte[] buffer;
    private int count;

    ReleasingOutputStream(OutputStream out, int size) {
        this.out = Objects.requireNonNull(out);
        if (size <= 0) throw new IllegalArgumentException("size " + size);
        this.size = size;
    }

    @Override public void write(int b) throws IOException {
        if (buffer == null || count == buffer.length) makeRoom(1);
        buffer[count++] = (byte) b;
    }

    @Override public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len >= size) {
            // Larger than a buffer: no point copying it; keep the order of what came before.
            drain();
            out.write(b, off, len);
            return;
        }
        if (buffer == null || len > buffer.length - count) makeRoom(len);
        System.arraycopy(b, off, buffer, count, len);
        count += len;
    }

    @Override public void flush() throws IOException {
        drain();
        buffer = null;
        out.flush();
    }

    @Override public void close() throws IOException {
        try {
            flush();
        } finally {
            out.close();
        }
    }

    /** Octets written but not yet passed on (tests). */
    int pending() { return count; }

    boolean holdsBuffer() { return buffer != null; }

    /** The length of the buffer held now, 0 for none (tests). */
    int bufferLength() { return buffer == null ? 0 : buffer.length; }

    /**
     * Room for {@code len} (below {@code size}) more octets. Most replies are a line or two, so the
     * first buffer is {@value #FIRST} octets, grown fourfold up to {@code size} while a reply goes
     * on, and drained once it is that big: a reply costs the heap what it holds, not {@code size}.
     */
    private void makeRoom(int len) throws IOException {
        if (buffer == null) {
            buffer = new byte[Math.min(size, Math.max(FIRST, len))];
            return;
        }
        if (buffer.length < size) {
            buffer = Arrays.copyOf(buffer, (int) Math.min(size, Math.max(buffer.length * 4L, (long) count + len)));
            if (len <= buffer.length - count) return;
        }
        drain();
    }

    private void drain() throws IOException {
        if (count > 0) {
            out.write(buffer, 0, count);
            count = 0;
        }
    }
}
