// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

/**
 * One failover, {@code <root>/failovers/f-<seq>} (persistent, sequential; the controller keeps
 * the last {@link Controller#FAILOVERS_KEPT}).
 *
 * @param at    when the controller wrote the new master, milliseconds since the epoch
 * @param store the store
 * @param from  the master it replaced
 * @param to    the new master
 * @param epoch the store's new epoch
 * @param why   the reason, for people
 */
public record FailoverRecord(long at, String store, SlotRef from, SlotRef to, long epoch, String why) implements ClusterRecord {
    public FailoverRecord {
        ClusterNames.requireStore(store);
        why = why.replaceAll("[\\p{Cntrl}]", " ");
    }
}
