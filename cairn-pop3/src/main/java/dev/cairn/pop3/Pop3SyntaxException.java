// SPDX-License-Identifier: Apache-2.0
package dev.cairn.pop3;

/** A command line that does not parse; the message is sent after "-ERR ". */
public final class Pop3SyntaxException extends Exception {
    public Pop3SyntaxException(String message) { super(message); }
}
