// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.lmtp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads replies strictly (RFC 5321 section 4.2): every line is {@code ddd-text} or
 * {@code ddd text} (or bare {@code ddd}) ending in CRLF, all lines of one reply carry the
 * same code, and lines and replies are bounded.
 */
public final class LmtpReplyReader {

    static final int MAX_LINE = 4096;
    static final int MAX_LINES = 200;

    private final InputStream in;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int end;

    public LmtpReplyReader(InputStream in) {
        this.in = in;
    }

    public LmtpReply read() throws IOException {
        List<String> lines = new ArrayList<>();
        int code = -1;
        while (true) {
            String line = line();
            if (line.length() < 3 || !Character.isDigit(line.charAt(0)) || !Character.isDigit(line.charAt(1))
                    || !Character.isDigit(line.charAt(2))) {
                throw new LmtpProtocolException("reply line without a code: " + line);
            }
            int lineCode = Integer.parseInt(line.substring(0, 3));
            if (lineCode < 200 || lineCode > 599) {
                throw new LmtpProtocolException("reply code out of range: " + line);
            }
            if (code >= 0 && lineCode != code) {
                throw new LmtpProtocolException("multi-line reply changes its code: " + code + " then " + line);
            }
            code = lineCode;
            boolean more = line.length() > 3 && line.charAt(3) == '-';
            if (line.length() > 3 && line.charAt(3) != '-' && line.charAt(3) != ' ') {
                throw new LmtpProtocolException("code not followed by space or '-': " + line);
            }
            lines.add(line.length() > 4 ? line.substring(4) : "");
            if (!more) {
                return new LmtpReply(code, List.copyOf(lines));
            }
            if (lines.size() >= MAX_LINES) {
                throw new LmtpProtocolException("reply of more than " + MAX_LINES + " lines");
            }
        }
    }

    private String line() throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        while (true) {
            if (position == end) {
                int n = in.read(buffer);
                if (n < 0) {
                    throw new EOFException("server closed the connection");
                }
                position = 0;
                end = n;
            }
            int c = buffer[position++] & 0xff;
            if (c == '\n') {
                throw new LmtpProtocolException("bare LF in reply");
            }
            if (c == '\r') {
                if (position == end) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        throw new EOFException("server closed the connection");
                    }
                    position = 0;
                    end = n;
                }
                if (buffer[position++] != '\n') {
                    throw new LmtpProtocolException("CR not followed by LF in reply");
                }
                return out.toString(StandardCharsets.UTF_8);
            }
            if (out.size() >= MAX_LINE) {
                throw new LmtpProtocolException("reply line longer than " + MAX_LINE + " bytes");
            }
            out.write(c);
        }
    }
}
