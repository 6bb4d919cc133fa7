// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The back-end's lines during a front-end's login (greeting, STARTTLS, ID, AUTHENTICATE): bounded
 * like a client's, since a back-end in trouble (or not a Cairn node at all) may send anything.
 * After the login {@link #rest} hands over what was read past the last line with the stream.
 */
final class BackendLines {
    /** Longer than any greeting or login reply of ours (their CAPABILITY lists are under 1 KiB). */
    static final int MAX_LINE = 8 * 1024;

    private final InputStream in;
    private final byte[] buffer = new byte[MAX_LINE];
    private int position, limit;

    BackendLines(InputStream in) { this.in = in; }

    /** The next line without its CRLF; an IOException when the back-end closes or the line is too long. */
    String readLine() throws IOException {
        int scanned = position;
        while (true) {
            for (; scanned < limit; scanned++) {
                if (buffer[scanned] == '\n') {
                    int end = scanned > position && buffer[scanned - 1] == '\r' ? scanned - 1 : scanned;
                    String line = new String(buffer, position, end - position, StandardCharsets.UTF_8);
                    position = scanned + 1;
                    return line;
                }
            }
            if (position > 0) { // make room at the end
                System.arraycopy(buffer, position, buffer, 0, limit - position);
                scanned -= position;
                limit -= position;
                position = 0;
            }
            if (limit == buffer.length) throw new IOException("back-end line longer than " + MAX_LINE + " octets");
            int n = in.read(buffer, limit, buffer.length - limit);
            if (n < 0) throw new IOException("back-end closed the connection during the login");
            limit += n;
        }
    }

    /** Octets read but not consumed; none may be left when the stream below is replaced (STARTTLS). */
    boolean hasBuffered() { return position < limit; }

    /** The back-end's stream from here on: what was read past the last line, then the socket's. */
    InputStream rest() {
        if (position == limit) return in;
        return new SequenceInputStream(new ByteArrayInputStream(Arrays.copyOfRange(buffer, position, limit)), in);
    }
}
