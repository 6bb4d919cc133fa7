// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The last store moves this node took part in, for the admin page: its promotions (it became a
 * store's master) and its fencings (a newer epoch took a store away from it). Bounded: the oldest
 * is dropped past {@link #KEPT}; kept in memory only (the log has every one).
 */
public final class Failovers {
    /** Moves kept; an operator looks at the last few, the log keeps the rest. */
    public static final int KEPT = 50;

    /** How the store moved, as this node saw it. */
    public enum How {
        /** Promoted here; the replica could show it was in sync. */
        CLEAN,
        /** Taken over here from a master that handed the store over (a planned switchover: nothing missing, no jump). */
        PLANNED,
        /** Promoted here by force (`--force`): every mailbox got a new UIDVALIDITY. */
        FORCED,
        /** Fenced here: another slot was promoted at a newer epoch (how it was promoted is not known here). */
        FENCED
    }

    /**
     * @param from the slot that was the master ("n1/s0"; a node name when only that is known)
     * @param to   the new master's slot, null when this node does not know it (a fencing)
     */
    public record Failover(Instant at, String store, String from, String to, long epoch, How how) {}

    private final Deque<Failover> recent = new ArrayDeque<>();

    synchronized void add(Failover f) {
        if (recent.size() == KEPT) recent.removeLast();
        recent.addFirst(f);
    }

    /** Newest first. */
    public synchronized List<Failover> recent() { return new ArrayList<>(recent); }
}
