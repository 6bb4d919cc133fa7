// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where a drain ({@code cairn node drain N}) moves each master of N, as a function of the map it
 * reads: a store mastered on N goes to one of its in-sync replicas on another node that is
 * registered, serves the slot and is not drained itself; among those, the node with the fewest
 * masters (counting the moves planned before it, so N's stores spread), then the node's name. A
 * store with no such replica is stuck, with the reason for each replica. Stores are taken in name
 * order. The drain plans again after every store it moved (it reads the map afresh), so a plan is
 * never acted on once the map changed.
 */
public final class DrainPlanner {
    private DrainPlanner() {}

    /** One store to switch over: its record as read, and the slot to give it to. */
    public record Move(String store, SlotRef from, SlotRef to) {}

    /** A store of the node that cannot move now, and why. */
    public record Stuck(String store, SlotRef master, String why) {}

    public record Plan(List<Move> moves, List<Stuck> stuck) {
        public boolean done() { return moves.isEmpty() && stuck.isEmpty(); }
    }

    public static Plan plan(String node, Map<String, StoreRecord> stores, Map<String, NodeRecord> live, Set<String> drained) {
        Map<String, Integer> masters = new HashMap<>();
        for (StoreRecord r : stores.values()) masters.merge(r.master().node(), 1, Integer::sum);
        List<Move> moves = new ArrayList<>();
        List<Stuck> stuck = new ArrayList<>();
        for (StoreRecord r : new TreeMap<>(stores).values()) {
            if (!r.master().node().equals(node)) continue;
            List<SlotRef> candidates = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            for (SlotRef s : r.replicas()) {
                NodeRecord n = live.get(s.node());
                if (!r.inSync().contains(s)) refused.add(s + " is not in sync");
                else if (n == null) refused.add(s + ": node not registered");
                else if (!n.serves(s.slot())) refused.add(s + ": slot not served");
                else if (drained.contains(s.node())) refused.add(s + ": node " + s.node() + " is drained");
                else candidates.add(s);
            }
            if (candidates.isEmpty()) {
                stuck.add(new Stuck(r.name(), r.master(), refused.isEmpty() ? "no replica" : String.join("; ", refused)));
                continue;
            }
            SlotRef to = candidates.stream().min(Comparator.comparingInt((SlotRef s) -> masters.getOrDefault(s.node(), 0))
                    .thenComparing(SlotRef::node)).orElseThrow();
            masters.merge(to.node(), 1, Integer::sum);
            masters.merge(node, -1, Integer::sum);
            moves.add(new Move(r.name(), r.master(), to));
        }
        return new Plan(List.copyOf(moves), List.copyOf(stuck));
    }
}
