// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cluster.ClusterSnapshot.Reach;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterStatusTextTest {
    private static final Instant T = Instant.parse("2026-12-07T04:00:00Z"), NOW = T.plusSeconds(75);

    @Test void nodesStoresReplicasLagAndFailoversArePrinted() {
        ClusterSnapshot s = new ClusterSnapshot(NOW, "ZooKeeper /cairn", null,
                List.of(new ClusterSnapshot.Node("n1", false, Map.of("imap", "10.0.0.1:143"), Reach.REACHABLE, T, null, List.of("s0", "s1")),
                        new ClusterSnapshot.Node("n3", false, Map.of(), Reach.UNREACHABLE, T.plusSeconds(15), "not registered", List.of("s0"))),
                List.of(new ClusterSnapshot.Store("s1", "n1/s0", "sync", 4, null, false,
                                List.of(new ClusterSnapshot.Replica("n2/s0", true, null, null, null, 12L, null),
                                        new ClusterSnapshot.Replica("n3/s0", false, "reports no progress", false, null, null, null))),
                        new ClusterSnapshot.Store("s2", null, "sync", 7, T, true, List.of())),
                List.of(new ClusterSnapshot.Failover(T.plusSeconds(20), "s1", "n3/s0", "n1/s0", 4, ClusterSnapshot.How.CLEAN)));
        assertThat(ClusterStatusText.render(s, NOW)).isEqualTo("""
                cluster as seen by ZooKeeper /cairn at 2026-12-07T04:01:15Z

                nodes
                  n1  reachable since 2026-12-07T04:00:00Z (1 min 15 s)  slots s0,s1  imap 10.0.0.1:143
                  n3  UNREACHABLE since 2026-12-07T04:00:15Z (1 min 0 s): not registered  slots s0

                stores
                  s1  master n1/s0  sync  epoch 4  ok
                      n2/s0  in sync      lag 12
                      n3/s0  out of sync  lag -  disconnected  (reports no progress)
                  s2  master NONE  sync  epoch 7  NO MASTER
                      no replica

                last failovers
                  2026-12-07T04:00:20Z  s1  n3/s0 -> n1/s0  epoch 4  clean
                """);
    }

    @Test void frontEndsArePrintedAfterTheNodesAndOnlyWhenThereAreAny() {
        ClusterSnapshot s = new ClusterSnapshot(NOW, "zk", null, List.of(), List.of(), List.of(),
                List.of(new ClusterSnapshot.Frontend("proxy-1", Map.of("imaps", "10.0.0.9:993", "imap", "10.0.0.9:143"), "0.1.0", T),
                        new ClusterSnapshot.Frontend("p2\u001b[2J", Map.of(), "dev\r\nforged", T)));
        String text = ClusterStatusText.render(s, NOW);
        assertThat(text).contains("""

                front-ends
                  proxy-1  since 2026-12-07T04:00:00Z  version 0.1.0  imap 10.0.0.9:143  imaps 10.0.0.9:993
                """).doesNotContain("\u001b", "\r");
        assertThat(text.indexOf("front-ends")).isBetween(text.indexOf("nodes"), text.indexOf("stores"));
        assertThat(ClusterStatusText.render(new ClusterSnapshot(NOW, "zk", null, List.of(), List.of(), List.of()), NOW)).doesNotContain("front-ends");
    }

    @Test void aStalePictureSaysHowOldItIs() {
        ClusterSnapshot s = new ClusterSnapshot(T, "zk", "no connection to ZooKeeper since 2026-12-07T04:00:00Z", List.of(), List.of(), List.of());
        assertThat(ClusterStatusText.render(s, NOW)).startsWith("""
                cluster as seen by zk at 2026-12-07T04:00:00Z
                STALE (1 min 15 s old): no connection to ZooKeeper since 2026-12-07T04:00:00Z
                """).contains("nodes\n  none\n").contains("stores\n  none\n").contains("last failovers\n  none\n");
    }

    /** A name read from the cluster cannot drive the terminal (ESC sequences, bidi overrides, line breaks). */
    @Test void controlCharactersInNamesArePrintedInert() {
        String evil = "n\u001b[2J\u001b]0;owned\u0007\r\n\u202e";
        ClusterSnapshot s = new ClusterSnapshot(T, evil, null,
                List.of(new ClusterSnapshot.Node(evil, false, Map.of(evil, evil), Reach.UNREACHABLE, null, evil, List.of(evil))),
                List.of(), List.of());
        String text = ClusterStatusText.render(s, NOW);
        assertThat(text).doesNotContain("\u001b", "\u0007", "\r", "\u202e");
        assertThat(text.lines().filter(l -> l.contains("owned")).count()).isEqualTo(2); // the source line and the node line
    }
}
