// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotStore;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.store.rocks.RocksSlotStore;
import dev.cairn.testkit.TestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two node processes on loopback, store s1 (master n1, replica n2), LMTP deliveries from 8
 * connections to 4 users, and the replica killed with SIGKILL under load. With
 * {@code on_replica_loss = "degrade"} (the default) no delivery fails: async at once, sync after
 * waiting at most {@code sync_timeout}; the master runs degraded far past every reservation (small
 * blocks and a small window here, so each INBOX passes the window and gets a new UIDVALIDITY);
 * the replica restarts, catches up, the store leaves degraded mode by itself and both copies are
 * equal. With {@code "refuse"} the master answers 451 4.3.0 instead and nothing it acknowledged is
 * missing on the replica's disk. Deliveries: 2,500 here; {@code CAIRN_REPLICA_LOSS_DELIVERIES=N}
 * for more (bench/replica-loss.sh runs 100,000 with the default blocks and window, and a longer
 * timeout than the default {@code cairn.it.timeout} of every integration test).
 */
class ReplicaLossIT {
    private static final String SECRET = "replica loss test cluster secret";
    private static final String PASSWORD = NodeProcesses.PASSWORD;
    private static final List<String> USERS = List.of("u0", "u1", "u2", "u3");
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(2);
    private static final Pattern UIDVALIDITY = Pattern.compile("\\[UIDVALIDITY (\\d+)]");

    @TempDir Path dir;
    private TestCluster cluster;
    private NodeProcesses nodes;

    private static int deliveries() {
        String n = System.getenv("CAIRN_REPLICA_LOSS_DELIVERIES");
        return n == null || n.isBlank() ? 2_500 : Integer.parseInt(n.strip());
    }

    /** bench/replica-loss.sh: the default blocks and window, as an operator runs them. */
    private static boolean defaultTuning() { return "true".equals(System.getenv("CAIRN_REPLICA_LOSS_DEFAULT_TUNING")); }

    private void writeConfigs(String mode, String onLoss) throws IOException {
        List<String> replication = new ArrayList<>(List.of("slot = \"s0\"", "sync_timeout = \"" + SYNC_TIMEOUT.toSeconds() + "s\""));
        if (!defaultTuning()) replication.addAll(List.of("uid_block = 20", "modseq_block = 40", "degraded_uid_window = 200"));
        cluster = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                .disable("pop3").replicated(SECRET, mode).replication(replication.toArray(String[]::new))
                .replicatedStore("on_replica_loss = \"" + onLoss + "\"").build();
        nodes = new NodeProcesses(cluster, dir);
        nodes.addUsers(USERS.toArray(String[]::new));
    }

    @AfterEach
    void stopAll() {
        if (nodes != null) nodes.close();
    }

    private String get(String node, String path) throws Exception { return nodes.admin(node, "GET", path); }

    private String status() throws Exception { return get("n1", "/replication/status"); }

    /** The cairn_replication_degraded gauge of store s1 on n1. */
    private double degradedGauge() throws Exception {
        Matcher m = Pattern.compile("(?m)^cairn_replication_degraded\\{[^}]*store=\"s1\"[^}]*} (\\S+)$").matcher(get("n1", "/metrics"));
        assertThat(m.find()).as("cairn_replication_degraded in /metrics").isTrue();
        return Double.parseDouble(m.group(1));
    }

    private void awaitReplicaConnected() throws Exception {
        eventually(Duration.ofSeconds(60), () -> assertThat(status()).contains(" connected").doesNotContain("disconnected"));
    }

    // --- the load --------------------------------------------------------------------------------

    /** What the LMTP clients were told. */
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger refused = new AtomicInteger(), sent = new AtomicInteger();
    private final AtomicLong slowestNanos = new AtomicLong();

