// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One line as read from the wire, without its terminator.
 *
 * @param bytes the content, terminator removed
 * @param crlf  true when the line ended with CRLF, false when with a bare LF; message bodies
 *              (LMTP DATA) care, commands do not
 */
public record Line(byte[] bytes, boolean crlf) {
    public int length() { return bytes.length; }

    /** The content as text; mail commands are ASCII with UTF-8 allowed in some arguments. */
    public String text() { return new String(bytes, StandardCharsets.UTF_8); }

    @Override public boolean equals(Object o) {
        return o instanceof Line l && crlf == l.crlf && Arrays.equals(bytes, l.bytes);
    }

    @Override public int hashCode() { return Arrays.hashCode(bytes) * 31 + Boolean.hashCode(crlf); }

    @Override public String toString() { return text() + (crlf ? "\\r\\n" : "\\n"); }
}
