// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * A buffered output that holds its buffer only between the first write and the next flush.
 * Protocol sessions flush at the end of every reply, so an idle connection (thousands of them in
 * IMAP IDLE) holds no output buffer at all, while a busy one still writes in large chunks.
 */
final class ReleasingOutputStream extends OutputStream {
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
        if (buffer == null) buffer = new byte[size];
        else if (count == buffer.length) drain();
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
        if (buffer == null) buffer = new byte[size];
        else if (len > buffer.length - count) drain();
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

    private void drain() throws IOException {
        if (count > 0) {
            out.write(buffer, 0, count);
            count = 0;
        }
    }
}
