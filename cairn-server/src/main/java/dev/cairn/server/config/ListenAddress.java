// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import java.net.InetSocketAddress;

/**
 * Where a listener binds: {@code host:port}, {@code [ipv6]:port}, or {@code :port} for every
 * interface. Port 0 asks the system for a free port (tests).
 */
public record ListenAddress(String host, int port) {
    public ListenAddress {
        if (port < 0 || port > 65535) {
            throw new ConfigException("port " + port + " is not between 0 and 65535");
        }
    }

    public static ListenAddress parse(String text) {
        String s = text.strip();
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            throw new ConfigException("'" + text + "' is not host:port");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new ConfigException("'" + text + "': write an IPv6 address in brackets, [::1]:143");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException("'" + text + "' has no port number after ':'");
        }
        return new ListenAddress(host.isEmpty() ? "0.0.0.0" : host, port);
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
