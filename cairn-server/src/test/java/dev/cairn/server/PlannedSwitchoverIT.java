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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, the drain's primitive: `cairn store switch` between two real nodes under LMTP load
 * (4 connections): s1 moves from n1 to n2 and back, several times. Every delivery that got a 250
 * is on the master at the end, once; no UID names two messages (the 250s, and a QRESYNC client
 * across the switches); the few 451s a switch causes are retried on the new master and succeed;
 * the write pause of each switch is printed. Then the abandon path: the replica frozen (SIGSTOP),
 * the switch gives up within its budget and the master goes on taking mail.
 */
@Timeout(240)
class PlannedSwitchoverIT {
    private static final Pattern SAVED_UID = Pattern.compile("as UID (\\d+)");
    private static final Pattern PAUSE = Pattern.compile("write pause ([0-9.]+) ms \\(catch-up ([0-9.]+) ms, takeover ([0-9.]+) ms\\)");
    private static final List<String> USERS = List.of("alice", "bob");
    private static final int SWITCHES = 6;

    @TempDir Path dir;

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

    private static CliRun switchTo(NodeProcesses p, String from, String to, String budget) {
        return CliRun.run("", "store", "switch", "s1", "--to", to + "/s0", "--budget", budget, "--config", p.cluster.config(from).toString());
    }

