// SPDX-License-Identifier: Apache-2.0
package dev.cairn.cluster;

import java.util.Map;

/**
 * What a node does when the store map changes: the contract between the cluster and the node.
 * The controller only changes the map; every node follows it.
 *
 * <p>{@link #onStores} is called on one thread, in order, with the whole map each time: once
 * when the member starts, on every change of any store record, and once more on every new
 * ZooKeeper session (after a fresh read of every record). A record never goes back to an older
 * version of itself. For each store with a slot on this node the node must, before returning:
 *
 * <ol>
 *   <li><b>It names another master, or a higher epoch, than the node acts on</b>: stop acting as
 *       master of the store at once if it did (refuse new writes, fail commits not yet
 *       acknowledged with a temporary error; clients reconnect to the new master), become a
 *       replica of the master the map names and take the map's epoch as the store's epoch, so
 *       that frames of any older epoch are refused from then on; a former master reconciles
 *       (what it committed that the new master lacks is appended there again).
 *   <li><b>It names this node's slot as master at a higher epoch</b>: open the slot as master at
 *       that epoch (past every reservation it holds), then accept writes. Acknowledge each one
 *       only while {@link WriteLease#mayAcknowledge()} is true; when it is false, hold the
 *       acknowledgement a moment and then fail the write with a temporary error.
 *   <li><b>Its replicas changed</b>: connect to the replicas it names (a master) or to the
 *       master (a replica); stop shipping to slots no longer named.
 *   <li><b>Its in-sync set</b>: a master keeps it true. Before it acknowledges a write a replica
 *       in the set does not have, it takes that replica out by compare-and-set
 *       ({@link StoreRecords#compareAndSet}) and puts it back when the replica has caught up;
 *       only replicas in the set are ever promoted.
 *   <li><b>The store is gone from the map</b>: stop serving it (keep its data).
 * </ol>
 *
 * A listener must not block on ZooKeeper (it runs on the member's event thread): anything slow is
 * handed to the node's own threads, but the first step (stop acknowledging as a former master)
 * is done before returning. The write lease of a new session opens only after the call that
 * delivered that session's map returned.
 */
@FunctionalInterface
public interface StoreMapListener {
    void onStores(Map<String, StoreRecord> stores);
}
