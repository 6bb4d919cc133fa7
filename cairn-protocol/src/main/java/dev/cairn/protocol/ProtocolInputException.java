// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.io.IOException;

/**
 * A line the client sent broke a rule of the reader (too long, a NUL). The offending line has
 * been consumed completely, so the connection is in sync again: the protocol answers with its
 * error (BAD, 500, -ERR), counts a bad command and reads the next line.
 */
public sealed class ProtocolInputException extends IOException
        permits LineTooLongException, NulInLineException {
    protected ProtocolInputException(String message) { super(message); }
}
