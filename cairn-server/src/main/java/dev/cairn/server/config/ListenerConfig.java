// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

/**
 * One listener of the node.
 *
 * @param name        the config section and protocol: imap, imaps, pop3, pop3s, lmtp, admin
 * @param implicitTls TLS from the first byte (imaps, pop3s; RFC 8314); otherwise STARTTLS is
 *                    offered when a certificate is configured
 */
public record ListenerConfig(String name, boolean enabled, ListenAddress address, boolean implicitTls) {
    public ListenerConfig withAddress(ListenAddress address) {
        return new ListenerConfig(name, true, address, implicitTls);
    }

    public ListenerConfig disabled() {
        return new ListenerConfig(name, false, address, implicitTls);
    }
}
