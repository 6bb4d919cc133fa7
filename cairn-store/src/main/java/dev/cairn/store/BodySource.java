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

    static BodySource of(byte[] bytes) {
        return new BodySource() {
            @Override public long size() { return bytes.length; }
            @Override public InputStream open() { return new ByteArrayInputStream(bytes); }
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
