// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The address a cluster node registers for a listener, for other nodes and proxies to connect
 * to: {@code [cluster] advertise} with the listener's bound port; without it the bound address;
 * and for a listener bound to every interface (which no one can connect to) this machine's first
 * non-loopback address (IPv4 before IPv6, by interface index), or 127.0.0.1 on a machine that has
 * none (a laptop offline: then only this machine reaches it).
 */
final class AdvertisedAddress {
    private AdvertisedAddress() {}

    /** {@code host:port} ({@code [v6]:port}) to register for a listener bound to {@code bound}. */
    static String of(InetSocketAddress bound, String advertise) {
        String host = advertise != null ? advertise
                : bound.getAddress() == null ? bound.getHostString()
                : bound.getAddress().isAnyLocalAddress() ? machineAddress()
                : bound.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + bound.getPort();
    }

    /** This machine's first non-loopback, non-link-local address of an interface that is up; "127.0.0.1" when there is none. */
    static String machineAddress() {
        List<InetAddress> found = new ArrayList<>();
        try {
            List<NetworkInterface> interfaces = NetworkInterface.networkInterfaces()
                    .sorted(Comparator.comparingInt(NetworkInterface::getIndex)).toList();
            for (NetworkInterface i : interfaces) {
                if (!i.isUp() || i.isLoopback()) continue;
                i.inetAddresses().filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress())
                        .forEach(found::add);
            }
        } catch (SocketException e) {
            return "127.0.0.1";
        }
        return found.stream().filter(a -> a instanceof Inet4Address).findFirst()
                .or(() -> found.stream().findFirst())
                .map(a -> a.getHostAddress().replaceFirst("%.*", "")).orElse("127.0.0.1");
    }
}
