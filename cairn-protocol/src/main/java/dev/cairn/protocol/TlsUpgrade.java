// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

/**
 * The outcome of {@link Connection#startTls}.
 *
 * @param discardedPlaintextOctets how many octets the client had sent after the STARTTLS command
 *                                 before the handshake. They were dropped unread; a non-zero
 *                                 value is a broken client or a command-injection attempt
 *                                 (CVE-2011-0411) and worth a log line.
 */
public record TlsUpgrade(int discardedPlaintextOctets) {
    public boolean injectionAttempted() { return discardedPlaintextOctets > 0; }
}
