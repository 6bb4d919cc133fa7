// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.ClusterPaths;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreCreation;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.cluster.StoreRecords;
import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.TestCluster;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, drain: two real `cairn serve` nodes of a cluster (a real three-server ZooKeeper
 * ensemble) with 20 slots each; n1 holds the masters of 20 stores, n2 their replicas, one user per
 * store. LMTP deliveries run without pause to every user, each to the node the store map names
 * master (a 4xx is waited out and tried again, the map read afresh: counted, not a failure; a 5xx
 * or a broken connection is a failure). `cairn node drain n1` moves every master to n2 within
 * 30 s, store by store (the switch times are printed), with no failed delivery; every message
 * that got a 250 is in its user's INBOX on n2, where the users log in. The drain of n1 runs with
 * n2's config (n1's admin address from its registration, the cluster token): the endpoint refuses
 * a caller without it. Then `cairn node undrain n1` (n2's config too) and `cairn node drain n2`
 * move them all back the same way (run with n1's config, interrupted by SIGINT after three
 * stores, every store consistent, then run again with n2's own). Last, a takeover its old master did not record
 * is recorded by the new master's node, and a store created without slots takes the free ones.
 */
@Timeout(300)
class NodeDrainIT {
    private static final int STORES = 20;
    private static final Pattern SWITCHED = Pattern.compile("^\\[\\d+/\\d+\\] store (\\S+): \\S+ -> \\S+ in (\\d+) ms");

    @TempDir Path dir;

    @Test void drainingANodeOfTwentyMastersUnderLoadMovesThemAllWithin30sWithoutAFailedDeliveryAndBack() throws Exception {
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
             CuratorFramework client = CuratorFrameworkFactory.newClient(zk.connectString(), new ExponentialBackoffRetry(100, 3))) {
            client.start();
            StoreRecords map = new StoreRecords(client, new ClusterPaths("/cairn"));
            String[] slots = IntStream.range(0, STORES + 1).mapToObj(i -> "s" + i).toArray(String[]::new); // one left free
            TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 1").listen("imap", "lmtp", "admin")
                    .disable("pop3").slots("n1", slots).slots("n2", slots)
                    .cluster("drain test secret", zk.connectString(), "session_timeout = \"4s\"", "failover_damping = \"0s\"", "rejoin_grace = \"0s\"")
                    .replication("sync_timeout = \"2s\"").build();
            try (NodeProcesses p = new NodeProcesses(c, dir)) {
                p.start("n1");
                p.start("n2");
                // The explicit form through the command, the rest straight into the map.
                CliRun create = CliRun.run("", "store", "create", "d0", "--master", "n1/s0", "--replicas", "n2/s0", "--config", c.config("n1").toString());
                assertThat(create.status()).as(create.err()).isZero();
                for (int i = 1; i < STORES; i++) {
                    map.create(StoreCreation.record("d" + i, StoreRecord.Mode.SYNC, StoreRecord.OnReplicaLoss.DEGRADE, new SlotRef("n1", "s" + i),
                            List.of(new SlotRef("n2", "s" + i)), System.currentTimeMillis()));
                }
                eventually(Duration.ofSeconds(60), () -> assertThat(count(p.status("n1"), "role=master")).isEqualTo(STORES));
                eventually(Duration.ofSeconds(60), () -> assertThat(count(p.status("n2"), "self=n2 in sync as of epoch")).isEqualTo(STORES));
                for (int i = 0; i < STORES; i++) {
                    assertThat(Main.run(new java.io.ByteArrayInputStream((NodeProcesses.PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)),
                            "user", "add", "u" + i, "--password-stdin", "--address", "u" + i + "@example.org", "--store", "d" + i,
                            "--config", c.config("n1").toString())).isZero();
                }
                CliRun list = CliRun.run("", "store", "list", "--config", c.config("n2").toString());
                assertThat(list.status()).as(list.err()).isZero();
                assertThat(list.out()).contains("d7 ", "n1/s7", "n2/s7", "20 stores");
                System.out.println(list.out());

                // The switch endpoint refuses a caller without the cluster token (or the node's own); the cluster token opens
                // no endpoint of the node's own; a name no node registered is refused, not marked drained.
                String clusterToken = ClusterToken.of("drain test secret".getBytes(StandardCharsets.UTF_8));
                assertThat(post(c, "n1", "/cluster/switch?store=d0&to=n2/s0", null)).isEqualTo(401);
                assertThat(post(c, "n1", "/cluster/switch?store=d0&to=n2/s0", ClusterToken.of("not this cluster's secret".getBytes(StandardCharsets.UTF_8))))
                        .isEqualTo(401);
                assertThat(post(c, "n1", "/check", clusterToken)).isEqualTo(401);
                assertThat(post(c, "n1", "/reload", clusterToken)).isEqualTo(401);
                CliRun unknown = CliRun.run("", "node", "drain", "n9", "--config", c.config("n2").toString());
                assertThat(unknown.status()).isNotZero();
                assertThat(unknown.err()).contains("node n9 is not registered in the cluster");
                assertThat(client.checkExists().forPath("/cairn/drain/n9")).isNull();

                Load load = new Load(p, map);
                Drained first = drainUnder(load, "n1", () -> {
                    // Run from the other node: n1's admin address from its registration, the cluster token from the secret.
                    CliRun drain = CliRun.run("", "node", "drain", "n1", "--budget", "10s", "--config", c.config("n2").toString());
                    return new Drained(drain.status(), drain.out() + drain.err());
                });
                assertThat(first.status()).as(first.output()).isZero();
                for (int i = 0; i < STORES; i++) {
                    StoreRecord r = map.read("d" + i).orElseThrow().record();
                    assertThat(r.master()).isEqualTo(new SlotRef("n2", "s" + i));
                    assertThat(r.epoch()).isEqualTo(2);
                    assertThat(r.inSync()).as("the old master holds everything").containsExactly(new SlotRef("n1", "s" + i));
                }
                assertThat(client.checkExists().forPath("/cairn/drain/n1")).as("n1 marked drained").isNotNull();
                eventually(Duration.ofSeconds(30), () -> assertThat(count(p.status("n1"), "role=replica")).isEqualTo(STORES));
                load.assertEveryAcknowledgedMessageIsOn("n2");

                CliRun undrain = CliRun.run("", "node", "undrain", "n1", "--config", c.config("n2").toString());
                assertThat(undrain.status()).as(undrain.err()).isZero();
                assertThat(client.checkExists().forPath("/cairn/drain/n1")).isNull();
                eventually(Duration.ofSeconds(60), () -> assertThat(count(p.status("n1"), "self=n1 in sync as of epoch")).isEqualTo(STORES));
                // Back, interrupted (SIGINT after the third store) and run again: it goes on where it stopped.
                Drained back = drainUnder(load, "n2", () -> {
                    Drained interrupted = interruptedDrain(c, "n2", "n1", 3);
                    assertThat(interrupted.output()).contains("interrupted: ", "`cairn node drain n2` goes on with them");
                    assertEveryStoreHasOneMasterAsTheMapSays(p, map);
                    CliRun rest = CliRun.run("", "node", "drain", "n2", "--budget", "10s", "--config", c.config("n2").toString());
                    assertThat(rest.out()).contains("node n2 is drained already: going on");
                    return new Drained(rest.status(), interrupted.output() + rest.out() + rest.err());
                });
                assertThat(back.status()).as(back.output()).isZero();
                for (int i = 0; i < STORES; i++) {
                    StoreRecord r = map.read("d" + i).orElseThrow().record();
                    assertThat(r.master()).isEqualTo(new SlotRef("n1", "s" + i));
                    assertThat(r.epoch()).isEqualTo(3);
                }
                load.assertEveryAcknowledgedMessageIsOn("n1");
                CliRun status = CliRun.run("", "cluster", "status", "--config", c.config("n1").toString());
                assertThat(status.status()).as(status.err()).isZero();
                assertThat(status.out()).contains("d19", "master n1/s19");

                // A takeover its old master never recorded (the static pair's switch, as if n1 died right after
                // the TakeOver): the new master's node writes the record itself, so the map does not name a
                // master that stopped writing.
                CliRun unrecorded = CliRun.run("", "store", "switch", "d0", "--to", "n2/s0", "--config", c.config("n1").toString());
                assertThat(unrecorded.status()).as(unrecorded.out() + unrecorded.err()).isZero();
                eventually(Duration.ofSeconds(10), () -> {
                    StoreRecord r = map.read("d0").orElseThrow().record();
                    assertThat(r.master()).isEqualTo(new SlotRef("n2", "s0"));
                    assertThat(r.epoch()).isEqualTo(4);
                });
                assertThat(p.deliver("n2", "u0", "after-unrecorded")).startsWith("250");

                // A store without slots given: the one free slot of each node; the master not on n2, which is still
                // drained, though it has fewer masters (1 against 19).
                CliRun placed = CliRun.run("", "store", "create", "extra", "--config", c.config("n1").toString());
                assertThat(placed.status()).as(placed.err()).isZero();
                assertThat(placed.out()).contains("store extra created: master n1/s20, replicas [n2/s20]");
                eventually(Duration.ofSeconds(30), () -> assertThat(storeLine(p.status("n1"), "extra")).contains("role=master"));
            } finally {
                for (String n : List.of("n1", "n2")) {
                    if (Files.exists(dir.resolve(n + ".log"))) System.out.println(n + ".log:\n" + Files.readString(dir.resolve(n + ".log")).lines()
                            .filter(l -> l.contains("WARN") || l.contains("ERROR")).limit(60).reduce("", (a, b) -> a + b + "\n"));
                }
            }
        }
    }

    record Drained(int status, String output) {}

    /**
     * Delivers for a second, drains the node under the load, delivers a second more; the drain's
     * figures printed and checked (its time in all only for a drain run once: an interrupted one
     * counts a JVM's start and the checks between its runs).
     */
    private static Drained drainUnder(Load load, String node, java.util.concurrent.Callable<Drained> run) throws Exception {
        load.start();
        Thread.sleep(1_000);
        int before = load.acked.get();
        long start = System.nanoTime();
        Drained drain = run.call();
        long millis = (System.nanoTime() - start) / 1_000_000;
        int during = load.acked.get() - before;
        Thread.sleep(1_000);
        load.stop();
        List<Long> perStore = new ArrayList<>();
        for (String l : drain.output().split("\n")) {
            Matcher m = SWITCHED.matcher(l);
            if (m.find()) perStore.add(Long.parseLong(m.group(2)));
        }
        Collections.sort(perStore);
        System.out.println(drain.output());
        System.out.printf("drain of %s: %d ms in all (the command), %d stores switched, per store p50 %d ms max %d ms; deliveries: %d acknowledged "
                        + "during the drain, %d in all, %d answered 4xx and retried, %d failed%n", node, millis, perStore.size(),
                perStore.isEmpty() ? -1 : perStore.get((perStore.size() - 1) / 2), perStore.isEmpty() ? -1 : perStore.getLast(), during,
                load.acked.get(), load.temporary.get(), load.failures.size());
        assertThat(load.failures).as("failed deliveries").isEmpty();
        assertThat(perStore).as(drain.output()).hasSize(STORES);
        if (!drain.output().contains("interrupted: ")) {
            assertThat(Duration.ofMillis(millis)).as("the drain in all").isLessThan(Duration.ofSeconds(30));
        }
        assertThat(during).as("deliveries went on during the drain").isPositive();
        return drain;
    }

    /**
     * Ctrl-C's signal, INT, unless this JVM was started with INT ignored (a build run as a
     * background job of a shell without job control): the drain's JVM inherits that and rightly
     * ignores it, so TERM, which runs the same shutdown hook, stands in.
     */
    private static final String INTERRUPT = interruptIgnored() ? "TERM" : "INT";

    private static boolean interruptIgnored() {
        try {
            return Files.readAllLines(java.nio.file.Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("SigIgn:"))
                    .anyMatch(l -> (Long.parseLong(l.substring(7).strip(), 16) & (1L << 1)) != 0); // bit n-1 is signal n; SIGINT is 2
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** `cairn node drain` with the config of {@code from} in a process of its own, sent SIGINT once it printed {@code after} stores; its output. */
    private static Drained interruptedDrain(TestCluster c, String node, String from, int after) throws Exception {
        Process drain = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), "dev.cairn.server.Main", "node", "drain", node, "--budget", "10s",
                "--config", c.config(from).toString()).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(drain.getInputStream(), StandardCharsets.UTF_8))) {
            int switched = 0;
            for (String l = lines.readLine(); l != null; l = lines.readLine()) {
                out.append(l).append('\n');
                if (SWITCHED.matcher(l).find() && ++switched == after) {
                    assertThat(new ProcessBuilder("kill", "-" + INTERRUPT, Long.toString(drain.pid())).start().waitFor()).isZero();
                }
            }
        } finally {
            if (!drain.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) drain.destroyForcibly();
        }
        return new Drained(drain.exitValue(), out.toString());
    }

    /** A POST to the node's admin endpoint with the token (none: null); its status. */
    private static int post(TestCluster c, String node, String path, String token) throws Exception {
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + c.host(node, "admin") + ":" + c.port(node, "admin") + path))
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30));
            if (token != null) b.header("Authorization", "Bearer " + token);
            return http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    /**
     * Never headless: each store's master in the map masters it at the map's epoch on its node, and
     * the other node holds it as a replica.
     */
    private static void assertEveryStoreHasOneMasterAsTheMapSays(NodeProcesses p, StoreRecords map) throws Exception {
        Map<String, String> status = Map.of("n1", p.status("n1"), "n2", p.status("n2"));
        for (int i = 0; i < STORES; i++) {
            StoreRecord r = map.read("d" + i).orElseThrow().record();
            String master = r.master().node(), other = master.equals("n1") ? "n2" : "n1";
            assertThat(storeLine(status.get(master), "d" + i)).as("d" + i + " on its master " + master)
                    .contains("role=master", "epoch=" + r.epoch() + " ");
            assertThat(storeLine(status.get(other), "d" + i)).as("d" + i + " on " + other).contains("role=replica");
        }
    }

    private static String storeLine(String status, String store) {
        return status.lines().filter(l -> l.startsWith("store " + store + " ")).findFirst().orElse("");
    }

    /** Three clients delivering round robin to the stores' users, each to the master the map names. */
    private static final class Load {
        final NodeProcesses p;
        final StoreRecords map;
        final Map<String, Set<String>> acknowledged = new ConcurrentHashMap<>();
        final AtomicInteger acked = new AtomicInteger();
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger temporary = new AtomicInteger(), next = new AtomicInteger();
        final Map<Integer, String> masters = new ConcurrentHashMap<>();
        final AtomicBoolean running = new AtomicBoolean();
        final List<Thread> threads = new ArrayList<>();

        Load(NodeProcesses p, StoreRecords map) {
            this.p = p;
            this.map = map;
        }

        void start() {
            running.set(true);
            for (int t = 0; t < 3; t++) threads.add(Thread.ofPlatform().name("load-" + t).start(this::run));
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) t.join(60_000);
            threads.clear();
        }

        private void run() {
            while (running.get()) {
                int n = next.getAndIncrement();
                int store = n % STORES;
                String user = "u" + store, subject = "m-" + n;
                try {
                    deliver(store, user, subject);
                } catch (Exception e) {
                    failures.add(subject + " to " + user + ": " + e);
                }
            }
        }

        /** Until a 250: a 4xx is waited out (the map read again), anything else is a failure. */
        private void deliver(int store, String user, String subject) throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                String node = masters.computeIfAbsent(store, s -> master(s));
                String answer;
                try {
                    answer = p.deliver(node, user, subject);
                } catch (IOException e) {
                    failures.add(subject + " to " + user + " on " + node + ": " + e);
                    return;
                }
                if (answer.startsWith("250")) {
                    acknowledged.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(subject);
                    acked.incrementAndGet();
                    return;
                }
                if (!answer.startsWith("4") || System.nanoTime() > deadline) {
                    failures.add(subject + " to " + user + " on " + node + ": " + answer);
                    return;
                }
                temporary.incrementAndGet();
                masters.remove(store);
                Thread.sleep(20);
            }
        }

        private String master(int store) {
            try {
                return map.read("d" + store).orElseThrow().record().master().node();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /** Every user logs in on the node and finds every message that got a 250 in its INBOX. */
        void assertEveryAcknowledgedMessageIsOn(String node) throws Exception {
            for (int i = 0; i < STORES; i++) {
                String user = "u" + i;
                Set<String> want = acknowledged.getOrDefault(user, Set.of());
                List<String> have = new ArrayList<>();
                try (NodeProcesses.Imap imap = p.imap(node, user)) {
                    assertThat(imap.command("SELECT INBOX").getLast()).contains("OK");
                    if (want.isEmpty()) continue;
                    for (String l : imap.command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) {
                        if (l.startsWith("Subject: ")) have.add(l.substring(9).strip());
                    }
                }
                assertThat(have).as(user + " on " + node).containsAll(want);
            }
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }
}
