// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, must-show 2: a two-slot store in sync mode (master n1, replica n2), LMTP load, the
 * master killed with SIGKILL under it, `cairn store promote` on the replica: the plain promotion is
 * accepted (the replica was in sync, and says so), every user logs in on the new master, every
 * message that got a 250 is there exactly once, and the UIDs the new master hands out are above
 * every UID a 250 named before.
 *
 * <p>The accounts are added on both nodes' directories (they do not follow the store yet).
 */
@Timeout(180)
class PromoteAfterMasterLossIT {
    private static final Pattern SAVED_UID = Pattern.compile("as UID (\\d+)");
    private static final List<String> USERS = List.of("alice", "bob");

    @TempDir Path dir;

    private NodeProcesses cluster() throws Exception {
        TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                .disable("pop3").replicated("promote test cluster secret", "sync").replication("slot = \"s0\"", "sync_timeout = \"2s\"").build();
        NodeProcesses p = new NodeProcesses(c, dir);
        p.addUsers(USERS.toArray(String[]::new));
        p.start("n2");
        p.start("n1");
        p.awaitInSync("n2");
        return p;
    }

    /** Subject -> UIDs in the user's INBOX on the node. */
    private static Map<String, List<Long>> inbox(NodeProcesses p, String node, String user) throws Exception {
        Map<String, List<Long>> out = new TreeMap<>();
        try (NodeProcesses.Imap imap = p.imap(node, user)) {
            assertThat(imap.command("SELECT INBOX").getLast()).contains("OK");
            long uid = -1;
            for (String l : imap.command("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) {
                Matcher m = Pattern.compile("UID (\\d+)").matcher(l);
                if (l.startsWith("* ") && m.find()) uid = Long.parseLong(m.group(1));
                if (l.startsWith("Subject: ")) out.computeIfAbsent(l.substring(9).strip(), k -> new ArrayList<>()).add(uid);
            }
        }
        return out;
    }

    @Test void aPlainPromotionOfAnInSyncReplicaAfterTheMasterIsKilledKeepsEveryAcknowledgedMessageOnce() throws Exception {
        try (NodeProcesses p = cluster()) {
            // LMTP load on n1 from 4 connections; what got a 250 (and the UID it named) is remembered.
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicLong highestUid = new AtomicLong();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger ids = new AtomicInteger();
            List<Thread> load = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                String user = USERS.get(c % 2);
                load.add(Thread.ofVirtual().start(() -> {
                    while (running.get()) {
                        String id = "m" + ids.incrementAndGet();
                        try {
                            String answer = p.deliver("n1", user, id);
                            if (!answer.startsWith("250")) continue;
                            acknowledged.add(user + "/" + id);
                            Matcher m = SAVED_UID.matcher(answer);
                            if (m.find()) highestUid.accumulateAndGet(Long.parseLong(m.group(1)), Math::max);
                        } catch (java.io.IOException e) {
                            return; // the master died under it: may or may not be there
                        }
                    }
                }));
            }
            eventually(Duration.ofSeconds(30), () -> assertThat(acknowledged).hasSizeGreaterThan(100));
            p.kill("n1");
            running.set(false);
            for (Thread t : load) t.join(30_000);

            CliRun promote = CliRun.run("", "store", "promote", "s1", "--to", "n2/s0", "--config", p.cluster.config("n2").toString());
            assertThat(promote.status()).as(promote.err()).isZero();
            assertThat(promote.out()).startsWith("store s1 is now mastered here at epoch 1 (this replica is in sync as of epoch 0");
            assertThat(p.status("n2")).contains("role=master");

            // Every user logs in; everything acknowledged is there exactly once.
            Map<String, List<Long>> seen = new TreeMap<>();
            for (String user : USERS) inbox(p, "n2", user).forEach((subject, uids) -> seen.put(user + "/" + subject, uids));
            for (String id : acknowledged) assertThat(seen.get(id)).as(id + " on the new master").hasSize(1);

            // n1 comes back (fenced by the newer epoch, a replica of n2 now): the new master writes with UIDs above every one before.
            p.start("n1");
            eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=replica"));
            eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n2")).contains(" connected").doesNotContain("disconnected"));
            for (String user : USERS) {
                String answer = p.deliver("n2", user, "after-" + user);
                assertThat(answer).startsWith("250");
                Matcher m = SAVED_UID.matcher(answer);
                assertThat(m.find()).isTrue();
                assertThat(Long.parseLong(m.group(1))).as("new UID of " + user).isGreaterThan(highestUid.get());
            }
            System.out.printf("promote after master loss: %d acknowledged, highest UID before %d%n", acknowledged.size(), highestUid.get());
        }
    }

    /**
     * The rest of must-show 2: writes are accepted on the new master within a second of the command,
     * with the old master still dead. Needs degraded mode (i19-degrade): without it a master with no
     * reachable replica refuses every commit that needs a UID reservation (451 after sync_timeout).
     */
    @Disabled("needs degraded mode (issue 19 item 1, branch i19-degrade): enable when merged")
    @Test void writesAreAcceptedOnTheNewMasterWithinASecondOfThePromotion() throws Exception {
        try (NodeProcesses p = cluster()) {
            assertThat(p.deliver("n1", "alice", "before")).startsWith("250");
            p.kill("n1");
            long start = System.nanoTime();
            CliRun promote = CliRun.run("", "store", "promote", "s1", "--to", "n2/s0", "--config", p.cluster.config("n2").toString());
            assertThat(promote.status()).as(promote.err()).isZero();
            assertThat(p.deliver("n2", "alice", "after")).startsWith("250");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        }
    }
}
