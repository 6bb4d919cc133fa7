// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

/** Writes certificates and keys: PEM text (RFC 7468), keys readable by their owner only, each file replaced whole. */
final class TlsFiles {
    private TlsFiles() {}

    /** RFC 7468 §2: base64 in lines of 64 characters between the BEGIN and END lines. */
    static String pem(String type, byte[] der) {
        Base64.Encoder mime = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        return "-----BEGIN " + type + "-----\n" + mime.encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    static void write(Path file, String text) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, text, StandardCharsets.US_ASCII);
        move(temporary, file);
    }

    /** A key: readable by its owner only from the moment it exists. */
    static void writePrivate(Path file, String text) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        try {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(temporary);
        }
        Files.writeString(temporary, text, StandardCharsets.US_ASCII);
        move(temporary, file);
    }

    /** Replaces {@code to} at once where the file system can, so a reader never sees half a file. */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
