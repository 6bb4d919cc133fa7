// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The shared line reader against a model of its contract: whatever the client sends and however
 * the network splits it, the same lines, the same refusals (too long, NUL) and the same literal
 * octets come out, and the buffer never grows past its size. A line ending in {@code {N}} with
 * N ≤ 64 is followed by N octets read with readExactly, as IMAP literals and BDAT chunks are.
 */
class LineInputFuzzTest {
    private static final int MAX_LINE = 40;

    @FuzzTest
    void linesSplitAnywhere(byte[] data) throws IOException {
        List<String> expected = model(data, MAX_LINE);
        Random cuts = new Random(Arrays.hashCode(data));
        for (int bufferSize : new int[] {1, 7, 64, 4096}) {
            for (int maxPiece : new int[] {1, 3, 1 << 20}) {
                LineInput in = new LineInput(pieces(data, cuts, maxPiece), bufferSize);
                assertThat(read(in, MAX_LINE, bufferSize)).as("buffer %d, pieces up to %d", bufferSize, maxPiece).isEqualTo(expected);
            }
        }
    }

    /** What the reader must return, computed naively from the whole input. */
    private static List<String> model(byte[] data, int max) {
        List<String> out = new ArrayList<>();
        int pos = 0;
        while (true) {
            int lf = indexOf(data, (byte) '\n', pos);
            if (lf < 0) {
                out.add("EOF");
                return out;
            }
            int end = lf;
            boolean crlf = end > pos && data[end - 1] == '\r';
            if (crlf) end--;
            byte[] line = Arrays.copyOfRange(data, pos, end);
            pos = lf + 1;
            if (line.length > max) out.add("TOO LONG");
            else if (indexOf(line, (byte) 0, 0) >= 0) out.add("NUL");
            else {
                out.add(text(line) + (crlf ? "<CRLF>" : "<LF>"));
                int n = literalSize(line);
                if (n >= 0) {
                    if (pos + n > data.length) {
                        out.add("EOF");
                        return out;
                    }
                    out.add("literal " + text(Arrays.copyOfRange(data, pos, pos + n)));
                    pos += n;
                }
            }
        }
    }

    private static List<String> read(LineInput in, int max, int bufferSize) throws IOException {
        List<String> out = new ArrayList<>();
        while (true) {
            try {
                Line line = in.readLine(max, false);
                assertThat(line.length()).isLessThanOrEqualTo(max);
                out.add(text(line.bytes()) + (line.crlf() ? "<CRLF>" : "<LF>"));
                int n = literalSize(line.bytes());
                if (n >= 0) {
                    ByteArrayOutputStream literal = new ByteArrayOutputStream();
                    in.readExactly(n, literal);
                    out.add("literal " + text(literal.toByteArray()));
                }
            } catch (LineTooLongException e) {
                out.add("TOO LONG");
            } catch (NulInLineException e) {
                out.add("NUL");
            } catch (EOFException e) {
                out.add("EOF");
                return out;
            } finally {
                assertThat(in.bufferSize()).isLessThanOrEqualTo(bufferSize);
            }
        }
    }

    /** N for a line ending in {N} with N ≤ 64, else -1. */
    private static int literalSize(byte[] line) {
        int n = line.length;
        if (n < 3 || line[n - 1] != '}') return -1;
        int open = n - 2;
        while (open >= 0 && line[open] >= '0' && line[open] <= '9') open--;
        if (open < 0 || line[open] != '{' || open == n - 2 || n - 2 - open > 2) return -1;
        int size = Integer.parseInt(new String(line, open + 1, n - 2 - open, StandardCharsets.US_ASCII));
        return size <= 64 ? size : -1;
    }

    /** The input in pieces of 1..maxPiece octets, one per read call, as a socket might deliver it. */
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

    private static int indexOf(byte[] b, byte v, int from) {
        for (int i = from; i < b.length; i++) if (b[i] == v) return i;
        return -1;
    }

    private static String text(byte[] b) { return new String(b, StandardCharsets.ISO_8859_1); }
}
