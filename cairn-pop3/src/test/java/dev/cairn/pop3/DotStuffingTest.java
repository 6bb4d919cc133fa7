// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DotStuffingTest {
    /** Returns the data in reads of at most {@code chunk} octets, as a slow store or socket would. */
    static InputStream chunked(byte[] data, int chunk) {
        return new InputStream() {
            int pos;

            @Override public int read() { return pos < data.length ? data[pos++] & 0xff : -1; }

            @Override public int read(byte[] b, int off, int len) {
                if (pos >= data.length) return -1;
                int n = Math.min(Math.min(len, chunk), data.length - pos);
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    static String copy(String message, long maxBodyLines, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DotStuffing.copy(chunked(message.getBytes(StandardCharsets.UTF_8), chunk), out, maxBodyLines);
        return out.toString(StandardCharsets.UTF_8);
    }

    static final String MESSAGE = ".From: x\r\nSubject: y\r\n\r\nbody 1\r\n.\r\n..two dots\r\nlast";

    @Test
    void everyLineStartingWithADotGetsAnotherWhateverTheChunking() throws IOException {
        for (int chunk = 1; chunk <= MESSAGE.length(); chunk++) {
            assertThat(copy(MESSAGE, -1, chunk)).as("chunk %d", chunk)
                    .isEqualTo("..From: x\r\nSubject: y\r\n\r\nbody 1\r\n..\r\n...two dots\r\nlast\r\n");
        }
    }

    @Test
    void topStopsAfterTheHeaderAndNBodyLines() throws IOException {
        for (int chunk = 1; chunk <= MESSAGE.length(); chunk++) {
            assertThat(copy(MESSAGE, 0, chunk)).isEqualTo("..From: x\r\nSubject: y\r\n\r\n");
            assertThat(copy(MESSAGE, 2, chunk)).isEqualTo("..From: x\r\nSubject: y\r\n\r\nbody 1\r\n..\r\n");
            assertThat(copy(MESSAGE, 100, chunk)).isEqualTo("..From: x\r\nSubject: y\r\n\r\nbody 1\r\n..\r\n...two dots\r\nlast\r\n");
        }
    }

    @Test
    void aMessageWithoutBodyOrEmpty() throws IOException {
        assertThat(copy("Subject: only header\r\n", 5, 4)).isEqualTo("Subject: only header\r\n");
        assertThat(copy("", -1, 4)).isEmpty();
    }
}
