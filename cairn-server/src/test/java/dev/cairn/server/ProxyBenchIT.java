// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.Ports;
import dev.cairn.testkit.PostgresServer;
import dev.cairn.testkit.TestCluster;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, must-show 6, as a benchmark (bench/proxy.sh; not CI: it runs only with
 * CAIRN_PROXY_BENCH set to the directory its results go to): a real ZooKeeper ensemble, a
 * PostgreSQL directory, one `cairn serve` node mastering store s1 with 100 users placed on it, and
 * one `cairn proxy` in front. Then `cairn bench imap` (each a process of its own) alternated
 * direct / proxy, ROUNDS pairs at each client count, each run's JSON in the directory; then
 * `cairn bench idle` through the proxy twice, once measuring the proxy's heap and RSS, once the
 * node's. bench/proxy.sh prints the table, the medians and the ratios.
 */
@EnabledIfEnvironmentVariable(named = "CAIRN_PROXY_BENCH", matches = ".+")
@Timeout(value = 2, unit = TimeUnit.HOURS)
class ProxyBenchIT {
    private static final String SECRET = "proxy bench secret";
    private static final int USERS = 100;
    /** Every connection of the idle measure comes from 127.0.0.1, through the proxy to the node too. */
    private static final List<String> LIMITS = List.of("[limits]", "max_connections = 30000", "max_connections_per_address = 30000");
    /** The node's and the proxy's [memory] total: room for 10,000 idle sessions each. */
    private static final dev.cairn.server.config.MemoryConfig BUDGET = new dev.cairn.server.config.MemoryConfig(1L << 30);
    private static final String MEMORY = "[memory]\ntotal = \"1G\"";

    @TempDir Path dir;

