// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.client;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The bytes under {@link ImapResponseReader}: a buffer over a blocking stream that counts what
 * one response spends outside literals, and reads literals whose length was checked first. A
 * response may arrive in any number of pieces; nothing here depends on where they split.
 */
final class ResponseInput {
    static final int EOF = -1;

    private final InputStream in;
    private final int maxLineLength;
    private final byte[] buffer = new byte[16 * 1024];
    private int position;
    private int end;
    private int lineBytes;
    private long bytesRead;

    ResponseInput(InputStream in, int maxLineLength) {
        this.in = in;
        this.maxLineLength = maxLineLength;
    }

    long bytesRead() {
        return bytesRead;
    }

    /** A new response starts: its line budget is whole again. */
    void startResponse() {
        lineBytes = 0;
    }

    int peek() throws IOException {
        if (position == end && !fill()) {
            return EOF;
        }
        return buffer[position] & 0xff;
    }

    int next() throws IOException {
        if (position == end && !fill()) {
            throw new EOFException("connection closed inside a response");
        }
        if (++lineBytes > maxLineLength) {
            throw tooLong();
        }
        return buffer[position++] & 0xff;
    }

    /** Gives back the byte {@link #next} just returned (always still in the buffer). */
    void unread() {
        position--;
        lineBytes--;
    }

    void expect(char wanted) throws IOException {
        int c = next();
        if (c != wanted) {
            throw error("expected " + describe(wanted) + ", got " + describe(c));
        }
    }

    void space() throws IOException {
        expect(' ');
    }

    void crlf() throws IOException {
        expect('\r');
        expect('\n');
    }

    long number() throws IOException {
        long value = 0;
        int digits = 0;
        while (isDigit(peek())) {
            value = value * 10 + (next() - '0');
            if (++digits > 18) {
                throw error("number too long");
            }
        }
        if (digits == 0) {
            throw error("expected a number, got " + describe(peek()));
        }
        return value;
    }

    /**
     * An atom. Flags such as {@code \Seen} and {@code \*} and mailbox names with {@code %}
     * are read as atoms too; inside a response code {@code ]} ends it.
     */
    String atom(boolean inCode) throws IOException {
        // Fast path: the whole atom is in the buffer (almost always).
        int stop = position;
        while (stop < end && isAtomChar(buffer[stop] & 0xff, inCode)) {
            stop++;
        }
        if (stop < end && stop > position) {
            int length = stop - position;
            if (lineBytes + length > maxLineLength) {
                throw tooLong();
            }
            String atom = new String(buffer, position, length, StandardCharsets.ISO_8859_1);
            position = stop;
            lineBytes += length;
            return atom;
        }
        StringBuilder atom = new StringBuilder();
        int c;
        while ((c = peek()) != EOF && isAtomChar(c, inCode)) {
            atom.append((char) next());
        }
        if (atom.isEmpty()) {
            throw error(c == EOF ? "connection closed inside a response" : "expected an atom, got " + describe(c));
        }
        return atom.toString();
    }

    private static boolean isAtomChar(int c, boolean inCode) {
        return c > ' ' && c != 0x7f && c != '(' && c != ')' && c != '{' && c != '"' && c != '[' && !(inCode && c == ']');
    }

    /** A quoted string after its opening quote; only {@code \"} and {@code \\} may be escaped (RFC 9051 section 9). */
    byte[] quotedRest() throws IOException {
        var out = new ByteArrayOutputStream();
        while (true) {
            int c = next();
            switch (c) {
                case '"' -> {
                    return out.toByteArray();
                }
                case '\\' -> {
                    int escaped = next();
                    if (escaped != '"' && escaped != '\\') {
                        throw error("bad escape in quoted string");
                    }
                    out.write(escaped);
                }
                case '\r', '\n' -> throw error("line end inside a quoted string");
                default -> out.write(c);
            }
        }
    }

    /** resp-text up to (not including) CRLF. */
    String text() throws IOException {
        var out = new ByteArrayOutputStream();
        int c;
        while ((c = peek()) != '\r') {
            if (c == EOF) {
                throw new EOFException("connection closed inside a response");
            }
            if (c == '\n') {
                throw error("bare LF in response text");
            }
            out.write(next());
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A literal's n bytes, held; the caller checked n against its limit. */
    byte[] literal(int length) throws IOException {
        byte[] bytes = new byte[length];
        int filled = Math.min(end - position, length);
        System.arraycopy(buffer, position, bytes, 0, filled);
        position += filled;
        while (filled < length) {
            int n = in.read(bytes, filled, length - filled);
            if (n < 0) {
                throw new EOFException("connection closed inside a literal");
            }
            bytesRead += n;
            filled += n;
        }
        return bytes;
    }

    /** A literal's n bytes fed to {@code digest} as they arrive: a body of any size is never held. */
    void literal(long length, MessageDigest digest) throws IOException {
        long left = length;
        while (left > 0) {
            if (position == end && !fill()) {
                throw new EOFException("connection closed inside a literal");
            }
            int n = (int) Math.min(end - position, left);
            digest.update(buffer, position, n);
            position += n;
            left -= n;
        }
    }

    private boolean fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        if (n <= 0) {
            return false;
        }
        bytesRead += n;
        position = 0;
        end = n;
        return true;
    }

    private ImapProtocolException tooLong() {
        return error("response longer than " + maxLineLength + " bytes outside literals");
    }

    static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    static String describe(int c) {
        return switch (c) {
            case EOF -> "end of stream";
            case '\r' -> "CR";
            case '\n' -> "LF";
            default -> c >= ' ' && c < 0x7f ? "'" + (char) c + "'" : String.format("byte 0x%02x", c);
        };
    }

    static ImapProtocolException error(String message) {
        return new ImapProtocolException(message);
    }
}
