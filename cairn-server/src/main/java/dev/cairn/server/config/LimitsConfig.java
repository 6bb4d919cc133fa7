// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.imap.ImapConfig;
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
 * @param heavyCommandThreads        platform threads that compute IMAP SEARCH, SORT, THREAD, LIST and
 *                                   LSUB for the whole node (default: one fewer than the cores, at least 1)
 * @param heavyCommandsPerUser       of those commands and big FETCHes, how many one user runs at once
 *                                   over all its connections; more wait their turn
 * @param heavyCommandCpu            CPU time one such command may use before it is answered NO [LIMIT]
 */
public record LimitsConfig(int maxConnections, Duration idleTimeout, int maxConnectionsPerAddress,
                           int maxPreAuthConnectionsPerAddress, Duration loginTimeout, long commandMemoryPerConnection,
                           long commandMemory, int heavyCommandThreads, int heavyCommandsPerUser, Duration heavyCommandCpu) {
    public LimitsConfig {
        if (maxConnections < 1 || maxConnectionsPerAddress < 1 || maxPreAuthConnectionsPerAddress < 1) {
            throw new IllegalArgumentException("connection limits must be >= 1");
        }
        if (commandMemoryPerConnection < 1 || commandMemory < 1) throw new IllegalArgumentException("command memory must be >= 1");
        heavyWork(heavyCommandThreads, heavyCommandsPerUser, heavyCommandCpu); // checks them
    }

    /** The IMAP server's {@link ImapConfig.HeavyWork}: these limits, and the default number of big FETCHes at once. */
    public ImapConfig.HeavyWork heavyWork() { return heavyWork(heavyCommandThreads, heavyCommandsPerUser, heavyCommandCpu); }

    private static ImapConfig.HeavyWork heavyWork(int threads, int perUser, Duration cpu) {
        return new ImapConfig.HeavyWork(threads, perUser, cpu, ImapConfig.HeavyWork.DEFAULT.streams());
    }
}
