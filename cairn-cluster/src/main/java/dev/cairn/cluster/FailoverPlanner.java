// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.time.Duration;
import java.time.Instant;

/**
 * The controller's rules, as a function of what it sees (README.md, "The controller's rules"):
 *
 * <ol>
 *   <li>A store whose master's node is registered and lists the master slot is served: left alone.
 *   <li>A store whose master's node is not registered (its session expired) has no live master:
 *       it is failed over at once, however recently it last moved.
 *   <li>A store whose master's node is registered but no longer lists the master slot (the slot
 *       failed) is failed over unless its master changed less than {@code failover_damping} ago;
 *       then it is left (damped) and looked at again when the damping ends.
 *   <li>Only a replica that is in the store's in-sync set, whose node is registered and lists the
 *       slot, and whose own progress report claims in sync at an epoch no newer than the store's
 *       may become master; with none, the store is left headless (never an unclean promotion).
 *   <li>Among those, the one furthest ahead by its progress position; on a tie one whose node has
 *       been registered for at least {@code rejoin_grace}; then one whose node is not being drained
 *       ({@code cairn node drain}: a drained node's masters are not given back to it); then the node with the fewest masters
 *       (counting those given in this same round, so many stores of a dead node spread over the
 *       survivors); then the node's name.
 * </ol>
 */
final class FailoverPlanner {
    /**
     * A registered node and since when (the znode's creation time, the ensemble's clock, ms);
     * {@code record} null when its registration could not be read: still alive (its session is,
     * and its lease may be), so its masters stay, but it is no candidate.
     */
    record LiveNode(NodeRecord record, long registeredAt) {}

    private final Duration damping, rejoinGrace;

    FailoverPlanner(Duration damping, Duration rejoinGrace) {
        this.damping = damping;
        this.rejoinGrace = rejoinGrace;
    }

    /** One verdict per store, by name, in the order of {@code stores}. */
    Map<String, Verdict> plan(Map<String, VersionedStore> stores, Map<String, LiveNode> live,
                              Map<String, Map<SlotRef, ProgressRecord>> progress, long now) {
        return plan(stores, live, progress, Set.of(), now);
    }

    /** The same, with the nodes being drained ({@code drain/<node>}): candidates there come after the others. */
    Map<String, Verdict> plan(Map<String, VersionedStore> stores, Map<String, LiveNode> live,
                              Map<String, Map<SlotRef, ProgressRecord>> progress, Set<String> drained, long now) {
        Map<String, Integer> masters = new HashMap<>();
        for (VersionedStore v : stores.values()) masters.merge(v.record().master().node(), 1, Integer::sum);
        Map<String, Verdict> verdicts = new LinkedHashMap<>();
        for (var e : stores.entrySet()) {
            Verdict v = decide(e.getValue(), live, progress.getOrDefault(e.getKey(), Map.of()), drained, now, masters);
            if (v instanceof Verdict.Promote p) {
                masters.merge(p.from().node(), -1, Integer::sum);
                masters.merge(p.to().node(), 1, Integer::sum);
            }
            verdicts.put(e.getKey(), v);
        }
        return verdicts;
    }

    private Verdict decide(VersionedStore read, Map<String, LiveNode> live, Map<SlotRef, ProgressRecord> progress,
                           Set<String> drained, long now, Map<String, Integer> masters) {
        StoreRecord s = read.record();
        LiveNode masterNode = live.get(s.master().node());
        String why;
        if (masterNode == null) {
            why = "node " + s.master().node() + " of master " + s.master() + " is gone (its session ended)";
        } else if (serves(masterNode, s.master())) {
            return new Verdict.Served(s.master());
        } else {
            long until = s.masterSince() + damping.toMillis();
            why = "node " + s.master().node() + " no longer serves master slot " + s.master();
            if (now < until) return new Verdict.Damped(s.master(), until, why + "; its master changed at " + Instant.ofEpochMilli(s.masterSince())
                    + ", less than failover_damping (" + damping + ") ago: left until " + Instant.ofEpochMilli(until));
        }
        List<Candidate> candidates = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (SlotRef r : s.replicas()) {
            LiveNode node = live.get(r.node());
            ProgressRecord p = progress.get(r);
            if (!s.inSync().contains(r)) refused.add(r + " is not in the in-sync set" + (s.mode() == StoreRecord.Mode.ASYNC
                    ? " (async: the master takes its replicas out before it acknowledges a write they lack)" : ""));
            else if (node == null) refused.add(r + ": node gone");
            else if (node.record() == null) refused.add(r + ": registration unreadable");
            else if (!node.record().serves(r.slot())) refused.add(r + ": slot not served");
            else if (p == null) refused.add(r + ": no progress reported");
            else if (!p.inSync()) refused.add(r + ": does not claim to be in sync");
            else if (p.epoch() > s.epoch()) refused.add(r + ": reports epoch " + p.epoch() + " past the store's " + s.epoch());
            else candidates.add(new Candidate(r, p.position(), now - node.registeredAt() >= rejoinGrace.toMillis(), drained.contains(r.node())));
        }
        if (candidates.isEmpty()) return new Verdict.Headless(s.master(), why + "; no replica may be promoted: " + String.join("; ", refused));
        Candidate best = candidates.stream().min(Comparator
                .comparingLong((Candidate c) -> -c.position)
                .thenComparing(c -> !c.settled)
                .thenComparing(c -> c.drained)
                .thenComparingInt(c -> masters.getOrDefault(c.slot.node(), 0))
                .thenComparing(c -> c.slot.node())).orElseThrow();
        return new Verdict.Promote(read, s.promote(best.slot, now), why + "; " + best.slot + " is in sync at position " + best.position
                + (candidates.size() > 1 ? " (of " + candidates.size() + " candidates)" : ""));
    }

    /**
     * Rule 1's test: a node that is registered serves {@code slot} when its registration lists it,
     * or when its registration could not be read (its session and maybe its lease are alive: its
     * masters stay).
     */
    static boolean serves(LiveNode node, SlotRef slot) {
        return node != null && (node.record() == null || node.record().serves(slot.slot()));
    }

    private record Candidate(SlotRef slot, long position, boolean settled, boolean drained) {}
}
