// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;

/**
 * RETR and TOP output (RFC 1939 §3 byte-stuffing, §7 TOP): whatever a stored message holds and
 * however the store's stream returns it, the response body cannot end the response early (no line
 * is a lone "."), un-stuffing it gives the message back (plus a final CRLF), TOP stops after the
 * header and the asked number of body lines, and the output does not depend on read sizes.
 */
class DotStuffingFuzzTest {
    @FuzzTest
    void copy(byte[] message) throws IOException {
        byte[] whole = copy(message, Integer.MAX_VALUE, -1);
        assertThat(unstuff(whole)).isEqualTo(withFinalCrlf(message));
        Random cuts = new Random(Arrays.hashCode(message));
        assertThat(copy(message, 1 + cuts.nextInt(7), -1)).isEqualTo(whole);
        long topLines = message.length == 0 ? 0 : message[0] & 0x0f;
        byte[] top = copy(message, Integer.MAX_VALUE, topLines);
        assertThat(copy(message, 1 + cuts.nextInt(7), topLines)).isEqualTo(top);
        byte[] unstuffedTop = unstuff(top);
        assertThat(bodyLines(unstuffedTop)).isLessThanOrEqualTo(topLines);
        // TOP's text is the message's own beginning
        byte[] original = withFinalCrlf(message);
        int same = unstuffedTop.length >= 2 ? unstuffedTop.length - 2 : 0;
        assertThat(Arrays.copyOf(unstuffedTop, same)).isEqualTo(Arrays.copyOf(original, same));
    }

    private static byte[] copy(byte[] message, int maxRead, long topLines) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DotStuffing.copy(reads(message, maxRead), out, topLines);
        byte[] b = out.toByteArray();
        // the caller sends ".\r\n" next: nothing before it may already be the terminator line
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '.' && (i == 0 || b[i - 1] == '\n')) {
                assertThat(i + 1 < b.length && b[i + 1] == '.').as("undoubled dot at %d", i).isTrue();
                i++;
            }
        }
        return b;
    }

    /** What a client does (RFC 1939 §3): removes one leading dot from each line. */
    private static byte[] unstuff(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '.' && (i == 0 || b[i - 1] == '\n')) continue;
            out.write(b[i]);
        }
        return out.toByteArray();
    }

    private static byte[] withFinalCrlf(byte[] message) {
        if (message.length == 0 || message[message.length - 1] == '\n') return message;
        byte[] b = Arrays.copyOf(message, message.length + 2);
        b[message.length] = '\r';
        b[message.length + 1] = '\n';
        return b;
    }

    /** Lines after the first empty one (the end of the header). */
    private static long bodyLines(byte[] b) {
        long lines = 0;
        boolean inHeader = true, lineEmpty = true;
        for (byte c : b) {
            if (c == '\n') {
                if (inHeader && lineEmpty) inHeader = false;
                else if (!inHeader) lines++;
                lineEmpty = true;
            } else if (c != '\r') {
                lineEmpty = false;
            }
        }
        return lines;
    }

    /** The message in reads of at most maxRead octets, as a stream from the store may return it. */
    private static InputStream reads(byte[] data, int maxRead) {
        return new InputStream() {
            int pos;

            @Override public int read() { throw new UnsupportedOperationException("DotStuffing reads arrays"); }

            @Override public int read(byte[] b, int off, int len) {
                if (pos >= data.length) return -1;
                int n = Math.min(Math.min(len, maxRead), data.length - pos);
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }
}
