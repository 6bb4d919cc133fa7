// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.io.IOException;

/**
 * The client sent nothing for the idle timeout. The connection can still be written to, so the
 * protocol may send its farewell (IMAP {@code * BYE}, POP3 {@code -ERR}, LMTP {@code 421}) and close.
 */
public sealed class IdleTimeoutException extends IOException permits LoginTimeoutException {
    public IdleTimeoutException(String message, Throwable cause) { super(message, cause); }
}
