// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.time.Duration;

/**
 * Limits every protocol listener enforces.
 *
 * @param maxConnections           open connections per listener
 * @param maxConnectionsPerAddress open connections per client IP address
 * @param idleTimeout              an idle connection is closed after it (IMAP IDLE: RFC 9051
 *                                 section 5.4 asks for at least 30 minutes)
 * @param maxAuthFailures          failed logins before the connection is closed
 */
public record LimitsConfig(int maxConnections, int maxConnectionsPerAddress, Duration idleTimeout, int maxAuthFailures) {
}
