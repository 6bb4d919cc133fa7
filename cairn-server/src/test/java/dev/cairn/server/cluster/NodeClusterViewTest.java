// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cluster.ClusterSnapshot.Reach;
import dev.cairn.server.cluster.NodeClusterView.Link;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How one node judges a peer from its replication links to it. */
class NodeClusterViewTest {
    private static final Instant T1 = Instant.parse("2026-12-07T01:00:00Z"), T2 = T1.plusSeconds(60), T3 = T2.plusSeconds(60);

    private static ClusterSnapshot.Node peer(Link... links) { return NodeClusterView.peer("n1", Map.of(), List.of("s0"), List.of(links)); }

    @Test void aPeerWithoutALinkIsNotKnown() {
        assertThat(peer().reach()).isEqualTo(Reach.UNKNOWN);
        assertThat(peer().since()).isNull();
    }

    @Test void aPeerIsReachableWhileAnyLinkIsUpSinceTheOldestUpLink() {
        ClusterSnapshot.Node n = peer(new Link(false, T1, true, "reset"), new Link(true, T3, true, null), new Link(true, T2, true, null));
        assertThat(n.reach()).isEqualTo(Reach.REACHABLE);
        assertThat(n.since()).isEqualTo(T2);
        assertThat(n.why()).isNull();
    }

    /** A killed master seen by its replica, then a channel of the promoted master that never reached it: the kill dates it. */
    @Test void aPeerIsUnreachableSinceTheLastLinkThatWasUpWentDown() {
        ClusterSnapshot.Node n = peer(new Link(false, T1, true, "EOFException: closed"), new Link(false, T3, false, "refused"),
                new Link(false, T2, true, "EOFException: gone"));
        assertThat(n.reach()).isEqualTo(Reach.UNREACHABLE);
        assertThat(n.since()).isEqualTo(T2);
        assertThat(n.why()).isEqualTo("EOFException: gone");
    }

    @Test void aPeerNeverReachedIsUnreachableSinceTheFirstTry() {
        ClusterSnapshot.Node n = peer(new Link(false, T3, false, "refused"), new Link(false, T1, false, "timed out"));
        assertThat(n.reach()).isEqualTo(Reach.UNREACHABLE);
        assertThat(n.since()).isEqualTo(T1);
        assertThat(n.why()).isEqualTo("timed out");
    }
}
