// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

/**
 * What a replica slot reports about itself, {@code <root>/stores/<store>/progress/<node>_<slot>}
 * (ephemeral, rewritten at most every second by {@link ClusterMember#reportProgress}).
 *
 * @param slot     the replica slot
 * @param inSync   whether it can show that it holds everything its master acknowledged (its
 *                 in-sync claim: in sync, or in sync until the link to the master was lost)
 * @param epoch    the store epoch its data is of
 * @param position how far it is: the sum over the slot's users of the highest change seq applied.
 *                 It orders replicas of one master (one that has applied at least as much of every
 *                 user's log has at least the sum); between two in-sync replicas the larger one
 *                 holds more of what the master wrote and did not acknowledge yet
 */
public record ProgressRecord(SlotRef slot, boolean inSync, long epoch, long position) implements ClusterRecord {
    public ProgressRecord {
        if (epoch < 0 || position < 0) throw new IllegalArgumentException("negative epoch or position: " + epoch + ", " + position);
    }
}
