// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.FaultProxy;
import dev.cairn.testkit.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, must-show 4: a split brain. Two `cairn serve` processes reach each other only through
 * {@link FaultProxy}s; the link is cut silently (a partition, not a refusal) while both serve, the
 * operator promotes n2 by hand, both sides take deliveries, and the link heals. The invariant of
 * must-show 3 holds on both sides' clients: no UID under one UIDVALIDITY ever names two messages,
 * across what a QRESYNC client saw on n1 during the partition and on n2 before and after the heal;
 * and nothing either side acknowledged is lost: after the heal the older epoch (n1) is fenced, its
 * deliveries are merged into n2 (the report says so) and its UIDs read as expunged there.
 */
@Timeout(240)
class SplitBrainIT {
    @TempDir Path dir;

    @Test void bothSidesOfAPartitionTakeMailAndAfterTheHealNoUidNamesTwoMessagesAndNothingIsLost() throws Exception {
        TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                .disable("pop3").replicated("split brain test cluster secret", "async")
                .replication("slot = \"s0\"", "sync_timeout = \"1s\"").build();
        Map<String, FaultProxy> links = c.proxies();
        try (NodeProcesses p = new NodeProcesses(c, dir)) {
            p.start("n2");
            p.start("n1");
            p.awaitInSync("n2");
            p.addUsersThrough("n1", "alice");
            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                assertThat(p.deliver("n1", "alice", "before-" + i)).startsWith("250");
                acknowledged.add("before-" + i);
            }
            eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("lag_changes=0").doesNotContainPattern("lag_changes=[1-9]"));
            InboxSeen beforeCut = InboxSeen.select(p, "n1", null);
            assertThat(beforeCut.subjects()).hasSize(3);

            // The partition: every byte between the nodes is dropped, no connection is refused or reset.
            links.values().forEach(FaultProxy::blackhole);
            CliRun promote = CliRun.run("", "store", "promote", "s1", "--to", "n2/s0", "--config", c.config("n2").toString());
            if (promote.status() != 0) { // it may already know it lost the link: then only by force
                assertThat(promote.err()).contains("use --force");
                promote = CliRun.run("", "store", "promote", "s1", "--to", "n2/s0", "--force", "--config", c.config("n2").toString());
            }
            assertThat(promote.status()).as(promote.err()).isZero();
            String how = promote.out().lines().findFirst().orElse("");

            // Both sides take mail: n1 does not know it was replaced (degraded at worst), n2 is the new master.
            for (int i = 0; i < 3; i++) {
                assertThat(p.deliver("n1", "alice", "n1-side-" + i)).as("n1 during the partition").startsWith("250");
                acknowledged.add("n1-side-" + i);
                assertThat(p.deliver("n2", "alice", "n2-side-" + i)).as("n2 during the partition").startsWith("250");
                acknowledged.add("n2-side-" + i);
            }
            InboxSeen onN1 = InboxSeen.select(p, "n1", beforeCut);
            InboxSeen onN2 = InboxSeen.select(p, "n2", beforeCut);
            assertThat(onN1.subjects()).hasSize(6);
            assertThat(onN2.subjects()).hasSize(6);
            InboxSeen.sameUidSameMessage(List.of(beforeCut, onN1, onN2));

            // The heal: n1 learns of epoch 1 and is fenced; what only it had is merged into n2.
            links.values().forEach(FaultProxy::heal);
            eventually(Duration.ofSeconds(60), () -> assertThat(p.status("n1")).contains("role=replica"));
            eventually(Duration.ofSeconds(60), () -> assertThat(p.admin("n2", "GET", "/replication/report")).contains("reconciled alice"));
            eventually(Duration.ofSeconds(30), () -> assertThat(InboxSeen.select(p, "n2", onN2).subjects().values())
                    .containsExactlyInAnyOrderElementsOf(acknowledged));

            // The client that was on n1 during the partition comes to n2 with what it knew.
            InboxSeen movedClient = InboxSeen.select(p, "n2", onN1);
            InboxSeen.sameUidSameMessage(List.of(beforeCut, onN1, onN2, movedClient));
            if (movedClient.uidValidity() == onN1.uidValidity()) {
                // Same UIDVALIDITY: n1's own UIDs are gone here (its messages came back under new UIDs), and QRESYNC says so.
                for (Map.Entry<Long, String> e : onN1.subjects().entrySet()) {
                    if (e.getValue().startsWith("n1-side-")) assertThat(movedClient.subjects()).doesNotContainKey(e.getKey());
                }
                assertThat(movedClient.vanished()).as("VANISHED (EARLIER) for n1's UIDs").isNotEmpty();
            }
            System.out.printf("split brain: %s; UIDVALIDITY %d on n1, %d on n2 during, %d after; UIDs n1 %s, n2 %s; VANISHED %s%n",
                    how, onN1.uidValidity(), onN2.uidValidity(), movedClient.uidValidity(), onN1.subjects().keySet(),
                    onN2.subjects().keySet(), movedClient.vanished());
        } finally {
            links.values().forEach(FaultProxy::close);
        }
    }
}
