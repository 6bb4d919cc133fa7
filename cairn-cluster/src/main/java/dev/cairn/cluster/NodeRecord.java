// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A node's registration, {@code <root>/nodes/<node>} (ephemeral: it lives as long as the node's
 * ZooKeeper session).
 *
 * @param node      the node's name
 * @param addresses where its listeners are, by kind ({@link #ADDRESS_KINDS}), each {@code host:port}
 * @param slots     the slots it serves (a slot left out is not served, e.g. its disk failed)
 * @param version   the Cairn version it runs
 * @param load      how many store masters it holds (what it last reported)
 * @param joined    when it registered, milliseconds since the epoch (its own clock)
 */
public record NodeRecord(String node, Map<String, String> addresses, List<String> slots, String version, int load, long joined)
        implements ClusterRecord {
    /** The listeners a registration may name. */
    public static final Set<String> ADDRESS_KINDS = Set.of("imap", "pop3", "lmtp", "admin", "replication");

    public NodeRecord {
        ClusterNames.requireNode(node);
        for (var e : addresses.entrySet()) {
            if (!ADDRESS_KINDS.contains(e.getKey())) throw new IllegalArgumentException("unknown address kind " + e.getKey() + " (one of " + ADDRESS_KINDS + ")");
            if (e.getValue().isBlank() || e.getValue().chars().anyMatch(c -> c <= ' ')) throw new IllegalArgumentException("bad " + e.getKey() + " address: " + e.getValue());
        }
        addresses = Map.copyOf(new TreeMap<>(addresses));
        slots = List.copyOf(slots);
        slots.forEach(ClusterNames::requireSlot);
        if (version.isBlank() || version.chars().anyMatch(c -> c < ' ')) throw new IllegalArgumentException("bad version: " + version);
        if (load < 0) throw new IllegalArgumentException("negative load " + load);
    }

    /** Whether this node serves {@code slot}. */
    public boolean serves(String slot) { return slots.contains(slot); }

    /** The same registration with another load. */
    public NodeRecord withLoad(int masters) { return new NodeRecord(node, addresses, slots, version, masters, joined); }
}
