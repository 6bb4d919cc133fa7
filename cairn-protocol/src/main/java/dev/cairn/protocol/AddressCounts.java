// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open and not-yet-logged-in connections per client address, for one listener's
 * {@link ConnectionLimits}. An address with no connections has no entry, so the table holds at
 * most the listener's {@code maxConnections} entries.
 */
final class AddressCounts {
    private record Counts(int open, int preAuth) {}

    private final ConnectionLimits limits;
    private final ConcurrentHashMap<Object, Counts> counts = new ConcurrentHashMap<>();

    AddressCounts(ConnectionLimits limits) { this.limits = limits; }

    /** The key an address counts under: the IPv4 address, or the IPv6 /64 (one machine can use any address of it). */
    static Object keyOf(InetAddress address) {
        if (address instanceof Inet6Address) return ByteBuffer.wrap(address.getAddress(), 0, 8).getLong();
        return address;
    }

    /** Counts a new, not yet logged-in connection if both of its address's limits allow it. */
    boolean tryOpen(Object key) {
        boolean[] admitted = {false};
        counts.compute(key, (k, c) -> {
            if (c == null) c = new Counts(0, 0);
            if (c.open() >= limits.maxPerAddress() || c.preAuth() >= limits.maxPreAuthPerAddress()) {
                return c.open() == 0 ? null : c;
            }
            admitted[0] = true;
            return new Counts(c.open() + 1, c.preAuth() + 1);
        });
        return admitted[0];
    }

    /** The connection logged in: it no longer counts as pre-login. */
    void loggedIn(Object key) {
        counts.computeIfPresent(key, (k, c) -> new Counts(c.open(), c.preAuth() - 1));
    }

    /** The connection closed; {@code preAuth} when it never logged in. */
    void closed(Object key, boolean preAuth) {
        counts.computeIfPresent(key, (k, c) -> {
            int open = c.open() - 1;
            return open == 0 ? null : new Counts(open, c.preAuth() - (preAuth ? 1 : 0));
        });
    }

    /** Connections from the address now, and of them not logged in (tests). */
    int[] of(InetAddress address) {
        Counts c = counts.get(keyOf(address));
        return c == null ? new int[] {0, 0} : new int[] {c.open(), c.preAuth()};
    }
}
