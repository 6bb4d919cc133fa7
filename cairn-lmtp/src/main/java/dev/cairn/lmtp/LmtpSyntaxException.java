// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

/**
 * A command that does not parse; {@code reply} is the complete reply line to send. Replies quote
 * pieces of the command (a parameter name), so the reply is made a valid reply line here: text is
 * tab and printable ASCII (RFC 5321 §4.2, textstring), anything else becomes '?', and the line
 * stops at 510 octets, 512 with its CRLF (§4.5.3.1.5).
 */
public final class LmtpSyntaxException extends Exception {
    static final int MAX_REPLY = 510;
    private final String reply;

    public LmtpSyntaxException(String reply) {
        super(replyLine(reply));
        this.reply = getMessage();
    }

    public String reply() { return reply; }

    private static String replyLine(String text) {
        StringBuilder line = new StringBuilder(Math.min(text.length(), MAX_REPLY));
        for (int i = 0; i < text.length() && line.length() < MAX_REPLY; i++) {
            char c = text.charAt(i);
            line.append(c == '\t' || (c >= 0x20 && c <= 0x7e) ? c : '?');
        }
        return line.toString();
    }
}
