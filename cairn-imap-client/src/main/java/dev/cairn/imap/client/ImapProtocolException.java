// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.client;

import java.io.IOException;

/** The server sent something outside the IMAP grammar or beyond a limit. */
public final class ImapProtocolException extends IOException {
    public ImapProtocolException(String message) {
        super(message);
    }
}
