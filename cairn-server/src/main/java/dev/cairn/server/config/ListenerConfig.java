// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.protocol.auth.Network;
import java.util.List;

/**
 * One listener of the node.
 *
 * @param name        the config section and protocol: imap, imaps, pop3, pop3s, lmtp, admin
 * @param implicitTls TLS from the first byte (imaps, pop3s; RFC 8314); otherwise STARTTLS is
 *                    offered when a certificate is configured
 * @param plaintextAuthNetworks [imap] and [pop3] plaintext_auth_networks: peers off loopback that may
 *                    log in without TLS (nginx's mail proxy); none by default
 */
public record ListenerConfig(String name, boolean enabled, ListenAddress address, boolean implicitTls,
                             List<Network> plaintextAuthNetworks) {
    public ListenerConfig {
        plaintextAuthNetworks = List.copyOf(plaintextAuthNetworks);
    }

    /** Plaintext logins from loopback only. */
    public ListenerConfig(String name, boolean enabled, ListenAddress address, boolean implicitTls) {
        this(name, enabled, address, implicitTls, List.of());
    }

    public ListenerConfig withAddress(ListenAddress address) {
        return new ListenerConfig(name, true, address, implicitTls, plaintextAuthNetworks);
    }

    public ListenerConfig disabled() {
        return new ListenerConfig(name, false, address, implicitTls, plaintextAuthNetworks);
    }
}
