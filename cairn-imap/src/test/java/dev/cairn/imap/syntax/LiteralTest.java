// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiteralTest {
    @TempDir Path dir;

    @Test
    void anAppendKeptInMemoryHandsTheStoreItsOwnArrayAndASpooledOneNone() throws IOException {
        byte[] message = "Subject: x\r\n\r\nbody\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Literal held = Literal.inMemory(message, false);
        assertThat(held.inMemory()).as("no copy for the store to hash and write").isSameAs(message);

        Path file = Files.write(dir.resolve("append-1.eml"), message);
        Literal spooled = new Literal(null, file, message.length, false);
        assertThat(spooled.inMemory()).as("the store reads a spooled one from its file").isNull();
        try (var in = spooled.open()) {
            assertThat(in.readAllBytes()).isEqualTo(message);
        }
    }
}
