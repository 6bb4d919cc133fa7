// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Writes responses: atoms, quoted strings or literals as each value needs (RFC 9051 §4.3), and
 * mailbox names in modified UTF-7 or UTF-8 by the session's mode. The output stream is asked for
 * at every write because STARTTLS and COMPRESS replace it.
 */
public final class ResponseWriter {
    private static final int MAX_QUOTED = 1024;
    private final Supplier<OutputStream> output;
    private boolean utf8;

    public ResponseWriter(Supplier<OutputStream> output) { this.output = output; }

    /** UTF-8 in quoted strings and mailbox names (IMAP4rev2, UTF8=ACCEPT). */
    public void setUtf8(boolean utf8) { this.utf8 = utf8; }

    public boolean utf8() { return utf8; }

    public ResponseWriter raw(String ascii) throws IOException {
        output.get().write(ascii.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    public ResponseWriter raw(byte[] bytes) throws IOException {
        output.get().write(bytes);
        return this;
    }

    public ResponseWriter sp() throws IOException {
        output.get().write(' ');
        return this;
    }

    public ResponseWriter number(long n) throws IOException { return raw(Long.toString(n)); }

    public void crlf() throws IOException {
        OutputStream o = output.get();
        o.write('\r');
        o.write('\n');
    }

    public void line(String text) throws IOException {
        raw(text);
        crlf();
    }

    public void flush() throws IOException { output.get().flush(); }

    /** A string as quoted when it can be (short, no CR/LF/NUL, 7-bit unless UTF-8 is on), else a literal; NIL for null. */
    public ResponseWriter string(String s) throws IOException {
        if (s == null) return raw("NIL");
        if (quotable(s)) {
            StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') sb.append('\\');
                sb.append(c);
            }
            return raw(sb.append('"').toString());
        }
        return literal(s.getBytes(StandardCharsets.UTF_8));
    }

    /** An atom when the value is one, else as {@link #string}. */
    public ResponseWriter astring(String s) throws IOException {
        return s != null && Syntax.isAtom(s) ? raw(s) : string(s);
    }

    public ResponseWriter mailbox(String name) throws IOException {
        return string(utf8 ? name : ModifiedUtf7.encode(name));
    }

    public ResponseWriter literal(byte[] bytes) throws IOException {
        raw("{" + bytes.length + "}\r\n");
        return raw(bytes);
    }

    /** A literal of {@code length} octets of an array the caller holds already: written from it, not copied. */
    public ResponseWriter literal(byte[] bytes, int offset, int length, boolean binary) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        raw((binary ? "~{" : "{") + length + "}\r\n");
        output.get().write(bytes, offset, length);
        return this;
    }

    /** A literal of exactly {@code size} octets copied from {@code in} (streamed, not buffered whole). */
    public ResponseWriter literal(InputStream in, long size, boolean binary) throws IOException {
        raw((binary ? "~{" : "{") + size + "}\r\n");
        OutputStream o = output.get();
        byte[] buf = new byte[8192];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                // the stored body is shorter than its record says: pad so the client stays in step
                while (left-- > 0) o.write(' ');
                break;
            }
            o.write(buf, 0, n);
            left -= n;
        }
        return this;
    }

    private boolean quotable(String s) {
        if (s.length() > MAX_QUOTED) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) return false;
            if (c >= 0x80 && !utf8) return false;
        }
        return true;
    }
}
