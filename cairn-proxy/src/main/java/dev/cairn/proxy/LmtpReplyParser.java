// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Server replies as an LMTP client reads them (RFC 5321 §4.2): {@code code SP text} or
 * {@code code} alone ends a reply, {@code code - text} continues it with the same code. Fed
 * whatever the socket gave, split anywhere; a reply is complete at its last line's end. Lines
 * end in CRLF (a bare LF is taken as well). Bounded: a line longer than {@code maxLineLength}
 * octets or a reply of more than {@code maxLines} lines is a {@link MalformedReplyException}.
 */
final class LmtpReplyParser {
    /** One complete reply: its code and the text of each line (control characters replaced by '?'). */
    record Reply(int code, List<String> texts) {
        Reply {
            texts = List.copyOf(texts);
        }

        boolean positive() { return code / 100 == 2; }

        /** One line for our own client: the code and the texts joined (RFC 2033 §4.2 wants one reply line per recipient). */
        String line() {
            String text = String.join(" ", texts.stream().filter(t -> !t.isEmpty()).toList());
            return text.isEmpty() ? Integer.toString(code) : code + " " + text;
        }
    }

    static final class MalformedReplyException extends Exception {
        MalformedReplyException(String message) { super(message); }
    }

    private final int maxLineLength;
    private final int maxLines;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final List<String> texts = new ArrayList<>();
    private int code = -1;
    private final ArrayDeque<Reply> complete = new ArrayDeque<>();
    private String broken;

    LmtpReplyParser(int maxLineLength, int maxLines) {
        this.maxLineLength = maxLineLength;
        this.maxLines = maxLines;
    }

    /** Takes octets in; once a reply was malformed every later call throws. */
    void feed(byte[] b, int off, int len) throws MalformedReplyException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (broken != null) throw new MalformedReplyException(broken);
        for (int i = off; i < off + len; i++) {
            if (b[i] == '\n') {
                byte[] raw = line.toByteArray();
                line.reset();
                int end = raw.length > 0 && raw[raw.length - 1] == '\r' ? raw.length - 1 : raw.length;
                endOfLine(raw, end);
            } else if (line.size() >= maxLineLength + 1) { // room for the CR
                throw fail("a reply line longer than " + maxLineLength + " octets");
            } else {
                line.write(b[i]);
            }
        }
    }

    /** The oldest complete reply not yet taken, or null. */
    Reply poll() { return complete.poll(); }

    private void endOfLine(byte[] raw, int end) throws MalformedReplyException {
        if (end < 3 || !digit(raw[0], '2', '5') || !digit(raw[1], '0', '5') || !digit(raw[2], '0', '9')
                || (end > 3 && raw[3] != ' ' && raw[3] != '-')) {
            throw fail("not a reply line: " + printable(raw, 0, Math.min(end, 40)));
        }
        int lineCode = (raw[0] - '0') * 100 + (raw[1] - '0') * 10 + (raw[2] - '0');
        if (code != -1 && lineCode != code) throw fail("reply code " + lineCode + " continues a " + code + " reply");
        if (texts.size() == maxLines) throw fail("a reply of more than " + maxLines + " lines");
        code = lineCode;
        texts.add(end > 4 ? printable(raw, 4, end) : "");
        if (end == 3 || raw[3] == ' ') {
            complete.add(new Reply(code, texts));
            texts.clear();
            code = -1;
        }
    }

    private static boolean digit(byte b, char low, char high) { return b >= low && b <= high; }

    /** UTF-8 text (RFC 6531 replies may carry it) with control characters made visible as '?'. */
    private static String printable(byte[] raw, int from, int to) {
        String s = new String(raw, from, to - from, StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> out.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
        return out.toString();
    }

    private MalformedReplyException fail(String why) {
        broken = why;
        line.reset();
        return new MalformedReplyException(why);
    }
}
