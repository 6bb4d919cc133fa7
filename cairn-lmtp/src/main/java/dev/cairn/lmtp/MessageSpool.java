// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import dev.cairn.store.BodySource;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The message being received: in memory up to a threshold, then in a temporary file, so a
 * 50 MB message is never held in memory (let alone twice). Writing past {@code maxSize} stops
 * storing and only counts, so the rest of DATA can be read and refused with 552.
 */
final class MessageSpool extends OutputStream {
    private final int memoryThreshold;
    private final long maxSize;
    private final Path directory;
    private ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream fileOut;
    private long size;
    private boolean finished;

    MessageSpool(int memoryThreshold, long maxSize, Path directory) {
        this.memoryThreshold = memoryThreshold;
        this.maxSize = maxSize;
        this.directory = directory;
    }

    @Override public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

    @Override public void write(byte[] b, int off, int len) throws IOException {
        if (finished) throw new IllegalStateException("spool finished");
        size += len;
        if (size > maxSize) {
            discard();
            return;
        }
        if (fileOut == null && memory != null && memory.size() + len > memoryThreshold) {
            file = Files.createTempFile(directory, "cairn-lmtp-", ".eml");
            fileOut = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
            memory.writeTo(fileOut);
            memory = null;
        }
        if (fileOut != null) fileOut.write(b, off, len);
        else memory.write(b, off, len);
    }

    /** Octets written so far, counted even past the limit. */
    long size() { return size; }

    boolean tooBig() { return size > maxSize; }

    /** Ends writing; the content can then be read any number of times. */
    void finish() throws IOException {
        finished = true;
        if (fileOut != null) {
            fileOut.close();
            fileOut = null;
        }
    }

    /** The message with {@code prefix} (added header lines) in front, for the store to read. */
    BodySource withPrefix(byte[] prefix) {
        if (!finished || tooBig()) throw new IllegalStateException("spool not finished or over its limit");
        long total = prefix.length + size;
        byte[] inMemory = memory != null ? memory.toByteArray() : null;
        Path spooled = file;
        return new BodySource() {
            @Override public long size() { return total; }

            @Override public InputStream open() throws IOException {
                InputStream content = inMemory != null ? new ByteArrayInputStream(inMemory) : Files.newInputStream(spooled);
                return prefix.length == 0 ? content : new SequenceInputStream(new ByteArrayInputStream(prefix), content);
            }
        };
    }

    boolean onDisk() { return file != null; }

    private void discard() throws IOException {
        memory = null;
        if (fileOut != null) {
            fileOut.close();
            fileOut = null;
        }
        if (file != null) {
            Files.deleteIfExists(file);
            file = null;
        }
    }

    /** Removes the temporary file, if any. */
    @Override public void close() throws IOException {
        finished = true;
        discard();
    }
}
