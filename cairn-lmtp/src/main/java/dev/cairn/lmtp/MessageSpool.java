// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import dev.cairn.store.BodySource;
import dev.cairn.protocol.MemoryBudget;
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
 * 50 MB message is never held in memory (let alone twice). The octets held in memory are taken
 * from the node's {@link MemoryBudget} first: when it is spent (many deliveries at once) the
 * message goes to the file from its first octet. Writing past {@code maxSize} stops storing and
 * only counts, so the rest of DATA can be read and refused with 552.
 */
final class MessageSpool extends OutputStream {
    private final MemoryBudget budget;
    /** Octets taken from {@link #budget} for {@link #memory}. */
    private long taken;
    private final int memoryThreshold;
    private final long maxSize;
    private final Path directory;
    private ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream fileOut;
    private long size;
    private boolean finished;
    private IOException failure;

    MessageSpool(int memoryThreshold, long maxSize, Path directory, MemoryBudget budget) {
        this.budget = budget;
        this.memoryThreshold = memoryThreshold;
        this.maxSize = maxSize;
        this.directory = directory;
    }

    @Override public void write(int b) { write(new byte[] {(byte) b}, 0, 1); }

    /**
     * Never throws for a spool problem (disk full, spool directory gone): the failure is kept,
     * the rest is only counted, and the transaction is answered 451 so the MTA retries.
     */
    @Override public void write(byte[] b, int off, int len) {
        if (finished) throw new IllegalStateException("spool finished");
        size += len;
        if (size > maxSize || failure != null) {
            discard();
            return;
        }
        try {
            if (fileOut == null && memory != null && (memory.size() + len > memoryThreshold || !budget.tryTake(len))) {
                file = Files.createTempFile(directory, "cairn-lmtp-", ".eml");
                fileOut = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
                memory.writeTo(fileOut);
                releaseMemory();
            } else if (fileOut == null && memory != null) {
                taken += len;
            }
            if (fileOut != null) fileOut.write(b, off, len);
            else memory.write(b, off, len);
        } catch (IOException e) {
            failure = e;
            discard();
        }
    }

    /** The spool's own I/O failure, or null. */
    IOException failure() { return failure; }

    /** Octets written so far, counted even past the limit. */
    long size() { return size; }

    boolean tooBig() { return size > maxSize; }

    /** Ends writing; the content can then be read any number of times. */
    void finish() {
        finished = true;
        if (fileOut != null && failure == null) {
            try {
                fileOut.close();
            } catch (IOException e) {
                failure = e;
                discard();
            }
            fileOut = null;
        }
    }

    /** The message with {@code prefix} (added header lines) in front, for the store to read. */
    BodySource withPrefix(byte[] prefix) {
        if (!finished || tooBig() || failure != null) throw new IllegalStateException("spool not finished or over its limit");
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

    private void releaseMemory() {
        memory = null;
        budget.give(taken);
        taken = 0;
    }

    private void discard() {
        releaseMemory();
        try {
            if (fileOut != null) fileOut.close();
        } catch (IOException ignored) {
            // the file goes anyway
        }
        fileOut = null;
        try {
            if (file != null) Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temporary file in the spool directory; nothing refers to it
        }
        file = null;
    }

    /** Removes the temporary file, if any. */
    @Override public void close() {
        finished = true;
        discard();
    }
}
