// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Whether a directory's file system takes O_DIRECT (tmpfs, for one, does not). */
final class DirectIo {
    private DirectIo() {}

    static boolean supported(Path dir) {
        Path probe = dir.resolve(".direct-io-probe");
        try (FileChannel c = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // a leftover probe file is harmless
            }
        }
    }
}