    @Test void imapThroughTheProxyAgainstDirectAndTheIdleCostOfARelayedConnection() throws Exception {
        Path results = Path.of(System.getenv("CAIRN_PROXY_BENCH"));
        Files.createDirectories(results);
        List<Integer> clientCounts = ints(System.getenv().getOrDefault("CAIRN_PROXY_BENCH_CLIENTS", "50 200"));
        int rounds = Integer.parseInt(System.getenv().getOrDefault("CAIRN_PROXY_BENCH_ROUNDS", "3"));
        String duration = System.getenv().getOrDefault("CAIRN_PROXY_BENCH_DURATION", "30s");
        String warmup = System.getenv().getOrDefault("CAIRN_PROXY_BENCH_WARMUP", "5s");
        String idleLevels = System.getenv().getOrDefault("CAIRN_PROXY_BENCH_IDLE", "1000,10000");
        // PIN=1: the proxy alone on CPU 1; PIN=clients: the proxy and the load generator on CPU 1
        String pinLayout = System.getenv().getOrDefault("CAIRN_PROXY_BENCH_PIN", "");
        boolean pin = !pinLayout.isBlank();
        boolean clientsApart = pinLayout.equals("clients");
        String mix = System.getenv().getOrDefault("CAIRN_PROXY_BENCH_MIX", "");
        String warmRound = System.getenv().getOrDefault("CAIRN_PROXY_BENCH_WARM_ROUND", "15s");
        boolean skipIdle = idleLevels.isBlank();
        // PIN: this JVM and every process it starts from here on (ZooKeeper, PostgreSQL, the node, the
        // load generator) on CPU 0; the proxy alone on CPU 1 (below): a front-end tier of its own.
        // PIN=clients moreover runs the load generator on CPU 1: the clients are off the node's machine
        // both ways (as a mail service's are), and the node is woken from the other core direct as
        // through the proxy; CPU 0 is the back-end's machine, PostgreSQL and ZooKeeper on it.
        if (pin) pin(ProcessHandle.current().pid(), 0);
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
             PostgresServer postgres = PostgresServer.start()) {
            postgres.createDatabase("cairn");
            Path password = postgres.writePasswordFile(dir.resolve("directory.password"));
            String[] directory = {"url = \"" + postgres.url("cairn") + "\"", "user = \"" + PostgresServer.USER + "\"",
                    "password_file = \"" + password.toString().replace("\\", "/") + "\"", "pool_size = 4", "default_domain = \"example.org\""};
            TestCluster c = TestCluster.of(dir, "n1").store("sync = false", "channels = 2").listen("imap", "admin")
                    .disable("pop3", "lmtp").cluster(SECRET, zk.connectString(), "session_timeout = \"4s\"")
                    .directory(directory).build();
            Files.writeString(c.config("n1"), String.join("\n", LIMITS) + "\n" + MEMORY + "\n", java.nio.file.StandardOpenOption.APPEND);
            try (NodeProcesses p = new NodeProcesses(c, dir)) {
                // each process with the JVM options ./cairn gives it for its budget (the serial collector among them)
                p.jvmOptions("n1", BUDGET.jvmOptions());
                Process node = p.start("n1", c.config("n1"), "512m");
                CliRun create = CliRun.run("", "store", "create", "s1", "--master", "n1/s0", "--config", c.config("n1").toString());
                assertThat(create.status()).as(create.err()).isZero();
                eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=master"));
                String[] users = new String[USERS];
                for (int i = 0; i < USERS; i++) users[i] = "u" + (i + 1);
                p.addUsersOn("n1", "s1", users);

                int imap = Ports.free(), admin = Ports.free();
                Path config = dir.resolve("proxy.toml");
                List<String> lines = new ArrayList<>(List.of(
                        "data = \"" + dir.resolve("proxy").toString().replace("\\", "/") + "\"",
                        "[directory]", String.join("\n", directory),
                        "[imap]", "listen = \"127.0.0.1:" + imap + "\"",
                        "[pop3]", "enabled = false",
                        "[lmtp]", "enabled = false",
                        "[admin]", "listen = \"127.0.0.1:" + admin + "\"",
                        "[cluster]", "zookeeper = \"" + zk.connectString() + "\"", "session_timeout = \"4s\"",
                        "[proxy]", "name = \"proxy-1\"", "secret = \"" + SECRET + "\""));
                lines.addAll(LIMITS);
                lines.add(MEMORY);
                Files.writeString(config, String.join("\n", lines) + "\n");
                List<String> command = NodeProcesses.withJvmOptions(NodeProcesses.command(config, "512m"), BUDGET.frontendJvmOptions());
                command.set(command.indexOf("serve"), "proxy");
                // CAIRN_PROXY_BENCH_PROXY_OPTS: JVM options of the proxy alone (a poller mode, a scheduler's parallelism...)
                String proxyOpts = System.getenv().getOrDefault("CAIRN_PROXY_BENCH_PROXY_OPTS", "").trim();
                if (!proxyOpts.isEmpty()) command.addAll(1, List.of(proxyOpts.split("\\s+")));
                if (System.getenv("CAIRN_PROXY_BENCH_JFR") != null) { // where the proxy's CPU goes (jfr print --events jdk.ExecutionSample)
                    command.add(1, "-XX:StartFlightRecording=filename=" + results.resolve("proxy.jfr") + ",settings=profile");
                }
                Process proxy = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("proxy.log").toFile())).start();
                if (pin) pin(proxy.pid(), 1);
                try {
                    HttpClient http = HttpClient.newHttpClient();
                    eventually(Duration.ofSeconds(60), () -> {
                        assertThat(proxy.isAlive()).as("proxy exited").isTrue();
                        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/health")).build(),
                                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
                    });
                    int direct = c.port("n1", "imap");
                    // RELAYS: bench/MinimalRelay.java in front of the node as two more ways, the baselines of a relay
                    // (no login of its own; one virtual thread a direction, or one selector), on the proxy's CPU when pinned
                    Map<String, Integer> relayPorts = new LinkedHashMap<>();
                    Map<String, Process> relays = new LinkedHashMap<>();
                    String relaySource = System.getenv("CAIRN_PROXY_BENCH_RELAYS");
                    if (relaySource != null) {
                        for (String mode : List.of("vthread", "selector")) {
                            int port = Ports.free();
                            Process r = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                                    relaySource, mode, Integer.toString(port), Integer.toString(direct)).redirectErrorStream(true)
                                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("relay-" + mode + ".log").toFile())).start();
                            if (pin) pin(r.pid(), 1);
                            relays.put("relay-" + mode, r);
                            relayPorts.put("relay-" + mode, port);
                        }
                        for (int port : relayPorts.values()) eventually(Duration.ofSeconds(60), () -> new java.net.Socket("127.0.0.1", port).close());
                    }
                    Files.writeString(results.resolve("setup.txt"), "node pid " + node.pid() + " imap " + direct
                            + ", proxy pid " + proxy.pid() + " imap " + imap + "\n");
                    for (int clients : clientCounts) {
                        // round 0, not counted: both JVMs' compilers and caches warm on this client count first
                        // (the proxy sat idle through the node's fill; its first measured run would pay for its JIT)
                        for (int round = warmRound.isBlank() ? 1 : 0; round <= rounds; round++) {
                            // each way first in turn (direct first in odd rounds of two ways): drift falls on all alike
                            List<String> order = new ArrayList<>(List.of("proxy", "direct"));
                            order.addAll(relayPorts.keySet());
                            java.util.Collections.rotate(order, round);
                            for (String way : order) {
                                int port = way.equals("direct") ? direct : way.equals("proxy") ? imap : relayPorts.get(way);
                                // the node's CPU, and through the proxy or a relay the node's and the relay's apart
                                long relayPid = way.equals("direct") ? -1 : way.equals("proxy") ? proxy.pid() : relays.get(way).pid();
                                String name = "imap-c" + clients + "-" + way + "-" + round;
                                System.out.printf("ProxyBenchIT: %s (load %s)%n", name, Files.readString(Path.of("/proc/loadavg")).trim());
                                bench(results, name, clientsApart ? 1 : -1, "imap", "--port", Integer.toString(port), "--user", "u%d", "--password", NodeProcesses.PASSWORD,
                                        "--users", Integer.toString(USERS), "--clients", Integer.toString(clients), "--duration", round == 0 ? warmRound : duration,
                                        "--warmup", warmup, "--seed", "1", "--no-progress", "--json",
                                        "--server-pid", relayPid < 0 ? Long.toString(node.pid()) : node.pid() + "," + relayPid,
                                        "--mix", mix.isBlank() ? dev.cairn.bench.imap.ImapMix.DEFAULT_SPEC : mix);
                            }
                        }
                    }
                    // Idle connections through the proxy: the proxy's cost, then (fresh connections) the node's behind it.
                    for (String measured : skipIdle ? List.<String>of() : List.of("proxy", "node")) {
                        long pid = measured.equals("proxy") ? proxy.pid() : node.pid();
                        System.out.printf("ProxyBenchIT: idle through the proxy, measuring the %s (load %s)%n", measured,
                                Files.readString(Path.of("/proc/loadavg")).trim());
                        bench(results, "idle-" + measured, -1, "idle", "--port", Integer.toString(imap), "--pid", Long.toString(pid),
                                "--user", "u%d", "--users", Integer.toString(USERS), "--password", NodeProcesses.PASSWORD, "--levels", idleLevels);
                    }
                    assertThat(proxy.isAlive()).isTrue();
                    relays.values().forEach(Process::destroy);
                } finally {
                    proxy.destroy();
                    if (!proxy.waitFor(20, TimeUnit.SECONDS)) proxy.destroyForcibly();
                }
            }
        }
    }

    /**
     * Runs `cairn bench KIND ARGS` as a process of its own, on CPU {@code cpu} (-1: where this JVM
     * runs); its output in {@code results/name.json|.txt}.
     */
    private static void bench(Path results, String name, int cpu, String kind, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        if (cpu >= 0) command.addAll(List.of("taskset", "-c", Integer.toString(cpu)));
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.cairn.server.Main", "bench", kind));
        command.addAll(List.of(args));
        Path out = results.resolve(name + (kind.equals("imap") ? ".json" : ".txt"));
        Process b = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(results.resolve(name + ".err").toFile())).start();
        if (!b.waitFor(30, TimeUnit.MINUTES)) {
            b.destroyForcibly();
            throw new AssertionError(name + " did not end");
        }
        System.out.printf("ProxyBenchIT: %s exit %d%n", name, b.exitValue());
        if (kind.equals("idle")) System.out.print(Files.readString(out));
    }

    private static List<Integer> ints(String list) {
        return list.isBlank() ? List.of() : java.util.Arrays.stream(list.trim().split("[ ,]+")).map(Integer::parseInt).toList();
    }

    /** Every thread of the process on that CPU (threads it starts later inherit it). */
    private static void pin(long pid, int cpu) throws Exception {
        Process t = new ProcessBuilder("taskset", "-a", "-p", "-c", Integer.toString(cpu), Long.toString(pid)).redirectErrorStream(true).start();
        String out = new String(t.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(t.waitFor()).as("taskset: " + out).isZero();
        System.out.println("ProxyBenchIT: pid " + pid + " on CPU " + cpu);
    }
}
