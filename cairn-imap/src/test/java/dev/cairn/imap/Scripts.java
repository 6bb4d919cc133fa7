// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.nio.charset.StandardCharsets;

/** Pieces of {@link Conversation} scripts that would be tedious to count by hand. */
final class Scripts {
    private Scripts() {}

    /**
     * APPEND of a message given as lines (joined with CRLF), with an INTERNALDATE if not null, as
     * script lines: the command with a non-synchronising literal of the right size, the message, and
     * the OK expected.
     */
    static String append(String tag, String mailbox, String internalDate, String... lines) {
        String message = String.join("<CRLF>", lines);
        int size = message.replace("<CRLF>", "\r\n").getBytes(StandardCharsets.UTF_8).length;
        return "C: " + tag + " APPEND " + mailbox + (internalDate != null ? " \"" + internalDate + "\"" : "") + " {" + size + "+}\n"
                + "C: " + message + "\n"
                + "S~ " + tag + " OK .*\n";
    }
}
