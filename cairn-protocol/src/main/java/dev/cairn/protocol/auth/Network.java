// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import java.net.InetAddress;

/** An address block, {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is a block of one. */
public record Network(byte[] base, int prefix) {
    /** Loopback only: 127.0.0.0/8 and ::1. */
    public static final java.util.List<Network> LOOPBACK = java.util.List.of(parse("127.0.0.0/8"), parse("::1/128"));

    public Network {
        if (prefix < 0 || prefix > base.length * 8) throw new IllegalArgumentException("prefix /" + prefix + " too long");
    }

    public static Network parse(String text) {
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
        // only literal addresses: a name here would be looked up in DNS at every start
        if (host.isEmpty() || !host.matches("[0-9a-fA-F:.]+")) throw new IllegalArgumentException("'" + text + "' is not an address block");
        byte[] base;
        try {
            base = InetAddress.ofLiteral(host).getAddress(); // never a lookup ("beef" is a name to getByName)
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not an address block");
        }
        int prefix;
        try {
            prefix = slash < 0 ? base.length * 8 : Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has no valid prefix length");
        }
        return new Network(base, prefix);
    }

    /** Whether {@code address} is in one of {@code blocks} (null, a Unix socket's peer, is in none). */
    public static boolean anyContains(java.util.List<Network> blocks, InetAddress address) {
        return address != null && blocks.stream().anyMatch(n -> n.contains(address));
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != base.length) return false;
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((a[bit / 8] & mask) != (base[bit / 8] & mask)) return false;
        }
        return true;
    }

    @Override public String toString() {
        try {
            return InetAddress.getByAddress(base).getHostAddress() + "/" + prefix;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override public boolean equals(Object o) {
        return o instanceof Network n && n.prefix == prefix && java.util.Arrays.equals(n.base, base);
    }

    @Override public int hashCode() { return java.util.Arrays.hashCode(base) * 31 + prefix; }
}
