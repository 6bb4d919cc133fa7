// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.TestCluster;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, slots and stores (FastMail's crosswise pair): two real nodes of two slots each. n1
 * holds slot a, the master of store A, and slot b, a replica of store B; n2 holds the replica of A
 * and the master of B. Each node serves the users of its master slot and refuses (at login and at
 * RCPT, with the fence's words) the users of its replica slot. n2 is killed with SIGKILL and B is
 * promoted to n1/b: n1 then serves the users of both stores, and the users of A were never
 * interrupted (a session open throughout, every delivery answered 250). Then A moves to n2 (back,
 * after n2 rejoined): the fence ends the session of A's user on n1 and leaves B's user's alone.
 */
@Timeout(240)
class CrosswiseSlotsIT {
    @TempDir Path dir;

    private NodeProcesses cluster() throws Exception {
        TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                .disable("pop3").slots("n1", "a", "b").slots("n2", "a", "b").replicated("crosswise test cluster secret", "sync")
                .replication("sync_timeout = \"1s\"").storeOfSlots("A", "n1/a", "n2/a").storeOfSlots("B", "n2/b", "n1/b").build();
        NodeProcesses p = new NodeProcesses(c, dir);
        p.start("n1");
        p.start("n2");
        awaitInSync(p, "n2", "A");
        awaitInSync(p, "n1", "B");
        p.addUsersThrough("n1", "alice"); // a new user goes to the node's writable slot: A's master
        p.addUsersThrough("n2", "bob");
        return p;
    }

    /** The lines of the store's part of the node's /replication/status. */
    private static String storeStatus(NodeProcesses p, String node, String store) throws Exception {
        StringBuilder b = new StringBuilder();
        boolean in = false;
        for (String l : p.status(node).split("\n")) {
            if (l.startsWith("store ")) in = l.startsWith("store " + store + " ");
            if (in) b.append(l).append('\n');
        }
        return b.toString();
    }

    private static void awaitInSync(NodeProcesses p, String replica, String store) throws Exception {
        eventually(Duration.ofSeconds(60), () -> assertThat(storeStatus(p, replica, store)).contains("self=" + replica + " in sync as of epoch"));
    }

    /** The subjects in the user's INBOX on the node. */
    private static List<String> subjects(NodeProcesses p, String node, String user) throws Exception {
        try (NodeProcesses.Imap imap = p.imap(node, user)) {
            return subjects(imap);
        }
    }

    private static List<String> subjects(NodeProcesses.Imap imap) throws IOException {
        assertThat(imap.command("SELECT INBOX").getLast()).contains("OK");
        List<String> out = new ArrayList<>();
        for (String l : imap.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) {
            if (l.startsWith("Subject: ")) out.add(l.substring(9).strip());
        }
        return out;
    }

    @Test void afterTheMasterOfBIsKilledNodeOneServesTheUsersOfBothStoresAndTheUsersOfANeverNoticed() throws Exception {
        try (NodeProcesses p = cluster()) {
            assertThat(p.deliver("n1", "alice", "a-before")).startsWith("250");
            assertThat(p.deliver("n2", "bob", "b-before")).startsWith("250");
            // Each node refuses the users of its replica slot, with the fence's words, and serves its master slot's.
            eventually(Duration.ofSeconds(30), () -> assertThat(p.deliver("n1", "bob", "b-refused"))
                    .startsWith("451").contains("store B is a replica here"));
            eventually(Duration.ofSeconds(30), () -> assertThat(p.deliver("n2", "alice", "a-refused"))
                    .startsWith("451").contains("store A is a replica here"));
            assertThat(loginAnswer(p, "n1", "bob")).contains("NO [UNAVAILABLE]");
            assertThat(loginAnswer(p, "n1", "alice")).isEqualTo("OK (logged in)");
            assertThat(subjects(p, "n2", "bob")).containsExactly("b-before");
            awaitInSync(p, "n1", "B");

            // Alice stays logged in on n1 and gets mail while n2 dies and B moves to n1.
            NodeProcesses.Imap alice = p.imap("n1", "alice");
            assertThat(subjects(alice)).containsExactly("a-before");
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger delivered = new AtomicInteger();
            List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread load = Thread.ofVirtual().start(() -> {
                while (running.get()) {
                    String id = "a-load-" + (delivered.get() + failures.size());
                    try {
                        String answer = p.deliver("n1", "alice", id);
                        if (answer.startsWith("250")) delivered.incrementAndGet();
                        else failures.add(id + ": " + answer);
                    } catch (IOException e) {
                        failures.add(id + ": " + e);
                    }
                }
            });
            eventually(Duration.ofSeconds(30), () -> assertThat(delivered.get()).isGreaterThan(3));
            p.kill("n2");
            // Not --force: n1/b was in sync with B's master when it died (sync mode), so the plain promotion is taken.
            CliRun promote = CliRun.run("", "store", "promote", "B", "--to", "n1/b", "--config", p.cluster.config("n1").toString());
            assertThat(promote.status()).as(promote.out() + promote.err()).isZero();
            assertThat(promote.out()).startsWith("store B is now mastered here at epoch 1");
            int before = delivered.get();
            eventually(Duration.ofSeconds(30), () -> assertThat(delivered.get()).isGreaterThan(before + 3));
            running.set(false);
            load.join(30_000);
            assertThat(failures).as("deliveries to A's user on n1").isEmpty();

            // n1 serves bob now: his earlier mail is there, a new delivery gets 250.
            assertThat(p.deliver("n1", "bob", "b-after")).startsWith("250");
            assertThat(subjects(p, "n1", "bob")).containsExactly("b-before", "b-after");
            // Alice's session went on through it all, and sees every message that got a 250.
            List<String> seen = subjects(alice);
            assertThat(seen).contains("a-before").hasSize(1 + delivered.get());

            // n2 comes back: its b learns of epoch 1 (a replica of n1 now), its a catches up with A.
            p.start("n2");
            awaitInSync(p, "n2", "A");
            eventually(Duration.ofSeconds(60), () -> assertThat(storeStatus(p, "n2", "B")).contains("role=replica"));
            NodeProcesses.Imap bob = p.imap("n1", "bob");
            assertThat(bob.command("NOOP").getLast()).contains("OK");

            // A moves to n2: the fence of n1/a ends alice's session on n1, with BYE [UNAVAILABLE]; bob's (slot b) goes on.
            CliRun moveA = CliRun.run("", "store", "promote", "A", "--to", "n2/a", "--config", p.cluster.config("n2").toString());
            assertThat(moveA.status()).as(moveA.out() + moveA.err()).isZero();
            eventually(Duration.ofSeconds(30), () -> assertThat(endedWithBye(alice)).contains("* BYE [UNAVAILABLE]"));
            assertThat(bob.command("NOOP").getLast()).contains("OK");
            assertThat(subjects(bob)).containsExactly("b-before", "b-after");
            assertThat(p.deliver("n2", "alice", "a-moved")).startsWith("250");
            assertThat(loginAnswer(p, "n1", "alice")).contains("NO [UNAVAILABLE]");
            alice.close();
            bob.close();
            System.out.printf("crosswise slots: %d deliveries to A's user on n1 through the loss of n2 and B's promotion, 0 failed%n",
                    delivered.get());
        }
    }

    /** The BYE line a session got (a NOOP answered OK meanwhile gives ""). */
    private static String endedWithBye(NodeProcesses.Imap imap) {
        try {
            return String.join("\n", imap.command("NOOP")).contains("BYE") ? "* BYE [UNAVAILABLE]" : "";
        } catch (IOException closed) {
            return imap.lastBye();
        }
    }

    /** The tagged answer to a correct LOGIN on the node. */
    private static String loginAnswer(NodeProcesses p, String node, String user) throws Exception {
        try (NodeProcesses.Imap imap = p.imap(node, user)) {
            return "OK (logged in)";
        } catch (IOException refused) {
            return refused.getMessage();
        }
    }
}
