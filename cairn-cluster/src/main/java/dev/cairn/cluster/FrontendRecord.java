// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A front-end's registration, {@code <root>/frontends/<name>} (ephemeral: it lives as long as the
 * front-end's ZooKeeper session): a {@code cairn proxy} that holds no mail and relays clients to the
 * master of each user's store (issue 21). Nothing in the cluster acts on it; {@code cairn cluster
 * status} and the admin page show it.
 *
 * @param name      the front-end's name ({@code [proxy] name}); a node's name rules
 * @param addresses where its listeners are, by kind ({@link #ADDRESS_KINDS}), each {@code host:port}
 *                  (advertised as a node's are)
 * @param version   the Cairn version it runs
 * @param joined    when it registered, milliseconds since the epoch (its own clock)
 */
public record FrontendRecord(String name, Map<String, String> addresses, String version, long joined) implements ClusterRecord {
    /** The listeners a front-end's registration may name: a node's, less replication (it has none), plus the implicit-TLS ones. */
    public static final Set<String> ADDRESS_KINDS = Set.of("imap", "imaps", "pop3", "pop3s", "lmtp", "admin");

    public FrontendRecord {
        ClusterNames.requireNode(name);
        for (var e : addresses.entrySet()) {
            if (!ADDRESS_KINDS.contains(e.getKey())) throw new IllegalArgumentException("unknown address kind " + e.getKey() + " (one of " + ADDRESS_KINDS + ")");
            if (e.getValue().isBlank() || e.getValue().chars().anyMatch(c -> c <= ' ')) throw new IllegalArgumentException("bad " + e.getKey() + " address: " + e.getValue());
        }
        addresses = Map.copyOf(new TreeMap<>(addresses));
        if (version.isBlank() || version.chars().anyMatch(c -> c < ' ')) throw new IllegalArgumentException("bad version: " + version);
    }
}
