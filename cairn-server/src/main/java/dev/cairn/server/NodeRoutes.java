// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.protocol.relay.SessionRoute;
import dev.cairn.protocol.relay.SessionRoutes;
import dev.cairn.store.SlotStore;
import java.net.InetAddress;
import java.util.Objects;

/**
 * Where a cluster node's IMAP and POP3 sessions go after a login (unified mode, issue 21): the
 * cluster's routes once the node joined ({@link #follow}: a user whose store another node masters
 * is relayed there), and a session served here only while the user's slot here takes writes. A
 * slot still fenced (the node has not learned the map yet, or its store moved a moment ago) gets
 * the temporary failure a replica's login always got (IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP]),
 * so this replaces {@link NodeSlots#replicaAware} on a cluster node.
 */
final class NodeRoutes implements SessionRoutes {
    private final SlotStore store;
    private final SessionRoutes cluster;

    /** @param cluster the cluster's routes (over a locator that answers once the node joined) */
    NodeRoutes(SlotStore store, SessionRoutes cluster) {
        this.store = store;
        this.cluster = Objects.requireNonNull(cluster);
    }

    @Override public SessionRoute route(String protocol, String user, InetAddress client, boolean secure) throws InterruptedException {
        SessionRoute r = cluster.route(protocol, user, client, secure);
        if (!(r instanceof SessionRoute.Local)) return r;
        String fence = store.slotOf(user).replication().fenceReason();
        return fence == null ? r : new SessionRoute.Unavailable(fence);
    }
}
