// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import java.util.Objects;

/**
 * One listener of a back-end node, as its registration names it ({@code nodes/<node>}'s
 * addresses): where a front-end opens a session for a user of a store that node masters.
 *
 * @param node     the node's name (metrics are labelled with it)
 * @param protocol "imap", "pop3" or "lmtp"
 * @param host     a literal address or a host name
 * @param port     the listener's port
 */
public record Backend(String node, String protocol, String host, int port) {
    public Backend {
        Objects.requireNonNull(node);
        Objects.requireNonNull(protocol);
        Objects.requireNonNull(host);
        if (port <= 0 || port > 65535) throw new IllegalArgumentException("bad port " + port);
    }

    /** From a registration's {@code host:port} (an IPv6 literal in brackets). */
    public static Backend parse(String node, String protocol, String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("not host:port: " + hostPort);
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        return new Backend(node, protocol, host, Integer.parseInt(hostPort.substring(colon + 1)));
    }

    @Override public String toString() { return node + "/" + protocol + "@" + host + ":" + port; }
}
