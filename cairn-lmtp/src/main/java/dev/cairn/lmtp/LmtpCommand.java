// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

/** One LMTP command line as parsed (RFC 2033 §4, RFC 5321 §4.1.1, RFC 3030, RFC 3207). */
public sealed interface LmtpCommand {
    /** LHLO (RFC 2033 §4.1): the LMTP greeting, replacing EHLO. */
    record Lhlo(String domain) implements LmtpCommand {}

    /** HELO or EHLO: not LMTP (RFC 2033 §4.1), refused with a hint. */
    record Helo(String verb) implements LmtpCommand {}

    /**
     * MAIL FROM (RFC 5321 §4.1.1.2) with its ESMTP parameters.
     *
     * @param reversePath the sender address without brackets, "" for the null sender
     * @param size        SIZE= declared (RFC 1870), -1 when absent
     * @param body        BODY= (RFC 6152, RFC 3030)
     * @param smtputf8    SMTPUTF8 given (RFC 6531)
     */
    record Mail(String reversePath, long size, Body body, boolean smtputf8) implements LmtpCommand {}

    /** RCPT TO (RFC 5321 §4.1.1.3): the address without brackets. */
    record Rcpt(String address) implements LmtpCommand {}

    record Data() implements LmtpCommand {}

    /** BDAT (RFC 3030 §2): a chunk of exactly {@code size} octets follows the command line. */
    record Bdat(long size, boolean last) implements LmtpCommand {}

    record Rset() implements LmtpCommand {}

    record Noop() implements LmtpCommand {}

    record Quit() implements LmtpCommand {}

    record StartTls() implements LmtpCommand {}

    /** VRFY/EXPN: not offered (RFC 5321 §3.5.3 allows 252 or 502). */
    record Vrfy() implements LmtpCommand {}

    enum Body { SEVEN_BIT, EIGHT_BIT_MIME, BINARY_MIME }
}
