// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import dev.cairn.protocol.ConnectionLimits;
import dev.cairn.protocol.Limits;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How the LMTP server runs.
 *
 * @param listen             TCP address (default 127.0.0.1:2424) or null for none
 * @param unixSocket         a unix-domain socket path as Postfix's {@code lmtp:unix:} uses, or null
 * @param hostname           the name in the greeting and LHLO reply
 * @param maxMessageSize     octets; advertised as SIZE (RFC 1870); bigger messages get 552 5.3.4
 * @param maxRecipients      accepted RCPTs per transaction; more get 452 4.5.3 (RFC 5321 §4.5.3.1.10)
 * @param quotaTemporary     over quota answers 452 4.2.2 (retry) instead of 552 5.2.2
 * @param maxDataLineLength  longest line inside DATA, in octets
 * @param memoryThreshold    a message larger than this is spooled to a file in {@code spoolDirectory}
 * @param spoolDirectory     where large messages are spooled while being received
 * @param maxConnections     concurrent connections
 * @param startTls           offered STARTTLS when non-null
 * @param deliveredTo        when to add the Delivered-To header
 * @param limits             command line length, bad commands, idle timeouts
 * @param maxConnectionsPerAddress TCP connections from one client address (IPv6: one /64) at
 *                           once; unix-domain connections count only against {@code maxConnections}
 */
