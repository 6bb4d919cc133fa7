// SPDX-License-Identifier: Apache-2.0
/**
 * The cluster's coordination on Apache ZooKeeper, through Apache Curator: the only package of
 * Cairn that talks to ZooKeeper. README.md beside the module's POM has the paths, the record
 * formats and the controller's rules; this is the map of the code and the fencing arithmetic.
 *
 * <ul>
 *   <li>{@link dev.cairn.cluster.ClusterMember}: a node's session, registration, progress reports,
 *       the store map it follows ({@link dev.cairn.cluster.StoreMapListener} is the contract the
 *       node implements) and its {@link dev.cairn.cluster.WriteLease};
 *   <li>{@link dev.cairn.cluster.StoreRecords}: store records read and changed by compare-and-set;
 *   <li>{@link dev.cairn.cluster.Controller}: the elected controller, which plans by
 *       {@code FailoverPlanner}'s rules and writes promotions in parallel;
 *   <li>{@link dev.cairn.cluster.RecordCodec}: the text of every record, refusing what is not one.
 * </ul>
 *
 * <h2>Fencing: why a node stops acknowledging before its session can expire</h2>
 *
 * Let T be the session timeout the ensemble granted (asked for by {@code session_timeout};
 * ZooKeeper clamps it to [2, 20] ticks by default).
 *
 * <ul>
 *   <li><b>The ensemble</b> expires a session when nothing from its client reached it for T (the
 *       leader checks every tick, so between T and T + tick after the last touch). A follower
 *       passes its clients' touches on to the leader with its own pings (every half tick).
 *   <li><b>The ZooKeeper client</b> pings when idle every T/3 and gives the connection up when it
 *       heard nothing for its read timeout, 2T/3 (Curator then says SUSPENDED); each attempt to
 *       connect to one server may take T divided by the number of servers.
 *   <li><b>Curator</b> says LOST when a suspension has lasted T (it cannot hear "expired" from an
 *       ensemble it cannot reach) and starts a new session on reconnection. Its connection timeout
 *       ({@code connection_timeout}) only bounds the first connection and each blocking call.
 *   <li><b>The lease</b>: every T/6 the member sends a {@code sync}, which a follower must pass to
 *       the leader; when the answer comes the lease runs until the send time + T/2. The session
 *       was alive when that request arrived, after it was sent, so the ensemble cannot expire it
 *       before the send time + T: the lease ends at least T/2 before the session can end, whatever
 *       happens in between, with no event needed (a JVM paused for longer than that finds its
 *       lease over at its next look: {@code mayAcknowledge} compares the clock). The lease also
 *       shuts at once on SUSPENDED or LOST, whichever comes first.
 *   <li><b>The margin</b> of T/2 (5 s at the default 10 s) covers a pause between the check and
 *       the acknowledgement leaving the node, the leader learning a follower's touch late (at most
 *       a heartbeat and half a tick), and clock rates. The controller acts only once the session
 *       expired (the registration is deleted) and the new master only after it learned the map,
 *       so the last acknowledgement of the old master comes before the first of the new.
 *   <li><b>Back on the same session</b> (a reconnection ZooKeeper accepted, which it never does
 *       for an expired session) the lease opens again, still ending T/2 after the last answered
 *       heartbeat until the next one is answered.
 *   <li><b>A new session</b> means the node was given up: its registration and progress were
 *       deleted and the controller may have moved its masters. The member waits for its
 *       registration to be back on the new session, reads every store record after a
 *       {@code sync}, claims again the stores still naming it master (a compare-and-set of each
 *       record onto itself: either a controller's promotion was written first and the claim
 *       fails, or the promotion fails on the version and the controller, planning again, sees the
 *       registration), hands the map to the node, and only then opens the lease.
 * </ul>
 *
 * Measured on this machine (ClusterMemberIT, T = 4 s): see the module README.
 */
package dev.cairn.cluster;
