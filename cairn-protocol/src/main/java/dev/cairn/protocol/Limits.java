// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.time.Duration;

/**
 * The limits every protocol session enforces. Defaults follow Dovecot where it has one.
 *
 * @param maxLineLength         longest command line in octets, CRLF not counted (Dovecot's
 *                              post-login imap_max_line_length is 64 KiB)
 * @param maxLiteralSize        largest literal or message a client may send, in octets
 * @param maxBadCommands        bad commands before the session is closed (Dovecot: 20)
 * @param maxBadCommandsPreAuth bad commands before authentication (Dovecot imap-login: 3; it
 *                              matters more there because anyone can connect)
 * @param preAuthIdleTimeout    idle time allowed before authentication
 * @param idleTimeout           idle time allowed after authentication (IMAP RFC 9051 §5.4 asks
 *                              for at least 30 minutes; POP3 RFC 1939 §3 at least 10)
 */
public record Limits(int maxLineLength, long maxLiteralSize, int maxBadCommands, int maxBadCommandsPreAuth,
                     Duration preAuthIdleTimeout, Duration idleTimeout) {
    public static final Limits DEFAULT = new Limits(64 * 1024, 64L * 1024 * 1024, 20, 3,
            Duration.ofMinutes(3), Duration.ofMinutes(30));

    public Limits {
        if (maxLineLength < 64 || maxLineLength > LineInput.MAX_LINE) throw new IllegalArgumentException("maxLineLength out of range: " + maxLineLength);
        if (maxLiteralSize < 0) throw new IllegalArgumentException("maxLiteralSize " + maxLiteralSize);
        if (maxBadCommands < 1 || maxBadCommandsPreAuth < 1) throw new IllegalArgumentException("bad command limits must be >= 1");
        if (preAuthIdleTimeout.isNegative() || idleTimeout.isNegative()) throw new IllegalArgumentException("negative timeout");
    }

    public Limits withMaxLineLength(int v) { return new Limits(v, maxLiteralSize, maxBadCommands, maxBadCommandsPreAuth, preAuthIdleTimeout, idleTimeout); }
    public Limits withMaxLiteralSize(long v) { return new Limits(maxLineLength, v, maxBadCommands, maxBadCommandsPreAuth, preAuthIdleTimeout, idleTimeout); }
    public Limits withMaxBadCommands(int v) { return new Limits(maxLineLength, maxLiteralSize, v, maxBadCommandsPreAuth, preAuthIdleTimeout, idleTimeout); }
    public Limits withMaxBadCommandsPreAuth(int v) { return new Limits(maxLineLength, maxLiteralSize, maxBadCommands, v, preAuthIdleTimeout, idleTimeout); }
    public Limits withIdleTimeouts(Duration preAuth, Duration authenticated) { return new Limits(maxLineLength, maxLiteralSize, maxBadCommands, maxBadCommandsPreAuth, preAuth, authenticated); }
}
