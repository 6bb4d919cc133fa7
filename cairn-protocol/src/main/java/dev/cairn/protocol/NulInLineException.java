// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

/**
 * A command line contained a NUL octet. No mail protocol allows NUL in a command (RFC 9051 §4
 * CHAR8 excludes it, RFC 5321 and RFC 1939 lines are text), and C servers that let it through
 * have truncated strings at it (Dovecot CVE-2019-11500), so the whole line is refused.
 */
public final class NulInLineException extends ProtocolInputException {
    public NulInLineException() { super("NUL octet in command line"); }
}
