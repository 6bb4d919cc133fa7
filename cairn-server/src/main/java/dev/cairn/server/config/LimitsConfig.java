// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.time.Duration;

/**
 * Limits of the protocol listeners (the protocols' own limits, such as line lengths, bad
 * commands and the login throttle, keep their defaults).
 *
 * @param maxConnections open connections per listener
 * @param idleTimeout    an authenticated IMAP connection is closed after this much silence
 *                       (RFC 9051 section 5.4 asks for at least 30 minutes)
 */
public record LimitsConfig(int maxConnections, Duration idleTimeout) {
}
