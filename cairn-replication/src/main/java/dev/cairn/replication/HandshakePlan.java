// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.Frame.Position;
import dev.cairn.replication.Frame.Positions;
import dev.cairn.store.SlotStore;
import dev.cairn.store.replication.SlotReplication;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a channel does first once the replica said where it stands ({@link Positions}): users it
 * follows in step are shipped from there, users that diverged are merged
 * ({@link ChannelReconciliation}, told here), users only the replica has are merged or dropped,
 * and the rest is copied whole.
 *
 * @param acked    each user's seq at the replica (0: it has none of the user)
 * @param toShip   users the replica lacks records of, shipped from {@code acked}
 * @param toCopy   users to copy whole (or have the replica drop)
 * @param catchUp  what the replica lacks now, merges and copies included: the seq it must acknowledge per user
 */
record HandshakePlan(Map<String, Long> acked, Set<String> toShip, Set<String> toCopy, Map<String, Long> catchUp) {
    static HandshakePlan of(SlotStore slot, int channel, ChannelReconciliation reconciliation, Positions positions) {
        Map<String, Position> at = new HashMap<>();
        for (Position p : positions.positions()) at.put(p.user(), p);
        SlotReplication r = slot.replication();
        Map<String, Long> acked = new HashMap<>();
        Set<String> toShip = new LinkedHashSet<>(), toCopy = new LinkedHashSet<>();
        for (String user : slot.users()) {
            if (slot.channelOf(user) != channel) continue;
            Position p = at.remove(user);
            long mine = r.seq(user);
            if (p != null && reconciliation.diverged(user, p, mine)) continue;
            long pos = p == null ? 0 : p.seq();
            acked.put(user, pos);
            if (mine > pos) toShip.add(user);
        }
        long epochNow = r.epoch();
        for (Position p : at.values()) {
            // Users only the replica has: from a former master (older epoch), merged; else dropped there.
            if (!reconciliation.onlyAtReplica(p, epochNow)) toCopy.add(p.user());
        }
        Map<String, Long> catchUp = new HashMap<>();
        for (String user : slot.users()) {
            if (slot.channelOf(user) != channel) continue;
            long mine = r.seq(user);
            if (mine > acked.getOrDefault(user, 0L) || reconciliation.holds(user)) catchUp.put(user, mine);
        }
        for (String user : toCopy) catchUp.putIfAbsent(user, 0L);
        return new HandshakePlan(acked, toShip, toCopy, catchUp);
    }
}
