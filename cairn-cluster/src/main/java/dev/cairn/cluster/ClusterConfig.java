// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A node's {@code [cluster]} settings (README.md has the TOML keys).
 *
 * @param zookeeper         the ensemble, {@code host:port,host:port,...} (an optional chroot suffix
 *                          is ZooKeeper's, not used here: {@code root} says where the cluster lives)
 * @param root              the znode under which the cluster keeps everything, e.g. {@code /cairn}
 * @param sessionTimeout    the ZooKeeper session timeout asked for: a node that has not been heard
 *                          from for this long is dead to the cluster and its masters move. The
 *                          ensemble may grant less or more (its min/max session timeouts);
 *                          {@link WriteLease} works from what it granted
 * @param connectionTimeout how long the first connection and each blocking call may take
 * @param failoverDamping   a store whose master changed less than this ago is not moved again
 *                          unless it has no live master at all
 * @param rejoinGrace       a node registered for less than this is not preferred as a new master
 *                          over an otherwise equal candidate (it may be flapping)
 * @param groupMoves        how often the controller's node moves the users whose group's (or
 *                          domain's) store is another than theirs ({@code group_moves}; zero: never)
 * @param advertise         the host (name or address, no port) other nodes and proxies reach this
 *                          node's listeners at, as registered; null: each listener's bound address,
 *                          or for a listener bound to every interface the machine's first
 *                          non-loopback address (the node wiring decides)
 */
public record ClusterConfig(String zookeeper, String root, Duration sessionTimeout, Duration connectionTimeout,
                            Duration failoverDamping, Duration rejoinGrace, Duration groupMoves, String advertise) {
    public static final String DEFAULT_ROOT = "/cairn";
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_FAILOVER_DAMPING = Duration.ofSeconds(60);
    public static final Duration DEFAULT_REJOIN_GRACE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_GROUP_MOVES = Duration.ofHours(1);
    /** ZooKeeper's own bounds make a session under 2 ticks or over 20 impossible; these are ours. */
    static final Duration MIN_SESSION = Duration.ofSeconds(1), MAX_SESSION = Duration.ofMinutes(2);

    private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}");
    private static final Pattern ROOT = Pattern.compile("(/[A-Za-z0-9][A-Za-z0-9._-]*)+");
    /** A DNS name or an IPv4 address; an IPv6 address is {@link #IPV6} (no brackets, no port either way). */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:[0-9.]+)?");

    public ClusterConfig {
        if (zookeeper == null || zookeeper.isBlank()) throw new IllegalArgumentException("cluster.zookeeper is required: host:port,host:port,...");
        for (String server : zookeeper.split(",", -1)) {
            if (!HOST_PORT.matcher(server.strip()).matches()) throw new IllegalArgumentException("cluster.zookeeper: not host:port: \"" + server + "\"");
            int port = Integer.parseInt(server.strip().substring(server.strip().lastIndexOf(':') + 1));
            if (port < 1 || port > 65535) throw new IllegalArgumentException("cluster.zookeeper: port out of range: " + server);
        }
        if (root == null || !ROOT.matcher(root).matches()) throw new IllegalArgumentException("cluster.root must be an absolute znode path like /cairn: " + root);
        if (sessionTimeout.compareTo(MIN_SESSION) < 0 || sessionTimeout.compareTo(MAX_SESSION) > 0)
            throw new IllegalArgumentException("cluster.session_timeout must be between " + MIN_SESSION.toSeconds() + " s and " + MAX_SESSION.toSeconds() + " s: " + sessionTimeout);
        if (connectionTimeout.isNegative() || connectionTimeout.isZero()) throw new IllegalArgumentException("cluster.connection_timeout must be positive: " + connectionTimeout);
        if (failoverDamping.isNegative()) throw new IllegalArgumentException("cluster.failover_damping may not be negative: " + failoverDamping);
        if (groupMoves == null || groupMoves.isNegative()) throw new IllegalArgumentException("cluster.group_moves may not be negative: " + groupMoves);
        if (rejoinGrace.isNegative()) throw new IllegalArgumentException("cluster.rejoin_grace may not be negative: " + rejoinGrace);
        if (advertise != null) {
            if (!(HOST.matcher(advertise).matches() || IPV6.matcher(advertise).matches()))
                throw new IllegalArgumentException("cluster.advertise: \"" + advertise + "\" is not a host name or an IP address (no port: each listener's own is registered)");
            if (advertise.equals("0.0.0.0") || advertise.replace(":", "").replace("0", "").isEmpty())
                throw new IllegalArgumentException("cluster.advertise: \"" + advertise + "\" is every interface, which no other node can connect to: name this machine's address");
        }
    }

    /** Without {@code group_moves} (the default, hourly) and {@code advertise}. */
    public ClusterConfig(String zookeeper, String root, Duration sessionTimeout, Duration connectionTimeout, Duration failoverDamping,
                         Duration rejoinGrace) {
        this(zookeeper, root, sessionTimeout, connectionTimeout, failoverDamping, rejoinGrace, DEFAULT_GROUP_MOVES, null);
    }

    /** Without {@code advertise}. */
    public ClusterConfig(String zookeeper, String root, Duration sessionTimeout, Duration connectionTimeout, Duration failoverDamping,
                         Duration rejoinGrace, Duration groupMoves) {
        this(zookeeper, root, sessionTimeout, connectionTimeout, failoverDamping, rejoinGrace, groupMoves, null);
    }

    /** The defaults for everything but the ensemble. */
    public static ClusterConfig of(String zookeeper) {
        return new ClusterConfig(zookeeper, DEFAULT_ROOT, DEFAULT_SESSION_TIMEOUT, DEFAULT_CONNECTION_TIMEOUT,
                DEFAULT_FAILOVER_DAMPING, DEFAULT_REJOIN_GRACE);
    }

    public ClusterConfig withRoot(String r) { return new ClusterConfig(zookeeper, r, sessionTimeout, connectionTimeout, failoverDamping, rejoinGrace, groupMoves, advertise); }

    public ClusterConfig withSessionTimeout(Duration d) { return new ClusterConfig(zookeeper, root, d, connectionTimeout, failoverDamping, rejoinGrace, groupMoves, advertise); }

    public ClusterConfig withDamping(Duration damping, Duration grace) { return new ClusterConfig(zookeeper, root, sessionTimeout, connectionTimeout, damping, grace, groupMoves, advertise); }

    public ClusterConfig withZookeeper(String z) { return new ClusterConfig(z, root, sessionTimeout, connectionTimeout, failoverDamping, rejoinGrace, groupMoves, advertise); }

    public ClusterConfig withAdvertise(String host) { return new ClusterConfig(zookeeper, root, sessionTimeout, connectionTimeout, failoverDamping, rejoinGrace, groupMoves, host); }
}
