// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fence is never forgotten (issue 19): a former master that another node took over (n2 promoted
 * while n1 ran) started again with its [replication] section left out refuses to start, with one
 * line that says how to rejoin and how to take the slot over; with the section restored it rejoins
 * as a replica; `cairn store takeover` makes it a node of its own, deliberately, which then starts
 * and takes mail, with a new UIDVALIDITY for its mailboxes.
 */
@Timeout(180)
class FencedSlotStartIT {
    @TempDir Path dir;

    /** The node's config without its [replication] section (the tail of the file from "[replication]" on). */
    private static Path withoutReplication(TestCluster c, String node) throws Exception {
        String toml = Files.readString(c.config(node));
        Path single = c.config(node).resolveSibling(node + "-single.toml");
        Files.writeString(single, toml.substring(0, toml.indexOf("[replication]")));
        return single;
    }

    @Test void aFencedFormerMasterStartedWithoutReplicationRefusesUntilItRejoinsOrIsTakenOver() throws Exception {
        TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false").listen("imap", "lmtp", "admin")
                .disable("pop3").replicated("fence test cluster secret", "async").replication("slot = \"s0\"").build();
        try (NodeProcesses p = new NodeProcesses(c, dir)) {
            p.addUsers("alice");
            p.start("n2");
            p.start("n1");
            p.awaitInSync("n2");
            assertThat(p.deliver("n1", "alice", "before")).startsWith("250");
            eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("lag_changes=0").doesNotContainPattern("lag_changes=[1-9]"));
            CliRun promote = CliRun.run("", "store", "promote", "s1", "--to", "n2/s0", "--config", c.config("n2").toString());
            assertThat(promote.status()).as(promote.err()).isZero();
            eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=replica"));
            p.stop("n1");

            // Without [replication]: refused, in one line that says both ways out.
            Path single = withoutReplication(c, "n1");
            NodeProcesses.Exited refused = p.serveUntilExit(single);
            assertThat(refused.status()).as(refused.output()).isEqualTo(1);
            List<String> errors = refused.output().lines().filter(l -> l.startsWith("cairn: ")).toList();
            assertThat(errors).hasSize(1);
            assertThat(errors.getFirst()).contains("this slot is fenced: it is a replica of store s1")
                    .contains("restore the section to rejoin the store").contains("`cairn store takeover s1`");

            // With the section restored it rejoins: a replica of n2, which ships to it again.
            p.start("n1");
            eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=replica").contains("self=n1 in sync as of epoch 1"));
            assertThat(p.deliver("n1", "alice", "to-a-replica")).startsWith("451");
            p.stop("n1");

            // Taken over deliberately: a node of its own, which starts and takes mail.
            CliRun takeover = CliRun.run("", "store", "takeover", "s1", "--config", single.toString());
            assertThat(takeover.status()).as(takeover.err()).isZero();
            assertThat(takeover.out()).startsWith("took the slot over from store s1 at epoch 2").contains("alice INBOX: new UIDVALIDITY");
            p.start("n1", single);
            assertThat(p.deliver("n1", "alice", "after-takeover")).startsWith("250");
            try (NodeProcesses.Imap imap = p.imap("n1", "alice")) {
                assertThat(imap.command("SELECT INBOX").getLast()).contains("OK");
            }
            CliRun again = CliRun.run("", "store", "takeover", "s1", "--config", single.toString());
            assertThat(again.status()).isEqualTo(1);
            assertThat(again.err()).contains("a node (pid ");
        }
    }
}