public record LmtpConfig(SocketAddress listen, Path unixSocket, String hostname, long maxMessageSize, int maxRecipients,
                         boolean quotaTemporary, int maxDataLineLength, int memoryThreshold, Path spoolDirectory,
                         int maxConnections, SSLContext startTls, DeliveredTo deliveredTo, Limits limits,
                         int maxConnectionsPerAddress) {

    /**
     * Delivered-To names the address a copy was delivered for (MTAs use it for loop detection).
     * It makes each recipient's copy different, so a body can no longer be stored once for all
     * recipients of a slot; Dovecot's answer is to name the recipient only when there is one.
     */
    public enum DeliveredTo {
        /** Added when the transaction has exactly one recipient (Dovecot-like); bodies stay shared. */
        SINGLE_RECIPIENT,
        /** Always added: one body per recipient. */
        ALWAYS,
        NEVER
    }

    public static final int DEFAULT_PORT = 2424;

    public LmtpConfig {
        Objects.requireNonNull(hostname);
        Objects.requireNonNull(spoolDirectory);
        Objects.requireNonNull(deliveredTo);
        Objects.requireNonNull(limits);
        if (listen == null && unixSocket == null) throw new IllegalArgumentException("LMTP needs a TCP address or a unix socket");
        if (maxMessageSize < 1 || maxRecipients < 1 || maxDataLineLength < 1000 || maxDataLineLength > dev.cairn.protocol.LineInput.MAX_LINE
                || memoryThreshold < 0 || maxConnections < 1 || maxConnectionsPerAddress < 1) {
            throw new IllegalArgumentException("LMTP limits out of range");
        }
    }

    /** Embedded defaults: 127.0.0.1:2424, 64 MiB messages, 1000 recipients. */
    public static LmtpConfig defaults() {
        return new LmtpConfig(new InetSocketAddress("127.0.0.1", DEFAULT_PORT), null, "localhost", 64L << 20, 1000,
                false, 1 << 20, 1 << 20, Path.of(System.getProperty("java.io.tmpdir")), 1000, null,
                DeliveredTo.SINGLE_RECIPIENT,
                // RFC 5321 §4.5.3.1.4: command lines up to 512 octets; be generous for long addresses.
                Limits.DEFAULT.withMaxLineLength(4096).withMaxBadCommandsPreAuth(20)
                        .withIdleTimeouts(Duration.ofMinutes(5), Duration.ofMinutes(5)),
                ConnectionLimits.DEFAULT.maxPerAddress());
    }

    /** What {@link dev.cairn.protocol.ConnectionServer} enforces: connections per address; LMTP has no login to time. */
    public ConnectionLimits connectionLimits() {
        return new ConnectionLimits(maxConnectionsPerAddress, maxConnectionsPerAddress, Duration.ZERO);
    }

    public LmtpConfig withListen(SocketAddress v) { return new LmtpConfig(v, unixSocket, hostname, maxMessageSize, maxRecipients, quotaTemporary, maxDataLineLength, memoryThreshold, spoolDirectory, maxConnections, startTls, deliveredTo, limits, maxConnectionsPerAddress); }
    public LmtpConfig withUnixSocket(Path v) { return new LmtpConfig(listen, v, hostname, maxMessageSize, maxRecipients, quotaTemporary, maxDataLineLength, memoryThreshold, spoolDirectory, maxConnections, startTls, deliveredTo, limits, maxConnectionsPerAddress); }
    public LmtpConfig withHostname(String v) { return new LmtpConfig(listen, unixSocket, v, maxMessageSize, maxRecipients, quotaTemporary, maxDataLineLength, memoryThreshold, spoolDirectory, maxConnections, startTls, deliveredTo, limits, maxConnectionsPerAddress); }
    public LmtpConfig withMaxMessageSize(long v) { return new LmtpConfig(listen, unixSocket, hostname, v, maxRecipients, quotaTemporary, maxDataLineLength, memoryThreshold, spoolDirectory, maxConnections, startTls, deliveredTo, limits, maxConnectionsPerAddress); }
    public LmtpConfig withMaxRecipients(int v) { return new LmtpConfig(listen, unixSocket, hostname, maxMessageSize, v, quotaTemporary, maxDataLineLength, memoryThreshold, spoolDirectory, maxConnections, startTls, deliveredTo, limits, maxConnectionsPerAddress); }
    public LmtpConfig withQuotaTemporary(boolean v) { return new LmtpConfig(listen, unixSocket, hostname, maxMessageSize, maxRecipients, v, maxDataLineLength, memoryThreshold, spoolDirectory, maxConnections, startTls, deliveredTo, limits, maxConnectionsPerAddress); }
    public LmtpConfig withMemoryThreshold(int v) { return new LmtpConfig(listen, unixSocket, hostname, maxMessageSize, maxRecipients, quotaTemporary, maxDataLineLength, v, spoolDirectory, maxConnections, startTls, deliveredTo, limits, maxConnectionsPerAddress); }
    public LmtpConfig withSpoolDirectory(Path v) { return new LmtpConfig(listen, unixSocket, hostname, maxMessageSize, maxRecipients, quotaTemporary, maxDataLineLength, memoryThreshold, v, maxConnections, startTls, deliveredTo, limits, maxConnectionsPerAddress); }
    public LmtpConfig withMaxConnections(int v) { return new LmtpConfig(listen, unixSocket, hostname, maxMessageSize, maxRecipients, quotaTemporary, maxDataLineLength, memoryThreshold, spoolDirectory, v, startTls, deliveredTo, limits, maxConnectionsPerAddress); }
    public LmtpConfig withStartTls(SSLContext v) { return new LmtpConfig(listen, unixSocket, hostname, maxMessageSize, maxRecipients, quotaTemporary, maxDataLineLength, memoryThreshold, spoolDirectory, maxConnections, v, deliveredTo, limits, maxConnectionsPerAddress); }
    public LmtpConfig withDeliveredTo(DeliveredTo v) { return new LmtpConfig(listen, unixSocket, hostname, maxMessageSize, maxRecipients, quotaTemporary, maxDataLineLength, memoryThreshold, spoolDirectory, maxConnections, startTls, v, limits, maxConnectionsPerAddress); }
    public LmtpConfig withLimits(Limits v) { return new LmtpConfig(listen, unixSocket, hostname, maxMessageSize, maxRecipients, quotaTemporary, maxDataLineLength, memoryThreshold, spoolDirectory, maxConnections, startTls, deliveredTo, v, maxConnectionsPerAddress); }
    public LmtpConfig withMaxConnectionsPerAddress(int v) { return new LmtpConfig(listen, unixSocket, hostname, maxMessageSize, maxRecipients, quotaTemporary, maxDataLineLength, memoryThreshold, spoolDirectory, maxConnections, startTls, deliveredTo, limits, v); }
}
