// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, must-show 3: the replica is killed, the master goes on alone (within its reserved
 * UIDs), the master is killed, the replica restarts. It cannot show that it is in sync: a plain
 * `cairn store promote` is refused with one line that says since when; `--force` promotes it, and
 * every mailbox gets a new UIDVALIDITY. A QRESYNC client that knew the old master's mailbox sees
 * the new UIDVALIDITY (a full resync, RFC 7162 §3.2.5), never a UID of the old one reused; when
 * the old master returns, everything it acknowledged is merged into the new master and reported.
 */
@Timeout(180)
class UncleanPromotionIT {
    private static final Pattern UIDVALIDITY = Pattern.compile("\\[UIDVALIDITY (\\d+)]");
    private static final Pattern HIGHESTMODSEQ = Pattern.compile("\\[HIGHESTMODSEQ (\\d+)]");
    private static final Pattern FETCH = Pattern.compile("^\\* \\d+ FETCH \\(.*UID (\\d+)");

    @TempDir Path dir;

    /** What a QRESYNC client knows of alice's INBOX: UIDVALIDITY, HIGHESTMODSEQ and UID -> subject. */
    private record Known(long uidValidity, long highestModSeq, Map<Long, String> subjects) {}

    private static long find(Pattern p, List<String> lines) {
        for (String l : lines) {
            Matcher m = p.matcher(l);
            if (m.find()) return Long.parseLong(m.group(1));
        }
        return -1;
    }

    /** SELECT INBOX (QRESYNC (...)) when {@code before} is given, else a plain SELECT; then every UID with its subject. */
    private static Known select(NodeProcesses p, String node, Known before) throws Exception {
        try (NodeProcesses.Imap imap = p.imap(node, "alice")) {
            assertThat(imap.command("ENABLE QRESYNC").getLast()).contains("OK");
            List<String> selected = imap.command(before == null ? "SELECT INBOX"
                    : "SELECT INBOX (QRESYNC (" + before.uidValidity() + " " + before.highestModSeq() + "))");
            assertThat(selected.getLast()).contains("OK");
            long uidValidity = find(UIDVALIDITY, selected);
            if (before != null && uidValidity != before.uidValidity()) {
                // RFC 7162 §3.2.5: another UIDVALIDITY means no VANISHED and no changes reported against the old state.
                assertThat(selected).noneMatch(l -> l.startsWith("* VANISHED"));
            }
            Map<Long, String> subjects = new HashMap<>();
            long uid = -1;
            for (String l : imap.command("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) {
                Matcher m = FETCH.matcher(l);
                if (m.find()) uid = Long.parseLong(m.group(1));
                if (l.startsWith("Subject: ")) subjects.put(uid, l.substring(9).strip());
            }
            return new Known(uidValidity, find(HIGHESTMODSEQ, selected), subjects);
        }
    }

    /** A client never sees one UID under one UIDVALIDITY name two messages: checked across everything it saw. */
    private static void sameUidSameMessage(List<Known> seen) {
        Map<String, String> byValidityAndUid = new HashMap<>();
        for (Known k : seen) {
            k.subjects().forEach((uid, subject) -> {
                String before = byValidityAndUid.putIfAbsent(k.uidValidity() + "/" + uid, subject);
                if (before != null) assertThat(subject).as("UID " + uid + " under UIDVALIDITY " + k.uidValidity()).isEqualTo(before);
            });
        }
    }

    @Test void aReplicaThatRestartedWhileTheMasterWentOnIsPromotedOnlyByForceWithNewUidValidities() throws Exception {
        TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                .disable("pop3").replicated("unclean test cluster secret", "async")
                .replication("slot = \"s0\"", "sync_timeout = \"1s\"").build();
        try (NodeProcesses p = new NodeProcesses(c, dir)) {
            p.addUsers("alice");
            p.start("n2");
            p.start("n1");
            p.awaitInSync("n2");
            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                assertThat(p.deliver("n1", "alice", "both-" + i)).startsWith("250");
                acknowledged.add("both-" + i);
            }
            eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("lag_changes=0").doesNotContainPattern("lag_changes=[1-9]"));

            // The replica dies; the master goes on alone (async: at once), within the UIDs the replica reserved.
            p.kill("n2");
            for (int i = 0; i < 10; i++) {
                assertThat(p.deliver("n1", "alice", "only-n1-" + i)).startsWith("250");
                acknowledged.add("only-n1-" + i);
            }
            Known onOldMaster = select(p, "n1", null);
            assertThat(onOldMaster.subjects()).hasSize(15);
            eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("replica=n2 out of sync since"));
            p.kill("n1");

            // The replica restarts: it has not been told since that it holds everything n1 acknowledged.
            p.start("n2");
            assertThat(p.status("n2")).contains("self=n2 out of sync since").contains("restarted at");
            CliRun refused = CliRun.run("", "store", "promote", "s1", "--to", "n2/s0", "--config", c.config("n2").toString());
            assertThat(refused.status()).isEqualTo(1);
            assertThat(refused.err().strip().lines()).hasSize(1);
            assertThat(refused.err()).contains("replica n2/s0 of s1 is out of sync since ").contains("restarted at")
                    .contains("promoting it may lose what only n1/s0 acknowledged after that; use --force to promote it anyway");
            assertThat(p.status("n2")).contains("role=replica");

            CliRun forced = CliRun.run("", "store", "promote", "s1", "--to", "n2/s0", "--force", "--config", c.config("n2").toString());
            assertThat(forced.status()).as(forced.err()).isZero();
            assertThat(forced.out()).startsWith("store s1 is now mastered here at epoch 1, promoted by force (unclean")
                    .contains("store s1: alice INBOX: new UIDVALIDITY ");
            assertThat(p.admin("n2", "GET", "/replication/report")).contains("store s1: alice INBOX: new UIDVALIDITY ");

            // The QRESYNC client that knew n1's INBOX gets the new UIDVALIDITY: it forgets its UIDs and resyncs.
            Known onNewMaster = select(p, "n2", onOldMaster);
            assertThat(onNewMaster.uidValidity()).isGreaterThan(onOldMaster.uidValidity());
            assertThat(onNewMaster.subjects()).hasSize(5);
            sameUidSameMessage(List.of(onOldMaster, onNewMaster));

            // The old master returns (its config still names it master): fenced by epoch 1, it becomes a
            // replica, and what only it had is merged into the new master and reported.
            p.start("n1");
            eventually(Duration.ofSeconds(60), () -> assertThat(p.admin("n2", "GET", "/replication/report")).contains("reconciled alice"));
            eventually(Duration.ofSeconds(30), () -> {
                Known now = select(p, "n2", onNewMaster);
                assertThat(now.subjects().values()).containsExactlyInAnyOrderElementsOf(acknowledged);
            });
            Known after = select(p, "n2", onNewMaster);
            assertThat(after.uidValidity()).isEqualTo(onNewMaster.uidValidity());
            sameUidSameMessage(List.of(onOldMaster, onNewMaster, after));
            assertThat(p.status("n1")).contains("role=replica");
        }
    }
}
