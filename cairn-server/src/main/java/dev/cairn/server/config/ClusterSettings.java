// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.config;

import dev.cairn.cluster.ClusterConfig;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.tomlj.TomlTable;

/**
 * The [cluster] section: the node joins a cluster coordinated on ZooKeeper (cairn-cluster's
 * README has the keys and what they do). It needs [replication] for this node's name, the cluster
 * secret, the replication listener, TLS and tuning, but not its stores: the cluster's store map
 * names them, so {@code [[replication.stores]]} beside [cluster] is refused (one source of truth;
 * a store is created with {@code cairn store create}), and {@code [replication.peers]} is optional
 * (the nodes' registrations give their addresses).
 *
 * <pre>
 * [cluster]
 * zookeeper = "zk1:2181,zk2:2181,zk3:2181"
 * root = "/cairn"
 * session_timeout = "10s"        # 1 s .. 2 min: a node silent this long is dead to the cluster
 * connection_timeout = "5s"
 * failover_damping = "60s"
 * rejoin_grace = "30s"
 * group_moves = "1h"             # how often users whose group's or domain's store is another move there; "0s": never
 * advertise = "10.0.0.1"         # the host others reach this node's listeners at (default: the bound
 *                                # address; for a listener bound to every interface, the machine's
 *                                # first non-loopback address)
 * </pre>
 */
final class ClusterSettings {
    static final Duration MAX_CONNECTION_TIMEOUT = Duration.ofMinutes(5);
    static final Set<String> KEYS = Set.of("zookeeper", "root", "session_timeout", "connection_timeout", "failover_damping", "rejoin_grace",
            "group_moves", "advertise");

    private ClusterSettings() {}

    /** The section, validated; {@code config} is the node's config read so far ([replication] included). */
    static ClusterConfig parse(TomlTable t, String source, NodeConfig config) {
        for (String k : new TreeSet<>(t.keySet())) {
            if (!KEYS.contains(k)) throw error(source, "cluster." + k, "unknown key (known here: " + String.join(", ", new TreeSet<>(KEYS)) + ")");
        }
        if (config.replication() == null) {
            throw error(source, "cluster", "needs [replication] too: this node's name, the cluster secret and the replication listener");
        }
        if (!config.replication().config().stores().isEmpty()) {
            throw error(source, "replication.stores", "with [cluster] the cluster's store map names the stores (`cairn store create`): "
                    + "remove [[replication.stores]]");
        }
        String node = config.replication().config().node();
        if (!node.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,63}")) {
            throw error(source, "replication.node", "'" + node + "': a node of a cluster is named with letters, digits, '.' and '-' (at most 64)");
        }
        // The static check (requireEncryptionOffLoopback) looks at the configured peers, this node's own
        // address among them; a cluster node may have none: its own listener must pass the same rule.
        java.net.InetSocketAddress listen = config.replication().config().listen();
        if (config.replication().config().tls() == null && !config.replication().mayReachInClear(listen)) {
            throw error(source, "replication.tls", "this node of a cluster listens for replication on " + listen.getHostString() + ":" + listen.getPort()
                    + ", not on loopback, so replication must be encrypted: make certificates with `cairn tls ca --out ca` and `cairn tls node "
                    + node + " --ca ca --out tls`, then set tls = true with the certificate, key and trust it prints"
                    + " (or, on a network you trust, tls = false and insecure = true)");
        }
        return read(t, source);
    }

    /** The section's keys alone: what {@code cairn proxy} has (it needs no [replication]). */
    static ClusterConfig read(TomlTable t, String source) {
        for (String k : new TreeSet<>(t.keySet())) {
            if (!KEYS.contains(k)) throw error(source, "cluster." + k, "unknown key (known here: " + String.join(", ", new TreeSet<>(KEYS)) + ")");
        }
        Object zk = t.get(List.of("zookeeper"));
        if (!(zk instanceof String zookeeper)) throw error(source, "cluster.zookeeper", "is required: \"host:port,host:port,...\"");
        String root = t.contains("root") ? string(t, source, "root") : ClusterConfig.DEFAULT_ROOT;
        Duration connectionTimeout = duration(t, source, "connection_timeout", ClusterConfig.DEFAULT_CONNECTION_TIMEOUT);
        // Curator takes it in int milliseconds; no node should wait longer than this to start.
        if (connectionTimeout.compareTo(MAX_CONNECTION_TIMEOUT) > 0) throw error(source, "cluster.connection_timeout", "must be at most 5m");
        try {
            return new ClusterConfig(zookeeper, root,
                    duration(t, source, "session_timeout", ClusterConfig.DEFAULT_SESSION_TIMEOUT),
                    connectionTimeout,
                    duration(t, source, "failover_damping", ClusterConfig.DEFAULT_FAILOVER_DAMPING),
                    duration(t, source, "rejoin_grace", ClusterConfig.DEFAULT_REJOIN_GRACE),
                    duration(t, source, "group_moves", ClusterConfig.DEFAULT_GROUP_MOVES),
                    t.contains("advertise") ? string(t, source, "advertise") : null);
        } catch (IllegalArgumentException e) {
            // ClusterConfig's own words name the key: "cluster.session_timeout must be ..."
            throw new ConfigException(source + ": " + e.getMessage());
        }
    }

    private static String string(TomlTable t, String source, String key) {
        if (!(t.get(List.of(key)) instanceof String s) || s.isBlank()) throw error(source, "cluster." + key, "must be a non-empty string");
        return s;
    }

    private static Duration duration(TomlTable t, String source, String key, Duration def) {
        Object v = t.get(List.of(key));
        if (v == null) return def;
        try {
            return switch (v) {
                case Long l when l >= 0 -> Duration.ofSeconds(l);
                case String s -> Sizes.parseDuration(s);
                default -> throw error(source, "cluster." + key, "must be a duration (seconds, or a string like \"10s\")");
            };
        } catch (ConfigException e) {
            throw e.getMessage().startsWith(source) ? e : error(source, "cluster." + key, e.getMessage());
        }
    }

    private static ConfigException error(String source, String key, String what) {
        return new ConfigException(source + ": " + key + ": " + what);
    }
}
