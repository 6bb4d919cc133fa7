// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineInputTest {

    /** Delivers the input in the given pieces, one per read call, as a socket might. */
    static InputStream pieces(byte[] data, int... cuts) {
        return new InputStream() {
            int pos = 0;
            int cut = 0;

            @Override public int read() { throw new UnsupportedOperationException(); }

            @Override public int read(byte[] b, int off, int len) {
                if (pos >= data.length) return -1;
                int end = cut < cuts.length ? cuts[cut++] : data.length;
                int n = Math.min(len, Math.max(1, end - pos));
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    static byte[] ascii(String s) { return s.getBytes(StandardCharsets.ISO_8859_1); }

    /** Reads every line, recording exceptions as "!" + class name, until EOF. */
    static List<String> readAll(LineInput in, int max, boolean allowNul) throws IOException {
        List<String> out = new ArrayList<>();
        while (true) {
            try {
                Line line = in.readLine(max, allowNul);
                out.add(new String(line.bytes(), StandardCharsets.ISO_8859_1) + (line.crlf() ? "<CRLF>" : "<LF>"));
            } catch (ProtocolInputException e) {
                out.add("!" + e.getClass().getSimpleName());
            } catch (EOFException e) {
                return out;
            }
        }
    }

    @Test
    void sameLinesWhateverTheInputIsSplitAt() throws IOException {
        byte[] data = ascii("a1 LOGIN x y\r\nbare lf\n\r\nCR\rinside\r\ntoo long line here\r\nnul\0here\nlast\r\n");
        List<String> expected = List.of("a1 LOGIN x y<CRLF>", "bare lf<LF>", "<CRLF>", "CR\rinside<CRLF>",
                "!LineTooLongException", "!NulInLineException", "last<CRLF>");
        assertThat(readAll(new LineInput(new ByteArrayInputStream(data), 64), 12, false)).isEqualTo(expected);
        for (int i = 1; i < data.length; i++) {
            for (int j = i + 1; j <= data.length; j += 7) {
                // Tiny buffer too, so lines span refills.
                List<String> got = readAll(new LineInput(pieces(data, i, j), 5), 12, false);
                assertThat(got).as("split at %d and %d", i, j).isEqualTo(expected);
            }
        }
    }

    @Test
    void lineLengthLimitIsExclusiveOfTheTerminator() throws IOException {
        int max = 100;
        for (boolean crlf : new boolean[] {true, false}) {
            String end = crlf ? "\r\n" : "\n";
            String data = "x".repeat(max - 1) + end + "y".repeat(max) + end + "z".repeat(max + 1) + end + "ok" + end;
            LineInput in = new LineInput(new ByteArrayInputStream(ascii(data)), 7);
            assertThat(in.readCommandLine(max)).hasSize(max - 1);
            assertThat(in.readCommandLine(max)).hasSize(max);
            assertThatThrownBy(() -> in.readCommandLine(max)).isInstanceOf(LineTooLongException.class);
            // The too-long line was skipped entirely: the next read is in sync.
            assertThat(new String(in.readCommandLine(max), StandardCharsets.US_ASCII)).isEqualTo("ok");
        }
    }

    @Test
    void aHugeLineIsSkippedWithoutKeepingIt() throws IOException {
        byte[] data = ascii("A".repeat(5_000_000) + "\r\nNEXT\r\n");
        LineInput in = new LineInput(new ByteArrayInputStream(data), 1024);
        assertThatThrownBy(() -> in.readCommandLine(1000)).isInstanceOf(LineTooLongException.class);
        assertThat(in.readCommandLine(1000)).isEqualTo(ascii("NEXT"));
    }

    @Test
    void theLargestLimitWorksAndNonsenseIsRefused() throws IOException {
        LineInput in = new LineInput(new ByteArrayInputStream(ascii("ok\r\n")), 16);
        assertThat(in.readLine(LineInput.MAX_LINE, false)).isEqualTo(new Line(ascii("ok"), true));
        assertThatThrownBy(() -> in.readLine(Integer.MAX_VALUE, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> in.readLine(-1, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nulIsAllowedInDataLines() throws IOException {
        LineInput in = new LineInput(new ByteArrayInputStream(ascii("a\0b\r\n")), 16);
        assertThat(in.readLine(10, true)).isEqualTo(new Line(ascii("a\0b"), true));
    }

    @Test
    void endOfInputInTheMiddleOfALineIsAnEof() {
        LineInput in = new LineInput(new ByteArrayInputStream(ascii("partial")), 16);
        assertThatThrownBy(() -> in.readCommandLine(100)).isInstanceOf(EOFException.class).hasMessageContaining("middle");
    }

    @Test
    void readExactlyCopiesAcrossBufferRefillsAndLeavesTheRest() throws IOException {
        byte[] data = ascii("0123456789abcdef\r\nNEXT\r\n");
        for (int cut = 1; cut < data.length; cut++) {
            LineInput in = new LineInput(pieces(data, cut), 4);
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            in.readExactly(16, sink);
            assertThat(sink.toString(StandardCharsets.US_ASCII)).isEqualTo("0123456789abcdef");
            assertThat(in.readCommandLine(10)).isEmpty();
            assertThat(in.readCommandLine(10)).isEqualTo(ascii("NEXT"));
        }
    }

    @Test
    void readExactlyFailsWhenTheClientHangsUpEarly() {
        LineInput in = new LineInput(new ByteArrayInputStream(ascii("short")), 4);
        assertThatThrownBy(() -> in.readExactly(10, new ByteArrayOutputStream()))
                .isInstanceOf(EOFException.class).hasMessageContaining("5 of 10");
    }

    @Test
    void aSocketTimeoutSurfacesAsIdleTimeout() {
        InputStream silent = new InputStream() {
            @Override public int read() throws IOException { throw new SocketTimeoutException("Read timed out"); }

            @Override public int read(byte[] b, int off, int len) throws IOException { return read(); }
        };
        LineInput in = new LineInput(silent, 16);
        assertThatThrownBy(() -> in.readCommandLine(10)).isInstanceOf(IdleTimeoutException.class);
    }

    @Test
    void takeBufferedReturnsWhatWasReceivedButNotRead() throws IOException {
        LineInput in = new LineInput(new ByteArrayInputStream(ascii("STARTTLS\r\nNOOP\r\n")), 64);
        assertThat(in.readCommandLine(100)).isEqualTo(ascii("STARTTLS"));
        assertThat(in.buffered()).isEqualTo(6);
        assertThat(in.takeBuffered()).isEqualTo(ascii("NOOP\r\n"));
        assertThat(in.buffered()).isZero();
    }

    @Test
    void theBufferGrowsForBulkDataAndShrinksBackWhenTheConnectionGoesQuiet() throws IOException {
        byte[] literal = new byte[64 * 1024];
        java.util.Arrays.fill(literal, (byte) 'x');
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(ascii("a APPEND INBOX {65536}\r\n"));
        all.writeBytes(literal);
        all.writeBytes(ascii("\r\nb IDLE\r\n"));
        int afterLiteral = all.size() - ascii("b IDLE\r\n").length;
        // A socket that has the literal ready in bulk, then a short command, then silence.
        byte[] data = all.toByteArray();
        InputStream socket = new InputStream() {
            int pos = 0;

            @Override public int read() { throw new UnsupportedOperationException(); }

            @Override public int read(byte[] b, int off, int len) {
                if (pos >= data.length) return -1;
                int end = pos < afterLiteral ? afterLiteral : data.length;
                int n = Math.min(len, end - pos);
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
        LineInput in = new LineInput(socket, 16 * 1024);
        assertThat(in.bufferSize()).isEqualTo(LineInput.IDLE_BUFFER);

        assertThat(in.readCommandLine(1000)).isEqualTo(ascii("a APPEND INBOX {65536}"));
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        in.readExactly(literal.length, body);
        assertThat(body.toByteArray()).isEqualTo(literal);
        assertThat(in.bufferSize()).as("grown while the literal streamed").isEqualTo(16 * 1024);

        assertThat(in.readCommandLine(1000)).isEmpty(); // the CRLF that ends the APPEND line
        assertThat(in.readCommandLine(1000)).isEqualTo(ascii("b IDLE"));
        assertThatThrownBy(() -> in.readCommandLine(1000)).isInstanceOf(EOFException.class);
        assertThat(in.bufferSize()).as("the blocking read after a short command").isEqualTo(LineInput.IDLE_BUFFER);
    }

    @Test
    void everyLineSurvivesTheBufferChangingSizeUnderIt() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2000; i++) text.append("line ").append(i).append(i % 7 == 0 ? "\n" : "\r\n");
        byte[] data = ascii(text.toString());
        List<String> expected = readAll(new LineInput(new ByteArrayInputStream(data), data.length + 1), 100, false);
        for (int cut : new int[] {1, 7, 255, 256, 257, 1000, 4096}) {
            int[] cuts = new int[data.length / cut + 1];
            for (int i = 0; i < cuts.length; i++) cuts[i] = Math.min(data.length, (i + 1) * cut);
            assertThat(readAll(new LineInput(pieces(data, cuts), 16 * 1024), 100, false)).as("cut " + cut).isEqualTo(expected);
        }
        assertThat(expected).hasSize(2000);
    }

    @Test
    void aLiteralReadWholeIntoItsArrayKeepsTheStreamInStepWhateverTheSplit() throws IOException {
        byte[] literal = new byte[40_000];
        for (int i = 0; i < literal.length; i++) literal[i] = (byte) (i * 31);
        byte[] head = ascii("a1 APPEND INBOX {40000}\r\n");
        byte[] tail = ascii(")\r\na2 NOOP\r\n");
        byte[] data = new byte[head.length + literal.length + tail.length];
        System.arraycopy(head, 0, data, 0, head.length);
        System.arraycopy(literal, 0, data, head.length, literal.length);
        System.arraycopy(tail, 0, data, head.length + literal.length, tail.length);
        for (int cut : new int[] {1, head.length, head.length + 3, head.length + 20_000, data.length - 5}) {
            LineInput in = new LineInput(pieces(data, cut, cut + 300), 16 * 1024);
            assertThat(in.readCommandLine(100)).isEqualTo(ascii("a1 APPEND INBOX {40000}"));
            byte[] into = new byte[literal.length];
            in.readFully(into);
            assertThat(into).as("cut at %d", cut).isEqualTo(literal);
            assertThat(in.readCommandLine(100)).isEqualTo(ascii(")"));
            assertThat(in.readCommandLine(100)).isEqualTo(ascii("a2 NOOP"));
            assertThat(in.bufferSize()).as("the buffer did not grow for octets read past it").isLessThan(16 * 1024);
        }
    }

    @Test
    void aLiteralCutShortByTheClientIsAnEndOfFileNotAShortArray() throws IOException {
        LineInput in = new LineInput(new ByteArrayInputStream(ascii("12345")), 64);
        assertThatThrownBy(() -> in.readFully(new byte[6])).isInstanceOf(EOFException.class).hasMessageContaining("1 of 6");
    }
}
