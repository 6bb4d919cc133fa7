// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

/** A command that does not parse; {@code reply} is the complete reply line to send. */
public final class LmtpSyntaxException extends Exception {
    private final String reply;

    public LmtpSyntaxException(String reply) {
        super(reply);
        this.reply = reply;
    }

    public String reply() { return reply; }
}
