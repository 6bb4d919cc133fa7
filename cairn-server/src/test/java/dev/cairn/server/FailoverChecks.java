// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.TestCluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

/** What the fault tests of the cluster (a master frozen, cut off, the ZooKeeper leader killed) check on the nodes. */
final class FailoverChecks {
    private static final Pattern FETCH_UID = Pattern.compile("^\\* \\d+ FETCH \\(UID (\\d+) ");
    private static final Pattern SUBJECT = Pattern.compile("^Subject: (.*)$");
    private static final Pattern APPENDUID = Pattern.compile("\\[APPENDUID \\d+ (\\d+)]");
    private static final Pattern SAVED_AS = Pattern.compile(" as UID (\\d+)$");

    private FailoverChecks() {}

    /** UID to subject of every message in the user's INBOX on the node, over IMAP (a login that fails fails the test). */
    static Map<Long, String> subjectsByUid(NodeProcesses p, String node, String user) throws IOException {
        Map<Long, String> out = new TreeMap<>();
        try (NodeProcesses.Imap imap = p.imap(node, user)) {
            assertThat(imap.command("SELECT INBOX").getLast()).contains("OK");
            long uid = -1;
            for (String l : imap.command("UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) {
                Matcher u = FETCH_UID.matcher(l), s = SUBJECT.matcher(l);
                if (u.find()) uid = Long.parseLong(u.group(1));
                else if (s.find() && uid >= 0) out.put(uid, s.group(1).strip());
            }
        }
        return out;
    }

    /**
     * Issue 20 must-show 6, a promotion never loses an account: every user logs in on the node (the
     * new master) and receives a message there, which its INBOX then shows.
     */
    static void everyUserLogsInAndReceivesMail(NodeProcesses p, String node, List<String> users, String tag) throws IOException {
        for (String user : users) {
            String subject = tag + "-" + user;
            assertThat(p.deliver(node, user, subject)).as("delivery to " + user + " on " + node).startsWith("250");
            assertThat(subjectsByUid(p, node, user)).as(user + "'s INBOX on " + node).containsValue(subject);
        }
    }

    /**
     * The acknowledgements {@code node} sent after {@code cutoff} (its session expired) of writes
     * under way at {@code faultAt} (those started after it: {@link #assertRelayedTo}):
     * each is of a message {@code newMaster} held before it became master (replicated before the
     * fault, in sync mode: below the UID of {@code firstOnNewMaster}, the user's first message
     * there, and under the UID an APPEND was answered with), never one only {@code node} had.
     * Returns them.
     *
     * <p>Why such acknowledgements exist at all: a node frozen between its last look at the lease
     * (after the replica's acknowledgement) and the reply leaving it sends the reply when it
     * resumes; what it acknowledges then is on the replica already.
     */
    static List<WriteLoad.Answer> assertLateAcknowledgementsWereReplicated(NodeProcesses p, WriteLoad load, String node, long faultAt,
                                                                          long cutoff, Map<String, String> userOfWriter, String newMaster,
                                                                          Map<String, String> firstOnNewMaster) throws IOException {
        List<WriteLoad.Answer> late = load.from(node).stream()
                .filter(a -> a.acknowledged() && a.answered() - cutoff > 0 && a.started() - faultAt < 0).toList();
        for (WriteLoad.Answer a : late) {
            String user = userOfWriter.get(a.writer());
            Map<Long, String> onMaster = subjectsByUid(p, newMaster, user);
            long first = onMaster.entrySet().stream().filter(e -> e.getValue().equals(firstOnNewMaster.get(user))).mapToLong(Map.Entry::getKey)
                    .findFirst().orElseThrow(() -> new AssertionError(firstOnNewMaster.get(user) + " not on " + newMaster));
            long uid = onMaster.entrySet().stream().filter(e -> e.getValue().equals(a.subject())).mapToLong(Map.Entry::getKey).min()
                    .orElseThrow(() -> new AssertionError(a + ": acknowledged late by " + node + ", not on " + newMaster));
            assertThat(uid).as("%s: acknowledged late by %s, UID %d on %s, which was master from UID %d", a, node, uid, newMaster, first)
                    .isLessThan(first);
            long appended = appendedUid(a.answer());
            if (appended > 0) assertThat(uid).as(a + ": the UID the APPEND was answered with").isEqualTo(appended);
        }
        return late;
    }

    /**
     * Acknowledgements the old master gave after the fault that cannot be its own (a write started
     * after it froze; one answered after its session expired): each must be a delivery it relayed.
     * A cluster node relays an LMTP recipient whose store another node masters (issue 21), so once
     * the old master follows the map as {@code newMaster}'s replica its deliveries are acknowledged
     * by {@code newMaster}: each such message is there under the UID the answer names, at or above
     * the user's first message there ({@code firstOnNewMaster}), i.e. written by the new master as
     * master. A message the old master had taken itself would be below it, or on the new master
     * only as a reconciled copy under another UID.
     */
    static void assertRelayedTo(NodeProcesses p, List<WriteLoad.Answer> acknowledged, Map<String, String> userOfWriter, String newMaster,
                                Map<String, String> firstOnNewMaster) throws IOException {
        for (WriteLoad.Answer a : acknowledged) {
            String user = userOfWriter.get(a.writer());
            Map<Long, String> onMaster = subjectsByUid(p, newMaster, user);
            long first = onMaster.entrySet().stream().filter(e -> e.getValue().equals(firstOnNewMaster.get(user))).mapToLong(Map.Entry::getKey)
                    .findFirst().orElseThrow(() -> new AssertionError(firstOnNewMaster.get(user) + " not on " + newMaster));
            long answered = answeredUid(a.answer());
            assertThat(answered).as("%s: acknowledged without a UID", a).isPositive();
            assertThat(onMaster.get(answered)).as("%s: UID %d on %s, master from UID %d", a, answered, newMaster, first).isEqualTo(a.subject());
            assertThat(answered).as("%s: the UID it was answered with, against %s's first as master", a, newMaster).isGreaterThanOrEqualTo(first);
        }
    }

    /**
     * After the old master rejoined as the new one's replica and caught up: the master has every
     * message anyone acknowledged to alice and bob (one the old master acknowledged alone came back
     * by reconciliation); a UID an APPEND was answered with names that message on the master or
     * nothing (a reconciled message gets a new UID; its old one reads as expunged), never another;
     * and `cairn replica verify` finds both nodes the same.
     */
    static void assertReconciled(NodeProcesses p, TestCluster c, WriteLoad load, String master, String replica) throws Exception {
        Map<Long, String> alice = subjectsByUid(p, master, "alice");
        List<String> all = new ArrayList<>(alice.values());
        all.addAll(subjectsByUid(p, master, "bob").values());
        assertThat(all).containsAll(load.acknowledged());
        for (WriteLoad.Answer a : load.answers()) {
            long uid = appendedUid(a.answer());
            if (a.acknowledged() && uid > 0) {
                assertThat(alice.getOrDefault(uid, a.subject())).as("UID " + uid + " of alice's INBOX on " + master + ", given to " + a)
                        .isEqualTo(a.subject());
            }
        }
        for (String user : List.of("alice", "bob")) {
            eventually(Duration.ofSeconds(30), () -> {
                CliRun verify = CliRun.run("", "replica", "verify", "--config", c.config(master).toString(), "--with",
                        c.config(replica).toString(), "--user", user);
                assertThat(verify.status()).as(verify.out() + verify.err()).isZero();
            });
        }
    }

    /** An APPEND of a small message with this subject (LITERAL+); the tagged answer. */
    static String append(NodeProcesses.Imap imap, String subject) throws IOException {
        String message = "From: imap@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@test>\r\n\r\nappended\r\n";
        int length = message.getBytes(StandardCharsets.UTF_8).length;
        return imap.command("APPEND INBOX {" + length + "+}\r\n" + message).getLast();
    }

    /** The UID an LMTP 250 ("... Saved in INBOX as UID n") or an APPEND's tagged OK (UIDPLUS) names, or -1. */
    static long answeredUid(String answer) {
        Matcher m = SAVED_AS.matcher(answer);
        return m.find() ? Long.parseLong(m.group(1)) : appendedUid(answer);
    }

    /** The UID an APPEND's tagged OK names (UIDPLUS), or -1. */
    static long appendedUid(String tagged) {
        Matcher m = APPENDUID.matcher(tagged);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** When (System.nanoTime) the znode at {@code path} was deleted, 0 until then: a watch set now. */
    static AtomicLong deletionOf(CuratorFramework client, String path) throws Exception {
        AtomicLong at = new AtomicLong();
        Watcher w = (WatchedEvent e) -> {
            if (e.getType() == Watcher.Event.EventType.NodeDeleted) at.compareAndSet(0, System.nanoTime());
        };
        assertThat(client.checkExists().usingWatcher(w).forPath(path)).as(path + " exists").isNotNull();
        return at;
    }

    /**
     * An LMTP transaction opened now up to its recipient (LHLO, MAIL, RCPT answered 250), its
     * message sent later ({@link #finish}): a delivery that was under way when a fault came.
     */
    static final class HeldDelivery implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;
        private final String user;

        HeldDelivery(NodeProcesses p, String node, String user) throws IOException {
            this.user = user;
            socket = new Socket(p.cluster.host(node, "lmtp"), p.cluster.port(node, "lmtp"));
            socket.setSoTimeout(60_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
            line();
            send("LHLO held\r\n");
            String l;
            while ((l = line()).startsWith("250-")) { }
            send("MAIL FROM:<held@example.org>\r\n");
            assertThat(line()).startsWith("250");
            send("RCPT TO:<" + user + "@example.org>\r\n");
            assertThat(line()).startsWith("250");
        }

        /** DATA and the message; the reply, or "closed: ..." when the connection ended. */
        String finish(String subject) {
            try {
                send("DATA\r\n");
                String go = line();
                if (!go.startsWith("354")) return go;
                send("From: held@example.org\r\nTo: " + user + "@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject
                        + "@test>\r\n\r\nheld\r\n.\r\n");
                return line();
            } catch (IOException e) {
                return "closed: " + e.getMessage();
            }
        }

        private void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        private String line() throws IOException {
            String l = in.readLine();
            if (l == null) throw new IOException("closed");
            return l;
        }

        @Override public void close() throws IOException { socket.close(); }
    }
}
