// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import java.net.InetAddress;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one log line of every login attempt, the same for IMAP and POP3, at INFO on the logger
 * {@code dev.cairn.protocol.auth.AuthLog}, for people and for fail2ban:
 *
 * <pre>
 * auth: imap login succeeded user=alice remote=192.0.2.7 mechanism=PLAIN
 * auth: pop3 login failed user=alice remote=2001:db8::5 mechanism=USER-PASS reason=invalid_credentials
 * </pre>
 *
 * The fields come in this order, separated by one space, and none holds a space: the user name
 * (as the client sent it, untrusted) has whitespace and control characters replaced by '?' and
 * is cut at 64 characters, so no client can forge a {@code remote=} field; "-" when there is
 * none. {@code reason} is the lower-case name of a {@link Reason}. The secret is never logged.
 */
public final class AuthLog {
    private static final Logger log = LoggerFactory.getLogger(AuthLog.class);
    private static final int MAX_USER_CHARS = 64;

    /** What a failure's {@code reason=} may say. */
    public enum Reason {
        /** Unknown user or wrong password (the log does not say which either). */
        INVALID_CREDENTIALS,
        DISABLED,
        AUTHORIZATION_DENIED,
        /** The directory could not answer. */
        TEMPORARY_FAILURE,
        /** Refused unchecked: the penalty of the address or account would outlast the wait budget. */
        THROTTLED,
        /** The SASL response did not decode. */
        BAD_SASL;

        String word() { return name().toLowerCase(Locale.ROOT); }

        static Reason of(AuthResult.Reason r) {
            return switch (r) {
                case INVALID_CREDENTIALS -> INVALID_CREDENTIALS;
                case DISABLED -> DISABLED;
                case AUTHORIZATION_DENIED -> AUTHORIZATION_DENIED;
                case TEMPORARY_FAILURE -> TEMPORARY_FAILURE;
            };
        }
    }

    private AuthLog() {}

    static void succeeded(AuthThrottle.Attempt a) {
        if (log.isInfoEnabled()) log.info(line(a, "succeeded", null));
    }

    static void failed(AuthThrottle.Attempt a, Reason reason) {
        if (log.isInfoEnabled()) log.info(line(a, "failed", reason));
    }

    /** The line without the logger's prefix (tests and the fail2ban filter read it). */
    static String line(AuthThrottle.Attempt a, String result, Reason reason) {
        StringBuilder sb = new StringBuilder(128).append("auth: ").append(a.protocol()).append(" login ").append(result)
                .append(" user=").append(printable(a.user()))
                .append(" remote=").append(address(a.remote()))
                .append(" mechanism=").append(a.mechanism());
        if (reason != null) sb.append(" reason=").append(reason.word());
        return sb.toString();
    }

    static String printable(String user) {
        if (user == null || user.isEmpty()) return "-";
        StringBuilder sb = new StringBuilder(Math.min(user.length(), MAX_USER_CHARS));
        user.codePoints().limit(MAX_USER_CHARS).forEach(c ->
                sb.appendCodePoint(Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)
                        || Character.getType(c) == Character.FORMAT ? '?' : c));
        return sb.toString();
    }

    private static String address(InetAddress remote) {
        return remote == null ? "-" : remote.getHostAddress();
    }
}
