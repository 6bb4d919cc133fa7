// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The bytes of a message to store. It can be opened more than once (the store hashes, parses and
 * writes it), so a protocol spools a large literal or DATA to a file instead of holding it in memory.
 */
public interface BodySource {
    long size();

    InputStream open() throws IOException;

    /**
     * The bytes themselves when the source already holds them, so the store hashes and writes
     * them without a copy; null for sources that must be read. The array must not change until
     * the store call that was given this source returns.
     */
    default byte[] inMemory() { return null; }

    static BodySource of(byte[] bytes) {
        return new BodySource() {
            @Override public long size() { return bytes.length; }
            @Override public InputStream open() { return new ByteArrayInputStream(bytes); }
            @Override public byte[] inMemory() { return bytes; }
        };
    }

    static BodySource of(Path file) throws IOException {
        long size = Files.size(file);
        return new BodySource() {
            @Override public long size() { return size; }
            @Override public InputStream open() throws IOException { return Files.newInputStream(file); }
        };
    }
}
