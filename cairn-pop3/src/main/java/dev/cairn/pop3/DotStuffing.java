// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Writes a stored message as a POP3 multi-line response body (RFC 1939 §3: byte-stuffing). */
final class DotStuffing {
    private DotStuffing() {}

    /**
     * Copies {@code in} to {@code out}, doubling a '.' at the start of every line, and ends with
     * CRLF if the message does not. With {@code maxBodyLines} ≥ 0 (TOP, RFC 1939 §7) it stops
     * after the header, the empty line, and that many body lines. The terminating ".\r\n" is the
     * caller's.
     */
    static void copy(InputStream in, OutputStream out, long maxBodyLines) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        boolean atLineStart = true;
        boolean lineEmpty = true;
        boolean inHeader = true;
        long bodyLines = 0;
        int n;
        outer:
        while ((n = in.read(buffer)) > 0) {
            int segment = 0;
            for (int i = 0; i < n; i++) {
                if (maxBodyLines >= 0 && !inHeader && bodyLines >= maxBodyLines) {
                    out.write(buffer, segment, i - segment);
                    atLineStart = true;
                    break outer;
                }
                byte b = buffer[i];
                if (atLineStart && b == '.') {
                    out.write(buffer, segment, i - segment);
                    out.write('.');
                    segment = i; // the original dot goes out with the next segment
                }
                if (b == '\n') {
                    if (inHeader && lineEmpty) inHeader = false;
                    else if (!inHeader) bodyLines++;
                    atLineStart = true;
                    lineEmpty = true;
                } else {
                    atLineStart = false;
                    if (b != '\r') lineEmpty = false;
                }
            }
            out.write(buffer, segment, n - segment);
        }
        if (!atLineStart) out.write(new byte[] {'\r', '\n'});
    }
}
