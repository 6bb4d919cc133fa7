// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where new stores go ({@code cairn store create NAME} without slots, {@code cairn store place}),
 * as a function of the nodes registered and the stores that exist (FastMail's reason for slots:
 * when a node dies, its masters' load spreads over many nodes instead of doubling one partner's).
 * Only free slots are used (a slot a node registered that no store names). For each new store:
 *
 * <ol>
 *   <li>the master on the node with the fewest masters that is not drained and has a free slot;
 *       then the most free slots, then the node's name;
 *   <li>each replica on another node with a free slot, none twice: the node holding the fewest
 *       replicas of this master node's stores (so a node's masters have their replicas spread over
 *       the others), then the fewest slots in use, then the node's name;
 *   <li>the node's first free slot, in the order it registered them.
 * </ol>
 *
 * Each store placed counts for the next. A store that cannot be placed (too few nodes with a free
 * slot) is refused with the reason, and nothing is placed.
 */
public final class StorePlacement {
    private StorePlacement() {}

    /** A new store's slots. */
    public record Placed(String store, SlotRef master, List<SlotRef> replicas) {}

    /**
     * @param nodes    the registered nodes
     * @param stores   the stores that exist
     * @param drained  nodes that take no new master (they may take replicas)
     * @param names    the new stores' names
     * @param replicas replicas per store (each on another node)
     * @throws IllegalStateException when a store cannot be placed
     */
    public static List<Placed> plan(Map<String, NodeRecord> nodes, Collection<StoreRecord> stores, Set<String> drained,
                                    List<String> names, int replicas) {
        if (replicas < 0) throw new IllegalArgumentException("replicas: " + replicas);
        Map<String, List<String>> free = new TreeMap<>();
        Set<SlotRef> used = new HashSet<>();
        Map<String, Integer> masters = new HashMap<>(), inUse = new HashMap<>();
        // pairs.get(master node).get(replica node): stores of that master node with a replica there
        Map<String, Map<String, Integer>> pairs = new HashMap<>();
        Set<String> taken = new HashSet<>();
        for (StoreRecord s : stores) {
            taken.add(s.name());
            used.addAll(s.slots());
            masters.merge(s.master().node(), 1, Integer::sum);
            for (SlotRef r : s.slots()) inUse.merge(r.node(), 1, Integer::sum);
            for (SlotRef r : s.replicas()) pairs.computeIfAbsent(s.master().node(), k -> new HashMap<>()).merge(r.node(), 1, Integer::sum);
        }
        nodes.forEach((name, n) -> {
            List<String> f = new ArrayList<>();
            for (String slot : n.slots()) if (!used.contains(new SlotRef(name, slot))) f.add(slot);
            free.put(name, f);
        });
        List<Placed> out = new ArrayList<>();
        for (String store : names) {
            ClusterNames.requireStore(store);
            if (!taken.add(store)) throw new IllegalStateException("store " + store + " exists already");
            String m = free.entrySet().stream().filter(e -> !e.getValue().isEmpty() && !drained.contains(e.getKey()))
                    .min(Comparator.comparingInt((Map.Entry<String, List<String>> e) -> masters.getOrDefault(e.getKey(), 0))
                            .thenComparingInt(e -> -e.getValue().size()).thenComparing(Map.Entry::getKey))
                    .map(Map.Entry::getKey)
                    .orElseThrow(() -> new IllegalStateException("store " + store + ": no node that is not drained has a free slot "
                            + "(registered: " + nodes.keySet() + ", drained: " + drained + ")"));
            Map<String, Integer> spread = pairs.computeIfAbsent(m, k -> new HashMap<>());
            List<String> chosen = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                String r = free.entrySet().stream()
                        .filter(e -> !e.getValue().isEmpty() && !e.getKey().equals(m) && !chosen.contains(e.getKey()))
                        .min(Comparator.comparingInt((Map.Entry<String, List<String>> e) -> spread.getOrDefault(e.getKey(), 0))
                                .thenComparingInt(e -> inUse.getOrDefault(e.getKey(), 0)).thenComparing(Map.Entry::getKey))
                        .map(Map.Entry::getKey)
                        .orElseThrow(() -> new IllegalStateException("store " + store + ": " + replicas + " replica(s) on other nodes than "
                                + m + " wanted, but only " + chosen.size() + " other node(s) have a free slot"));
                chosen.add(r);
            }
            SlotRef master = take(free, m);
            masters.merge(m, 1, Integer::sum);
            inUse.merge(m, 1, Integer::sum);
            List<SlotRef> rs = new ArrayList<>();
            for (String r : chosen) {
                rs.add(take(free, r));
                inUse.merge(r, 1, Integer::sum);
                spread.merge(r, 1, Integer::sum);
            }
            out.add(new Placed(store, master, List.copyOf(rs)));
        }
        return List.copyOf(out);
    }

    private static SlotRef take(Map<String, List<String>> free, String node) {
        return new SlotRef(node, free.get(node).removeFirst());
    }

    /** Names for {@code count} new stores: {@code prefix1}, {@code prefix2}, ..., skipping those that exist. */
    public static List<String> names(String prefix, int count, Collection<String> existing) {
        List<String> out = new ArrayList<>();
        Set<String> have = new HashSet<>(existing);
        for (int i = 1; out.size() < count; i++) if (!have.contains(prefix + i)) out.add(prefix + i);
        return out;
    }
}
