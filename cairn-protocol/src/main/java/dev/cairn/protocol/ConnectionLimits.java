// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import java.time.Duration;
import java.util.Objects;

/**
 * What one client address may hold on a listener, and how long a connection may take to log in;
 * {@link ConnectionServer} enforces them beside its per-listener {@code maxConnections}. Without
 * them one address can fill every slot of a listener with silent connections (10,050 from one
 * address took about 12 s), and a client that sends one octet now and then keeps a pre-login
 * connection for as long as it likes, since an idle timeout restarts with every octet.
 *
 * <p>Addresses are counted as the client's IPv4 address, or its IPv6 /64 (one machine can use
 * any address of its /64). Unix-domain connections are not counted per address.
 *
 * @param maxPerAddress        connections from one address at once
 * @param maxPreAuthPerAddress of those, connections that have not logged in yet
 * @param loginTimeout         time from connect to login (a deadline, not an idle timeout: it
 *                             does not restart with each octet); zero for none (LMTP, which has
 *                             no login)
 */
public record ConnectionLimits(int maxPerAddress, int maxPreAuthPerAddress, Duration loginTimeout) {
    /**
     * The defaults: an address may take a tenth of a default listener (10,000 connections), and
     * 250 of them before login, which is above the 200 clients that {@code cairn bench imap}
     * starts at once from one address. A legitimate client logs in within a second or two; two
     * minutes leave room for a person typing at a terminal and for the login throttle's delays.
     * A proxy on the same machine connects from loopback for every client: raise the first two.
     */
    public static final ConnectionLimits DEFAULT = new ConnectionLimits(1000, 250, Duration.ofMinutes(2));
    /** No per-address limit and no login deadline. */
    public static final ConnectionLimits NONE = new ConnectionLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, Duration.ZERO);

    public ConnectionLimits {
        Objects.requireNonNull(loginTimeout);
        if (maxPerAddress < 1 || maxPreAuthPerAddress < 1) throw new IllegalArgumentException("per-address limits must be >= 1");
        if (loginTimeout.isNegative()) throw new IllegalArgumentException("negative login timeout");
    }

    /** For a protocol without login (LMTP): only the per-address count, no deadline. */
    public ConnectionLimits withoutLogin() { return new ConnectionLimits(maxPerAddress, maxPerAddress, Duration.ZERO); }

    public boolean hasLoginDeadline() { return !loginTimeout.isZero(); }
}
