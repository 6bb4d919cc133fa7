// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.time.Duration;

/**
 * Limits of the protocol listeners (the protocols' own limits, such as line lengths, bad
 * commands and the login throttle, keep their defaults).
 *
 * @param maxConnections             open connections per listener
 * @param idleTimeout                an authenticated IMAP connection is closed after this much silence
 *                                   (RFC 9051 section 5.4 asks for at least 30 minutes)
 * @param maxConnectionsPerAddress   open connections from one client address (IPv6: one /64) per
 *                                   listener (IMAP, POP3, LMTP over TCP)
 * @param maxPreAuthConnectionsPerAddress of those, IMAP and POP3 connections not logged in yet
 * @param loginTimeout               IMAP and POP3: time from connect to login, however busy the client
 * @param commandMemoryPerConnection octets one IMAP command (so one connection) may hold in memory
 * @param commandMemory              octets all commands in flight on the node may hold in memory
 *                                   together (IMAP lines and literals, LMTP messages being received)
 */
public record LimitsConfig(int maxConnections, Duration idleTimeout, int maxConnectionsPerAddress,
                           int maxPreAuthConnectionsPerAddress, Duration loginTimeout, long commandMemoryPerConnection,
                           long commandMemory) {
    public LimitsConfig {
        if (maxConnections < 1 || maxConnectionsPerAddress < 1 || maxPreAuthConnectionsPerAddress < 1) {
            throw new IllegalArgumentException("connection limits must be >= 1");
        }
        if (commandMemoryPerConnection < 1 || commandMemory < 1) throw new IllegalArgumentException("command memory must be >= 1");
    }
}
