// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21 must-show 2: failover under load through a {@code cairn proxy} ({@link ProxiedCluster}:
 * two nodes, n1 master of the sync store s1, n2 its replica). LMTP deliverers and QRESYNC IMAP
 * clients go through the proxy only. When n1 is killed (SIGKILL) every IMAP client's session ends
 * once, its next login waits in the proxy for n2 and succeeds, no UID names two messages, and every
 * delivery is 250 or 4xx, never 5xx, each 250 present exactly once on n2 afterwards. When n1 is
 * frozen (SIGSTOP) instead, its sessions do not end by themselves: the proxy ends them once the map
 * names n2, and the client's reconnect lands on n2.
 */
@Timeout(240)
class ProxyFailoverIT {
    private static final Pattern MESSAGE_ID = Pattern.compile("^Message-ID: <(.*)@test>", Pattern.CASE_INSENSITIVE);

    @TempDir Path dir;

    @Test void clientsThroughTheProxyReconnectOnceAndNoAcknowledgedDeliveryIsLostWhenTheMasterIsKilled() throws Exception {
        try (ProxiedCluster pc = new ProxiedCluster(dir, "alice")) {
            Map<String, String> uids = QresyncWatch.sharedUids();
            List<QresyncWatch> watches = new ArrayList<>();
            for (int i = 0; i < 2; i++) watches.add(new QresyncWatch("proxy-" + i, () -> pc.imap("alice"), uids));
            Deliveries load = new Deliveries(pc, 2);
            eventually(Duration.ofSeconds(30), () -> {
                assertThat(load.acknowledged.size()).as("deliveries acknowledged before the kill").isGreaterThan(10);
                assertThat(uids).as("UIDs the IMAP clients saw before the kill").isNotEmpty();
            });
            assertThat(watches).allSatisfy(w -> assertThat(w.logins()).hasSize(1));

            pc.nodes.awaitInSync("n2");
            long killed = System.nanoTime();
            pc.nodes.kill("n1");
            try {
                eventually(Duration.ofSeconds(60), () -> assertThat(load.firstAcknowledgedAfter(killed)).as("a 250 through the proxy after the kill")
                        .isNotNull());
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nn1's log:\n" + pc.nodes.logLines("n1", "cluster", "store s1", "WARN", "ERROR")
                        + "\nn2's log:\n" + pc.nodes.logLines("n2", "cluster", "store s1", "WARN", "ERROR"), e);
            }
            Deliveries.Acknowledged firstAfter = load.firstAcknowledgedAfter(killed);
            // the clients, reconnected, see what n2 acknowledged
            eventually(Duration.ofSeconds(30), () -> assertThat(uids.containsValue(firstAfter.id() + "@test"))
                    .as("a QRESYNC client saw " + firstAfter.id()).isTrue());
            load.stop();
            for (QresyncWatch w : watches) w.stop();

            Map<String, Integer> present = new HashMap<>();
            try (NodeProcesses.Imap imap = pc.nodes.imap("n2", "alice")) {
                assertThat(imap.command("SELECT INBOX").getLast()).contains("OK");
                for (String l : imap.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")) {
                    Matcher m = MESSAGE_ID.matcher(l);
                    if (m.find()) present.merge(m.group(1), 1, Integer::sum);
                }
            }
            List<QresyncWatch.Login> logins = watches.stream().flatMap(w -> w.logins().stream()).toList();
            long longestLogin = logins.stream().mapToLong(QresyncWatch.Login::millis).max().orElseThrow();
            System.out.printf("ProxyFailoverIT kill -9 of n1 (session timeout %d ms): first 250 through the proxy %d ms after the kill; "
                            + "%d deliveries acknowledged, %d temporary failures (%s), %d permanent; %d IMAP logins through the proxy, "
                            + "longest %d ms (login wait %d ms); %d UIDs seen, %d present on n2%n",
                    ProxiedCluster.SESSION_TIMEOUT.toMillis(), (firstAfter.answered() - killed) / 1_000_000, load.acknowledged.size(),
                    load.temporary.size(), load.temporary.stream().map(a -> a.replaceAll("^(\\d\\d\\d [0-9.]*).*", "$1")).distinct().toList(),
                    load.other.size(), logins.size(), longestLogin, ProxiedCluster.LOGIN_WAIT.toMillis(), uids.size(), present.size());

            assertThat(load.other).as("deliveries answered neither 250 nor 4xx").isEmpty();
            assertThat(load.acknowledged).as("acknowledged deliveries present on n2 exactly once")
                    .allSatisfy(id -> assertThat(present.getOrDefault(id, 0)).as(id).isEqualTo(1));
            for (QresyncWatch w : watches) {
                assertThat(w.ended()).as("sessions that ended under an IMAP client").isEqualTo(1);
                assertThat(w.logins()).as("an IMAP client's logins through the proxy: the first, and one after the kill that waited")
                        .hasSize(2).allSatisfy(l -> assertThat(l.failure()).isNull());
                assertThat(w.reused()).as("a UID that named two messages").isEmpty();
            }
        }
    }

    @Test void aSessionRelayedToAFrozenMasterEndsOnceTheMapNamesTheNewOneAndItsReconnectLandsThere() throws Exception {
        try (ProxiedCluster pc = new ProxiedCluster(dir, "alice");
             NodeProcesses.Imap idle = pc.imap("alice")) {
            assertThat(idle.command("SELECT INBOX").getLast()).contains("OK");
            idle.send("i IDLE");
            assertThat(idle.readLineOrNull()).startsWith("+ ");

            pc.nodes.signal("n1", "STOP");
            long stopped = System.nanoTime();
            Duration bound = ProxiedCluster.SESSION_TIMEOUT.plusSeconds(10);
            idle.timeout(bound);
            String end;
            try {
                String l;
                do {
                    l = idle.readLineOrNull();
                } while (l != null && !l.startsWith("* BYE")); // untagged updates before it would be n1's, sent before it froze
                end = l == null ? "closed" : l;
            } catch (SocketTimeoutException e) {
                end = "still open after " + bound.toMillis() + " ms";
            } catch (IOException e) {
                end = "closed: " + e.getMessage();
            }
            long ended = System.nanoTime();
            assertThat(end).as("the idle session relayed to the frozen n1").startsWith("closed");

            // n1 is still frozen: an APPEND that succeeds through the reconnected session was taken by n2
            long reconnect = System.nanoTime();
            try (NodeProcesses.Imap again = pc.imap("alice")) {
                long loggedIn = System.nanoTime();
                assertThat(FailoverChecks.append(again, "after-freeze")).contains("OK");
                System.out.printf("ProxyFailoverIT SIGSTOP of n1 (session timeout %d ms): the idle session through the proxy closed %d ms after "
                                + "the freeze; the reconnect's login took %d ms%n", ProxiedCluster.SESSION_TIMEOUT.toMillis(),
                        (ended - stopped) / 1_000_000, (loggedIn - reconnect) / 1_000_000);
            }
            assertThat(FailoverChecks.subjectsByUid(pc.nodes, "n2", "alice")).containsValue("after-freeze");
            assertThat(ended - stopped).as("closed within the session timeout + 10 s").isLessThan(bound.toNanos());
            pc.nodes.signal("n1", "CONT");
        }
    }

    /** LMTP deliverers through the proxy, each message a Message-ID of its own, until stopped. */
    private static final class Deliveries {
        final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        final ConcurrentLinkedQueue<String> temporary = new ConcurrentLinkedQueue<>(), other = new ConcurrentLinkedQueue<>();
        private final ConcurrentLinkedQueue<Acknowledged> acknowledgedAt = new ConcurrentLinkedQueue<>();
        private final AtomicLong seq = new AtomicLong();
        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean running = true;

        Deliveries(ProxiedCluster pc, int deliverers) {
            for (int i = 0; i < deliverers; i++) {
                threads.add(Thread.ofPlatform().daemon().name("lmtp-" + i).start(() -> {
                    while (running) {
                        String id = "load-" + seq.incrementAndGet();
                        long started = System.nanoTime();
                        String answer;
                        try {
                            answer = pc.deliver("alice", id);
                        } catch (IOException e) {
                            answer = "closed: " + e.getMessage();
                        }
                        if (answer.startsWith("250")) {
                            acknowledged.add(id);
                            acknowledgedAt.add(new Acknowledged(id, started, System.nanoTime()));
                        } else if (answer.startsWith("4")) {
                            temporary.add(answer);
                        } else {
                            other.add(id + ": " + answer);
                        }
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
        }

        /** A 250: its Message-ID, when it was sent and answered (System.nanoTime). */
        record Acknowledged(String id, long started, long answered) {}

        /** The first delivery sent after {@code after} and acknowledged, null if none yet. */
        Acknowledged firstAcknowledgedAfter(long after) {
            return acknowledgedAt.stream().filter(a -> a.started() - after > 0).min((x, y) -> Long.compare(x.answered() - y.answered(), 0))
                    .orElse(null);
        }

        void stop() throws InterruptedException {
            running = false;
            for (Thread t : threads) t.join(60_000);
        }
    }
}
