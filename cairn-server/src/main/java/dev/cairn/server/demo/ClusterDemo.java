// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.demo;

import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.ClusterObserver;
import dev.cairn.cluster.ClusterState;
import dev.cairn.cluster.EmbeddedZooKeeper;
import dev.cairn.cluster.FailoverRecord;
import dev.cairn.cluster.ProgressRecord;
import dev.cairn.cluster.StoreCreation;
import dev.cairn.server.RunFile;
import dev.cairn.server.cli.CairnCommand;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * {@code cairn cluster demo}: a real ZooKeeper server in this JVM, three {@code cairn serve} child
 * processes on loopback ({@link DemoLayout}: every node masters one store and replicates another),
 * a sample user per store with sample mail delivered over LMTP; then it prints how to connect, how
 * to kill a node and what to watch, and reports the cluster's changes (nodes leaving and joining,
 * failovers) as ZooKeeper tells them, until {@link #close()} (Ctrl-C) stops the nodes and the
 * server and removes the directory unless it is to be kept.
 */
public final class ClusterDemo implements AutoCloseable {
    private static final Duration START_BUDGET = Duration.ofMinutes(5);
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final Path dir;
    private final boolean keep;
    private final PrintStream out;
    /** Whether `cairn cluster status` exists in this build (it is printed among what to watch then). */
    private final boolean clusterStatus;
    private final Map<String, DemoNode> nodes = new ConcurrentHashMap<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private EmbeddedZooKeeper zookeeper;
    private ClusterObserver observer;
    private volatile boolean closing;
    /** Set when {@link #start()} failed: the directory stays for its logs. */
    private volatile boolean failed;
    private String password;

    /**
     * @param dir  where everything goes (created; must not hold anything yet)
     * @param keep leave {@code dir} in place when the demo stops
     */
    public ClusterDemo(Path dir, boolean keep, PrintStream out, boolean clusterStatus) {
        this.dir = dir.toAbsolutePath();
        this.keep = keep;
        this.out = out;
        this.clusterStatus = clusterStatus;
    }

    /** Starts everything and prints the banner; returns when the demo is ready (its "ready in" line printed). */
    public void start() throws Exception {
        try {
            startAll();
        } catch (Exception | Error e) {
            failed = !closing; // not when Ctrl-C came first
            throw e;
        }
    }

    private void startAll() throws Exception {
        long began = System.nanoTime();
        if (Files.isDirectory(dir)) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) throw new IllegalArgumentException(dir + " is not empty: give a new or empty directory");
            }
        }
        Files.createDirectories(dir);
        // The demo's own client and server: their reconnects are not the user's business (the nodes log theirs).
        for (String quiet : List.of("org.apache.zookeeper", "org.apache.curator")) {
            if (org.slf4j.LoggerFactory.getLogger(quiet) instanceof ch.qos.logback.classic.Logger l) l.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        out.println("cairn cluster demo: starting in " + dir);
        zookeeper = EmbeddedZooKeeper.start(dir.resolve("zookeeper"));
        ClusterConfig cluster = new ClusterConfig(zookeeper.connectString(), ClusterConfig.DEFAULT_ROOT, DemoLayout.SESSION_TIMEOUT,
                DemoLayout.CONNECTION_TIMEOUT, ClusterConfig.DEFAULT_FAILOVER_DAMPING, ClusterConfig.DEFAULT_REJOIN_GRACE);
        out.println("  ZooKeeper " + zookeeper.connectString() + " in this process (a single server: a demo, not an ensemble)");
        Map<String, Path> configs = DemoLayout.write(dir, zookeeper.connectString());
        for (DemoLayout.Store s : DemoLayout.STORES) StoreCreation.create(cluster, s.record(System.currentTimeMillis()));
        out.println("  stores " + String.join(", ", DemoLayout.STORES.stream()
                .map(s -> s.name() + " (master " + s.master() + ", replica " + s.replica() + ")").toList()));
        for (String node : DemoLayout.NODES) startNode(node, configs.get(node));
        out.println("  nodes " + String.join(", ", nodes.values().stream().map(n -> n.name + " (pid " + n.pid() + ")").toList())
                + ", each logging to " + dir.resolve("NODE.log"));

        observer = new ClusterObserver(cluster);
        observer.start();
        awaitState("every node registered", began, s -> s.nodes().keySet().containsAll(DemoLayout.NODES));

        password = "demo-" + RunFile.newToken().substring(0, 10);
        for (DemoLayout.Store s : DemoLayout.STORES) addUser(s, configs.get(s.masterNode()), began);
        ClusterState registered = observer.state();
        for (DemoLayout.Store s : DemoLayout.STORES) {
            String lmtp = address(registered, s.masterNode(), "lmtp");
            for (String subject : DemoLayout.SUBJECTS) {
                String answer = DemoNode.deliver(lmtp, s.user() + "@" + DemoLayout.DOMAIN, subject, DemoLayout.body(subject, s));
                if (!answer.startsWith("250")) throw new IllegalStateException("LMTP delivery to " + s.user() + " on " + s.masterNode() + ": " + answer);
            }
        }
        out.println("  users " + String.join(", ", DemoLayout.STORES.stream().map(DemoLayout.Store::user).toList()) + ": "
                + DemoLayout.SUBJECTS.size() + " messages each, delivered over LMTP");
        // Ready means a user logs in and finds the mail (the first login of a node is its slowest).
        for (DemoLayout.Store s : DemoLayout.STORES) awaitMail(s, address(registered, s.masterNode(), "imap"), began);
        // Ready means a kill -9 fails over: each replica has said it is in sync at the store's epoch.
        awaitState("every replica in sync", began, s -> DemoLayout.STORES.stream().allMatch(st -> {
            ClusterState.ObservedStore o = s.stores().get(st.name());
            if (o == null) return false;
            ProgressRecord p = o.progress().get(st.replica());
            return p != null && p.inSync() && p.epoch() == o.record().epoch();
        }));
        printBanner(observer.state(), Duration.ofNanos(System.nanoTime() - began));
    }

    private void startNode(String node, Path config) throws IOException {
        synchronized (nodes) {
            if (closing) throw new IllegalStateException("stopping");
            DemoNode n = DemoNode.start(node, config, dir.resolve(node + ".log"));
            nodes.put(node, n);
            n.process().onExit().thenRun(() -> {
                if (!closing) event(node + " (pid " + n.pid() + ") exited with status " + n.process().exitValue()
                        + (n.process().exitValue() == 137 ? " (killed: SIGKILL)" : ""));
            });
        }
    }

    /** Through the running master node, as an operator would: `cairn user add U --address U@example.org --password-stdin`. */
    private void addUser(DemoLayout.Store s, Path config, long began) throws Exception {
        String failure = null;
        while (System.nanoTime() - began < START_BUDGET.toNanos()) {
            StringWriter text = new StringWriter();
            int status = dev.cairn.server.Main.commandLine(new CairnCommand(new ByteArrayInputStream((password + "\n").getBytes(StandardCharsets.UTF_8))))
                    .setOut(new PrintWriter(text)).setErr(new PrintWriter(text))
                    .execute("user", "add", s.user(), "--address", s.user() + "@" + DemoLayout.DOMAIN, "--password-stdin", "--config", config.toString());
            if (status == 0) return;
            failure = text.toString().strip();
            requireNodesAlive();
            Thread.sleep(250); // the node may not have followed the map yet (its slot fenced)
        }
        throw new IllegalStateException("cannot add user " + s.user() + " on " + s.masterNode() + ": " + failure);
    }

    /** Until the user logs in over IMAP and finds every sample message (a refusal or a dropped connection is tried again). */
    private void awaitMail(DemoLayout.Store s, String imap, long began) throws Exception {
        String failure;
        do {
            try {
                int size = DemoNode.inboxSize(imap, s.user(), password);
                if (size == DemoLayout.SUBJECTS.size()) return;
                failure = "INBOX holds " + size + " messages";
            } catch (IOException e) {
                failure = e.getMessage();
            }
            requireNodesAlive();
            Thread.sleep(250);
        } while (System.nanoTime() - began < START_BUDGET.toNanos());
        throw new IllegalStateException(s.user() + " cannot read the sample mail on " + s.masterNode() + " (imap " + imap + "): " + failure);
    }

    private void awaitState(String what, long began, java.util.function.Predicate<ClusterState> done) throws Exception {
        while (!done.test(observer.state())) {
            requireNodesAlive();
            if (System.nanoTime() - began > START_BUDGET.toNanos()) throw new IllegalStateException("not ready within " + START_BUDGET.toSeconds() + " s: " + what);
            Thread.sleep(100);
        }
    }

    private void requireNodesAlive() {
        for (DemoNode n : nodes.values()) {
            if (!n.alive()) throw new IllegalStateException(n.name + " exited while starting (status " + n.process().exitValue() + "); its log ends:\n" + n.tail(15));
        }
    }

    private static String address(ClusterState s, String node, String kind) {
        ClusterState.Registration r = s.nodes().get(node);
        String a = r == null || r.record() == null ? null : r.record().addresses().get(kind);
        if (a == null) throw new IllegalStateException(node + " registered no " + kind + " address");
        return a;
    }

    private void printBanner(ClusterState s, Duration took) {
        String cairn = "./cairn";
        out.println();
        out.printf("ready in %.1f s%n%n", took.toMillis() / 1000.0);
        out.println("nodes (their listeners as each registered them in ZooKeeper)");
        for (String node : DemoLayout.NODES) {
            DemoNode n = nodes.get(node);
            List<String> roles = new ArrayList<>();
            for (DemoLayout.Store st : DemoLayout.STORES) {
                if (st.masterNode().equals(node)) roles.add("master of " + st.name());
                if (st.replicaNode().equals(node)) roles.add("replica of " + st.name());
            }
            out.printf("  %s  pid %d  imap %s  pop3 %s  lmtp %s  admin %s  %s%n", node, n.pid(), address(s, node, "imap"),
                    address(s, node, "pop3"), address(s, node, "lmtp"), address(s, node, "admin"), String.join(", ", roles));
        }
        out.println();
        out.println("users (each the same password: " + password + ")");
        for (DemoLayout.Store st : DemoLayout.STORES) {
            out.printf("  %-6s %s@%s  in store %s, master %s (imap %s)%n", st.user(), st.user(), DemoLayout.DOMAIN, st.name(), st.masterNode(),
                    address(s, st.masterNode(), "imap"));
        }
        DemoLayout.Store first = DemoLayout.STORES.getFirst();
        String imap = address(s, first.masterNode(), "imap"), lmtp = address(s, first.masterNode(), "lmtp");
        out.println();
        out.println("connect (plaintext logins are allowed from loopback)");
        out.printf("  python3 -c \"import imaplib; i = imaplib.IMAP4('%s', %s); i.login('%s', '%s'); print(i.select('INBOX'))\"%n",
                host(imap), port(imap), first.user(), password);
        out.printf("  swaks --server %s --port %s --protocol LMTP --to %s@%s --header 'Subject: hello'%n", host(lmtp), port(lmtp),
                first.user(), DemoLayout.DOMAIN);
        out.println();
        out.println("watch");
        RunFile run = RunFile.read(dir.resolve(first.masterNode()).resolve("server.properties")).orElse(null);
        for (String node : DemoLayout.NODES) {
            RunFile r = RunFile.read(dir.resolve(node).resolve("server.properties")).orElse(null);
            if (r != null) out.printf("  http://%s/ui/#token=%s   the cluster page, on %s (any node's shows the whole cluster)%n", r.admin(), r.token(), node);
        }
        if (clusterStatus) out.printf("  %s cluster status --config %s%n", cairn, dir.resolve(first.masterNode() + ".toml"));
        out.printf("  %s replica status --config %s   (a node's own view; likewise n2.toml, n3.toml)%n", cairn, dir.resolve(first.masterNode() + ".toml"));
        out.println("  and the lines below: nodes leaving and joining, failovers, as ZooKeeper reports them");
        out.println();
        out.println("fail a node over");
        DemoNode victim = nodes.get(first.masterNode());
        out.printf("  kill -9 %d      # %s, master of %s: within the session timeout (%d s) %s becomes master of %s;%n", victim.pid(),
                first.masterNode(), first.name(), DemoLayout.SESSION_TIMEOUT.toSeconds(), first.replica(), first.name());
        out.printf("                     # then log in as %s on %s (imap %s), same password, same mail%n", first.user(), first.replicaNode(),
                address(s, first.replicaNode(), "imap"));
        out.printf("  %s serve --config %s   # brings %s back, as a replica (on new ports: see the page)%n", cairn,
                dir.resolve(first.masterNode() + ".toml"), first.masterNode());
        out.println();
        out.println("Ctrl-C stops the nodes and ZooKeeper and removes " + dir + (keep ? " (no: --keep)" : " (--keep leaves it)"));
        if (run == null) out.println("(no run file on " + first.masterNode() + ": its admin endpoint is off)");
        out.flush();
    }

    private static String host(String hostPort) { return hostPort.substring(0, hostPort.lastIndexOf(':')); }

    private static String port(String hostPort) { return hostPort.substring(hostPort.lastIndexOf(':') + 1); }

    /** Reports the cluster's changes until {@link #close()}: registrations gone and back, failovers. */
    public void watch() throws InterruptedException {
        Set<String> registered = new HashSet<>(observer.state().nodes().keySet());
        Set<String> failovers = new HashSet<>();
        for (FailoverRecord f : observer.state().failovers()) failovers.add(f.store() + "@" + f.epoch());
        while (!stopped.await(200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            ClusterState s = observer.state();
            for (String node : DemoLayout.NODES) {
                boolean now = s.nodes().containsKey(node);
                if (now && registered.add(node)) {
                    ClusterState.Registration r = s.nodes().get(node);
                    event(node + " joined: imap " + r.record().addresses().get("imap") + ", admin " + r.record().addresses().get("admin"));
                } else if (!now && registered.remove(node)) {
                    event(node + " left the cluster: its ZooKeeper session ended");
                }
            }
            for (FailoverRecord f : s.failovers()) {
                if (!failovers.add(f.store() + "@" + f.epoch())) continue;
                ClusterState.Registration to = s.nodes().get(f.to().node());
                String imap = to == null || to.record() == null ? "?" : to.record().addresses().get("imap");
                event("failover: store " + f.store() + " " + f.from() + " -> " + f.to() + " (epoch " + f.epoch() + "): " + f.why()
                        + "; its users log in on " + f.to().node() + " (imap " + imap + ")");
            }
        }
    }

    private void event(String what) {
        synchronized (out) {
            out.println(LocalTime.now().format(CLOCK) + "  " + what);
            out.flush();
        }
    }

    /**
     * Stops everything (the nodes with SIGTERM, in parallel; any node still running from the demo's
     * configs, e.g. one started again by hand; the observer; ZooKeeper) and removes the directory
     * unless kept. Safe to call twice and from a shutdown hook while {@link #start()} runs.
     */
    @Override public void close() {
        synchronized (nodes) {
            if (closing) return;
            closing = true;
        }
        stopped.countDown();
        out.println("stopping the nodes and ZooKeeper...");
        out.flush();
        List<Thread> stops = new ArrayList<>();
        for (DemoNode n : nodes.values()) stops.add(Thread.ofVirtual().start(() -> quietly(() -> n.stop(30))));
        for (String node : DemoLayout.NODES) {
            // A node started again by hand from the demo's config is the demo's too.
            RunFile.read(dir.resolve(node).resolve("server.properties")).flatMap(r -> ProcessHandle.of(r.pid()))
                    .filter(p -> nodes.values().stream().noneMatch(n -> n.pid() == p.pid()))
                    .ifPresent(p -> stops.add(Thread.ofVirtual().start(() -> quietly(() -> {
                        p.destroy();
                        try {
                            p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                        } catch (java.util.concurrent.TimeoutException e) {
                            p.destroyForcibly();
                        }
                        return true;
                    }))));
        }
        for (Thread t : stops) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (observer != null) observer.close();
        if (zookeeper != null) zookeeper.close();
        if (keep || failed) {
            out.println("stopped; kept " + dir + (failed ? " (the nodes' logs say why the demo did not start)" : ""));
        } else {
            quietly(() -> {
                deleteTree(dir);
                return true;
            });
            out.println("stopped; removed " + dir);
        }
        out.flush();
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private interface Step {
        boolean run() throws Exception;
    }

    private void quietly(Step step) {
        try {
            step.run();
        } catch (Exception e) {
            out.println("cairn cluster demo: while stopping: " + e);
        }
    }
}
