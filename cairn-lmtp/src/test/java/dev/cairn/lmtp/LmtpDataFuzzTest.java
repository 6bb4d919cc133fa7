// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cairn.protocol.LineInput;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;

/**
 * The DATA reader (RFC 5321 §4.1.1.4, dot-stuffing §4.5.2) against a model: whatever the sender
 * writes and however the network splits it, the stored message is the lines up to the lone "."
 * with one leading dot removed, each ended by CRLF, over-long lines dropped and reported, and
 * the octets after the terminator are left for the next command.
 */
class LmtpDataFuzzTest {
    private static final int MAX_LINE = 50;

    @FuzzTest
    void dataSplitAnywhere(byte[] data) throws IOException {
        Model expected = model(data);
        Random cuts = new Random(Arrays.hashCode(data));
        for (int maxPiece : new int[] {1, 5, 1 << 20}) {
            LineInput in = new LineInput(pieces(data, cuts, maxPiece), 128);
            ByteArrayOutputStream stored = new ByteArrayOutputStream();
            if (expected == null) {
                assertThatThrownBy(() -> LmtpSession.readDotStuffed(in, MAX_LINE, stored)).isInstanceOf(EOFException.class);
                continue;
            }
            boolean tooLong = LmtpSession.readDotStuffed(in, MAX_LINE, stored);
            assertThat(stored.toByteArray()).isEqualTo(expected.message);
            assertThat(tooLong).isEqualTo(expected.tooLong);
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            in.readExactly(data.length - expected.consumed, rest);
            assertThat(rest.toByteArray()).isEqualTo(Arrays.copyOfRange(data, expected.consumed, data.length));
        }
    }

    private record Model(byte[] message, boolean tooLong, int consumed) {}

    /** The message DATA carries, computed naively from the whole input; null when "." never comes. */
    private static Model model(byte[] data) {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        boolean tooLong = false;
        int pos = 0;
        while (true) {
            int lf = pos;
            while (lf < data.length && data[lf] != '\n') lf++;
            if (lf == data.length) return null;
            int end = lf > pos && data[lf - 1] == '\r' ? lf - 1 : lf;
            int start = pos;
            pos = lf + 1;
            if (end - start == 1 && data[start] == '.') return new Model(message.toByteArray(), tooLong, pos);
            if (end - start > MAX_LINE) {
                tooLong = true;
                continue;
            }
            if (end > start && data[start] == '.') start++;
            message.write(data, start, end - start);
            message.write('\r');
            message.write('\n');
        }
    }

    private static InputStream pieces(byte[] data, Random cuts, int maxPiece) {
        return new InputStream() {
            int pos;

            @Override public int read() { throw new UnsupportedOperationException("LineInput reads arrays"); }

            @Override public int read(byte[] b, int off, int len) {
                if (pos >= data.length) return -1;
                int n = Math.min(len, Math.min(data.length - pos, 1 + cuts.nextInt(Math.min(maxPiece, 1 << 16))));
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }
}