    /** 8 connections deliver until {@code total} deliveries were answered or {@code running} turns false. */
    private List<Thread> load(int total, AtomicBoolean running) {
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            String user = USERS.get(c % USERS.size());
            threads.add(Thread.ofVirtual().start(() -> {
                while (running.get() && sent.get() < total) {
                    try (Socket s = new Socket("127.0.0.1", cluster.port("n1", "lmtp"))) {
                        s.setSoTimeout(60_000);
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                        OutputStream out = s.getOutputStream();
                        reply(in);
                        send(out, "LHLO test\r\n");
                        reply(in);
                        while (running.get()) {
                            int n = sent.incrementAndGet();
                            if (n > total) return;
                            String id = "m" + n + "-" + user;
                            long start = System.nanoTime();
                            send(out, "MAIL FROM:<load@example.org>\r\nRCPT TO:<" + user + "@example.org>\r\nDATA\r\n");
                            String mail = reply(in), rcpt = reply(in), data = reply(in);
                            if (!mail.startsWith("250") || !rcpt.startsWith("250") || !data.startsWith("354")) {
                                failures.add(id + ": " + mail + " / " + rcpt + " / " + data);
                                send(out, "RSET\r\n");
                                reply(in);
                                continue;
                            }
                            send(out, "From: load@example.org\r\nTo: " + user + "@example.org\r\nSubject: " + id + "\r\nMessage-ID: <" + id
                                    + "@test>\r\n\r\nbody of " + id + "\r\n.\r\n");
                            String done = reply(in);
                            slowestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                            if (done.startsWith("250")) acknowledged.add(id);
                            else if (done.startsWith("451 4.3.0")) refused.incrementAndGet();
                            else failures.add(id + ": " + done);
                        }
                    } catch (IOException e) {
                        failures.add("connection of " + user + ": " + e);
                    }
                }
            }));
        }
        return threads;
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** One whole reply (the last line of a multi-line one). */
    private static String reply(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) throw new IOException("closed");
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    private Map<String, Long> uidValidities() throws IOException {
        Map<String, Long> out = new HashMap<>();
        for (String user : USERS) {
            try (Socket s = new Socket("127.0.0.1", cluster.port("n1", "imap"))) {
                s.setSoTimeout(30_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream o = s.getOutputStream();
                in.readLine();
                send(o, "a LOGIN " + user + " " + PASSWORD + "\r\nb SELECT INBOX\r\nc LOGOUT\r\n");
                String line;
                while ((line = in.readLine()) != null && !line.startsWith("b ")) {
                    Matcher m = UIDVALIDITY.matcher(line);
                    if (m.find()) out.put(user, Long.parseLong(m.group(1)));
                }
            }
        }
        return out;
    }

    // --- the tests ---------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"async", "sync"})
    void aKilledReplicaFailsNoDeliveryTheMasterRunsDegradedAndTheStoreIsBackInSyncByItself(String mode) throws Exception {
        writeConfigs(mode, "degrade");
        nodes.start("n2");
        nodes.start("n1");
        awaitReplicaConnected();
        Map<String, Long> before = uidValidities();
        int total = deliveries();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> load = load(total, running);
        eventually(Duration.ofSeconds(60), () -> assertThat(acknowledged).as("deliveries with the replica up").hasSizeGreaterThan(200));
        nodes.kill("n2");
        long killed = System.nanoTime();
        int atKill = acknowledged.size();
        for (Thread t : load) t.join();
        double degradedSeconds = (System.nanoTime() - killed) / 1e9;

        System.out.printf("ReplicaLossIT %s: %d deliveries (%d after the kill, %.1f s, %.0f/s), %d failed, %d refused, slowest %d ms%n",
                mode, acknowledged.size(), acknowledged.size() - atKill, degradedSeconds, (acknowledged.size() - atKill) / degradedSeconds,
                failures.size(), refused.get(), slowestNanos.get() / 1_000_000);
        assertThat(failures).as("failed deliveries").isEmpty();
        assertThat(refused.get()).as("refused deliveries").isZero();
        assertThat(acknowledged).hasSize(total);
        // Sync: the commits in flight when the replica died waited sync_timeout once (plus the
        // time an LMTP delivery takes on a loaded machine), no more.
        assertThat(Duration.ofNanos(slowestNanos.get())).as("the slowest delivery").isLessThan(SYNC_TIMEOUT.plusSeconds(5));
        assertThat(status()).contains("degraded since");
        assertThat(degradedGauge()).isEqualTo(1.0);
        if (!defaultTuning()) {
            // Far past every reservation: each INBOX passed the window and got a new UIDVALIDITY.
            Map<String, Long> after = uidValidities();
            for (String u : USERS) assertThat(after.get(u)).as(u + "'s INBOX UIDVALIDITY").isGreaterThan(before.get(u));
        }

        nodes.start("n2");
        long restarted = System.nanoTime();
        eventually(Duration.ofSeconds(Math.max(120, total / 200)), () -> {
            assertThat(status()).doesNotContain("degraded");
            assertThat(degradedGauge()).isZero();
        });
        System.out.printf("ReplicaLossIT %s: the restarted replica caught up and the store left degraded mode in %.1f s%n",
                mode, (System.nanoTime() - restarted) / 1e9);
        if (mode.equals("sync")) assertThat(status()).contains("mode=sync");
        eventually(Duration.ofSeconds(60), () -> {
            CliRun same = CliRun.run("", "replica", "verify", "--config", cluster.config("n1").toString(), "--with", cluster.config("n2").toString());
            assertThat(same.status()).as(same.out() + same.err()).isZero();
        });
        // One WARN entering, one INFO leaving (per time it happened: a slow commit may have made it happen before too).
        String log = Files.readString(dir.resolve("n1.log"));
        int entered = log.split("degraded: writes go on on this node alone", -1).length - 1;
        assertThat(entered).isPositive();
        assertThat(log.split("no longer degraded", -1).length - 1).isEqualTo(entered);
    }

    @Test
    void refuseAnswers451InsteadOfAcknowledgingWhatOnlyTheMasterHas() throws Exception {
        writeConfigs("sync", "refuse");
        nodes.start("n2");
        nodes.start("n1");
        awaitReplicaConnected();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> load = load(Integer.MAX_VALUE, running);
        eventually(Duration.ofSeconds(60), () -> assertThat(acknowledged).hasSizeGreaterThan(200));
        nodes.kill("n2");
        eventually(Duration.ofSeconds(30), () -> assertThat(refused.get()).as("451 4.3.0 answers").isGreaterThan(100));
        running.set(false);
        for (Thread t : load) t.join();
        assertThat(failures).as("answers other than 250 and 451 4.3.0").isEmpty();
        assertThat(Duration.ofNanos(slowestNanos.get())).as("the slowest answer").isLessThan(SYNC_TIMEOUT.plusSeconds(5));
        assertThat(status()).contains("refusing writes since");

        // Every 250 is on the replica's disk: kill the master too and read the replica's slot.
        nodes.kill("n1");
        Set<String> onReplica = new java.util.HashSet<>();
        try (SlotStore slot = RocksSlotStore.open(Node.slotConfig(ConfigLoader.load(cluster.config("n2")), QuotaPolicy.UNLIMITED,
                new SimpleMeterRegistry()))) {
            for (String user : USERS) {
                if (!slot.hasUser(user)) continue;
                UserStore u = slot.user(user);
                MailboxInfo inbox = u.mailbox("INBOX").orElseThrow();
                List<Uid> all = new ArrayList<>();
                for (long i = 1; i < inbox.uidNext(); i++) all.add(Uid.of(i));
                for (var r : u.messages(inbox.id(), all)) onReplica.add(u.parsed(r.body()).envelope().subject());
            }
        }
        Set<String> missing = new java.util.TreeSet<>(acknowledged);
        missing.removeAll(onReplica);
        assertThat(missing).as("acknowledged but not on the replica").isEmpty();
    }
}
