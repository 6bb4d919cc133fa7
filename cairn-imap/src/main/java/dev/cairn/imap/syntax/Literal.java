// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import dev.cairn.store.BodySource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A literal read from the client: in memory when small, else spooled to a temporary file so that
 * a large APPEND is never held in memory (and the store can open it more than once). The reader
 * deletes spooled files when the command is done ({@link RawCommand#close()}).
 *
 * @param binary whether it was sent as literal8 ({@code ~{N}}, RFC 3516)
 */
public record Literal(byte[] bytes, Path file, long size, boolean binary) implements RawCommand.Segment, BodySource, AutoCloseable {
    public static Literal inMemory(byte[] bytes, boolean binary) { return new Literal(bytes, null, bytes.length, binary); }

    @Override public InputStream open() throws IOException {
        return bytes != null ? new ByteArrayInputStream(bytes) : Files.newInputStream(file);
    }

    /**
     * The octets themselves when kept in memory: the store hashes and writes an APPEND message
     * from this array instead of reading a copy of it (nothing changes it once read).
     */
    @Override public byte[] inMemory() { return bytes; }

    /** The content as UTF-8 text (only for literals kept in memory: names, strings, search values). */
    public String text() {
        if (bytes == null) throw new IllegalStateException("spooled literal used as a string");
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override public void close() {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temp file left behind is removed with the spool directory
            }
        }
    }

    /** Size, kind and where it is kept; the content itself is never logged. */
    @Override public String toString() {
        return "Literal[size=" + size + (binary ? ", binary" : "") + (file != null ? ", spooled" : ", in memory") + "]";
    }
}
