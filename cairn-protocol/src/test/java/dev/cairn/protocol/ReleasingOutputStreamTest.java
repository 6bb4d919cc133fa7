// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReleasingOutputStreamTest {
    /** Records each write that reaches the socket. */
    static final class Sink extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Integer> writes = new ArrayList<>();
        int flushes;

        @Override public void write(int b) { bytes.write(b); writes.add(1); }
        @Override public void write(byte[] b, int off, int len) { bytes.write(b, off, len); writes.add(len); }
        @Override public void flush() { flushes++; }
    }

    @Test
    void holdsNoBufferBetweenReplies() throws IOException {
        Sink sink = new Sink();
        ReleasingOutputStream out = new ReleasingOutputStream(sink, 64);
        assertThat(out.holdsBuffer()).isFalse();
        out.write("* OK ready\r\n".getBytes());
        assertThat(out.holdsBuffer()).isTrue();
        assertThat(sink.writes).as("buffered until flush").isEmpty();
        out.flush();
        assertThat(out.holdsBuffer()).isFalse();
        assertThat(sink.bytes.toString()).isEqualTo("* OK ready\r\n");
        assertThat(sink.writes).containsExactly(12);
        assertThat(sink.flushes).isEqualTo(1);
    }

    @Test
    void keepsTheOrderOfSmallAndLargeWritesAndWritesInBufferSizedChunks() throws IOException {
        Random random = new Random(42);
        Sink sink = new Sink();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        ReleasingOutputStream out = new ReleasingOutputStream(sink, 64);
        for (int i = 0; i < 2000; i++) {
            int kind = random.nextInt(10);
            if (kind == 0) {
                out.flush();
            } else if (kind == 1) {
                int b = random.nextInt(256);
                out.write(b);
                expected.write(b);
            } else {
                byte[] chunk = new byte[random.nextInt(kind == 2 ? 300 : 40)];
                random.nextBytes(chunk);
                out.write(chunk);
                expected.writeBytes(chunk);
            }
        }
        out.flush();
        assertThat(sink.bytes.toByteArray()).isEqualTo(expected.toByteArray());
        // Small writes are coalesced: no write reaching the socket is a lone small one unless a
        // flush or a large write forced it out, so there are far fewer writes than calls.
        assertThat(sink.writes.size()).isLessThan(1500);
        assertThat(out.pending()).isZero();
    }

    @Test
    void aShortReplyTakesASmallBufferAndALongOneGrowsToFullSizedWrites() throws IOException {
        Sink sink = new Sink();
        ReleasingOutputStream out = new ReleasingOutputStream(sink, 16 * 1024);
        out.write("a1 OK NOOP completed\r\n".getBytes());
        assertThat(out.bufferLength()).as("a line's reply").isEqualTo(ReleasingOutputStream.FIRST);
        out.flush();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes("a1 OK NOOP completed\r\n".getBytes());
        byte[] line = new byte[300];
        for (int i = 0; i < 200; i++) {
            java.util.Arrays.fill(line, (byte) i);
            out.write(line);
            expected.writeBytes(line);
        }
        assertThat(out.bufferLength()).as("grown with the reply").isEqualTo(16 * 1024);
        out.flush();
        assertThat(sink.bytes.toByteArray()).isEqualTo(expected.toByteArray());
        // the first write is the short reply, the last what was left at the flush: all between are full buffers
        List<Integer> middle = sink.writes.subList(1, sink.writes.size() - 1);
        assertThat(middle).isNotEmpty().allSatisfy(n -> assertThat(n).isGreaterThan(16 * 1024 - 300));
    }
}
