// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.lmtp;

import java.io.IOException;

/** The server sent a reply outside the SMTP reply grammar, or more or fewer replies than owed. */
public final class LmtpProtocolException extends IOException {
    public LmtpProtocolException(String message) {
        super(message);
    }
}