    @Test void switchingTheMasterBackAndForthUnderLoadLosesAndReusesNothing() throws Exception {
        TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                .disable("pop3").replicated("switchover test cluster secret", "async").replication("slot = \"s0\"", "sync_timeout = \"2s\"").build();
        try (NodeProcesses p = new NodeProcesses(c, dir)) {
            p.start("n2");
            p.start("n1");
            p.awaitInSync("n2");
            p.addUsersThrough("n1", USERS.toArray(String[]::new));
            assertThat(p.deliver("n1", "alice", "first")).startsWith("250");
            List<InboxSeen> seen = new ArrayList<>();
            seen.add(InboxSeen.select(p, "n1", null));

            // Each sender delivers to the node it believes is master; a 451 sends it (and the same message) to the other.
            Map<String, String> acknowledged = new ConcurrentHashMap<>(); // user/id -> node
            Map<String, String> uids = new ConcurrentHashMap<>(); // user/uid -> id
            AtomicInteger refused = new AtomicInteger(), reused = new AtomicInteger(), retriedOk = new AtomicInteger();
            Set<String> stuck = ConcurrentHashMap.newKeySet();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger ids = new AtomicInteger();
            List<Thread> load = new ArrayList<>();
            for (int s = 0; s < 4; s++) {
                String user = USERS.get(s % 2);
                load.add(Thread.ofVirtual().start(() -> {
                    String node = "n1";
                    while (running.get()) {
                        String id = "m" + ids.incrementAndGet();
                        for (int attempt = 0; ; attempt++) {
                            String answer;
                            try {
                                answer = p.deliver(node, user, id);
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                            if (answer.startsWith("250")) {
                                acknowledged.put(user + "/" + id, node);
                                if (attempt > 0) retriedOk.incrementAndGet();
                                Matcher m = SAVED_UID.matcher(answer);
                                if (m.find() && uids.put(user + "/" + m.group(1), id) != null) reused.incrementAndGet();
                                break;
                            }
                            assertThat(answer).startsWith("451 4.3.0");
                            refused.incrementAndGet();
                            if (attempt == 10) {
                                stuck.add(user + "/" + id + ": " + answer);
                                break;
                            }
                            node = node.equals("n1") ? "n2" : "n1";
                        }
                    }
                }));
            }
            List<Double> pauses = new ArrayList<>();
            List<String> parts = new ArrayList<>();
            String master = "n1";
            for (int i = 0; i < SWITCHES; i++) {
                String replica = master.equals("n1") ? "n2" : "n1";
                int before = acknowledged.size();
                eventually(Duration.ofSeconds(30), () -> assertThat(acknowledged.size()).isGreaterThan(before + 50));
                String m = master;
                eventually(Duration.ofSeconds(30), () -> assertThat(p.status(m)).contains("replica " + replica + " connected"));
                CliRun sw = switchTo(p, master, replica, "10s");
                assertThat(sw.status()).as(sw.out() + sw.err()).isZero();
                assertThat(sw.out()).startsWith("store s1 switched over to " + replica + "/s0 at epoch " + (i + 1));
                Matcher pause = PAUSE.matcher(sw.out());
                assertThat(pause.find()).as(sw.out()).isTrue();
                pauses.add(Double.parseDouble(pause.group(1)));
                parts.add(pause.group(2) + "+" + pause.group(3));
                master = replica;
                assertThat(p.status(master)).contains("role=master");
                seen.add(InboxSeen.select(p, master, seen.getLast()));
            }
            int before = acknowledged.size();
            eventually(Duration.ofSeconds(30), () -> assertThat(acknowledged.size()).isGreaterThan(before + 50));
            running.set(false);
            for (Thread t : load) t.join(30_000);

            assertThat(stuck).as("deliveries refused again and again").isEmpty();
            assertThat(reused).as("250s naming a UID already named").hasValue(0);
            assertThat(refused.get()).as("451s: about one per sender and switch").isLessThanOrEqualTo(4 * SWITCHES * 3);
            assertThat(retriedOk.get()).as("each refused delivery then succeeded").isPositive();
            Map<String, List<Long>> onMaster = new TreeMap<>();
            for (String user : USERS) inbox(p, master, user).forEach((subject, u) -> onMaster.put(user + "/" + subject, u));
            for (String id : acknowledged.keySet()) assertThat(onMaster.get(id)).as(id + " on " + master).hasSize(1);
            seen.add(InboxSeen.select(p, master, seen.getLast()));
            InboxSeen.sameUidSameMessage(seen);
            assertThat(seen.getLast().uidValidity()).as("no switch renews a UIDVALIDITY").isEqualTo(seen.getFirst().uidValidity());

            List<Double> sorted = pauses.stream().sorted().toList();
            System.out.printf("planned switchover: %d switches under LMTP load from 4 connections, write pause per switch (ms) %s,"
                    + " median %.1f ms, max %.1f ms (catch-up+takeover ms: %s); %d deliveries acknowledged, %d refused 451 and retried%n",
                    SWITCHES, pauses, sorted.get(sorted.size() / 2), sorted.getLast(), parts, acknowledged.size(), refused.get());

            // Roles are durable: the replica restarted stays a replica, the master restarted stays master.
            String replica = master.equals("n1") ? "n2" : "n1";
            p.stop(replica);
            p.start(replica);
            p.stop(master);
            p.start(master);
            assertThat(p.status(master)).contains("role=master");
            assertThat(p.status(replica)).contains("role=replica");

            // The abandon path: the replica frozen, the switch gives up within its budget and the master goes on.
            String m = master;
            eventually(Duration.ofSeconds(30), () -> assertThat(p.status(m)).contains("replica " + replica + " connected"));
            p.signal(replica, "STOP");
            try {
                long start = System.nanoTime();
                CliRun given = switchTo(p, master, replica, "2s");
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(given.status()).isNotZero();
                assertThat(given.out() + given.err()).contains("not switched over to " + replica + "/s0");
                assertThat(took).as("gave up within the budget (and a CLI's start)").isLessThan(Duration.ofSeconds(6));
                assertThat(p.deliver(master, "alice", "after-abandon")).startsWith("250");
                assertThat(p.status(master)).contains("role=master");
                System.out.printf("abandoned switchover to a frozen replica: gave up after %d ms (budget 2 s): %s%n", took.toMillis(),
                        (given.out() + given.err()).strip());
            } finally {
                p.signal(replica, "CONT");
            }
        }
    }
}
