// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.replication.Replication;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.testkit.TestCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator's first hour relies on (issue 17): {@code /metrics} that Prometheus's own
 * checker accepts, with the per-protocol series after real IMAP, POP3 and LMTP traffic, and
 * {@code /health} (alive) apart from {@code /ready} (serves its role), single and replicated.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OperatorEndpointsIT {
    @TempDir Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(Node node, String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + node.address("admin").getPort() + path);
        return http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Nodes with alice on each; more than one: n1 masters store s1 in async mode, the others replicate it. */
    private TestCluster cluster(String... nodes) throws IOException {
        TestCluster.Builder spec = TestCluster.of(dir, nodes).store("sync = false").listen("imap", "lmtp", "pop3", "admin");
        if (nodes.length > 1) spec.replicated("readiness test cluster secret", "async");
        TestCluster cluster = spec.build();
        for (String node : nodes) {
            assertThat(Main.run(new ByteArrayInputStream("pw-of-the-test\n".getBytes(StandardCharsets.UTF_8)),
                    "user", "add", "alice", "--password-stdin", "--address", "alice@example.org", "--config", cluster.config(node).toString())).isZero();
        }
        return cluster;
    }

    private static Node start(TestCluster cluster, String node) throws Exception {
        return cluster.start(node, config -> Node.start(ConfigLoader.load(config), ProtocolListeners.builtIn()));
    }

    /** promtool's verdict on a scrape: its exit status and what it printed. */
    private static String[] promtool(String scrape) throws Exception {
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(scrape.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new String[] {Integer.toString(p.exitValue()), out};
    }

    private static boolean promtoolInstalled() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "promtool"))) return true;
        }
        return false;
    }

    @Test void aSingleNodesMetricsPassPromtoolAndCountEachProtocol() throws Exception {
        try (Node node = start(cluster("n1"), "n1")) {
            // Traffic: IMAP good and bad login and a few commands, POP3 a good login, LMTP one
            // message delivered and one recipient rejected.
            List<String> imap = ServeIT.imap(node.address("imap"), "LOGIN alice wrong", "LOGIN alice pw-of-the-test",
                    "SELECT INBOX", "NOOP", "XNOSUCH", "LOGOUT");
            assertThat(imap).anyMatch(l -> l.startsWith("a2 OK"));
            assertThat(ServeIT.pop3(node.address("pop3"), "USER alice", "PASS pw-of-the-test", "STAT").get(2)).startsWith("+OK");
            assertThat(ServeIT.deliverOverLmtp(node.address("lmtp"), "alice@example.org", "Subject: hi\r\n\r\nhello\r\n").getLast())
                    .startsWith("250");
            assertThat(ServeIT.deliverOverLmtp(node.address("lmtp"), "nobody@example.org", "Subject: hi\r\n\r\nhello\r\n"))
                    .anyMatch(r -> r.startsWith("550"));

            String scrape = get(node, "/metrics").body();
            assertThat(scrape).contains("cairn_build_info{")
                    .contains("process_cpu_seconds_total").doesNotContain("process_cpu_time_ns_total")
                    .contains("cairn_connections_max{listener=\"imap\"}")
                    .contains("cairn_connections_open{listener=\"pop3\"}")
                    .contains("cairn_connections_open{listener=\"lmtp\"}");
            assertThat(ServeIT.metricValue(scrape, "cairn_auth_attempts_total{protocol=\"imap\",result=\"success\"}")).isEqualTo(1);
            assertThat(ServeIT.metricValue(scrape, "cairn_auth_attempts_total{protocol=\"imap\",result=\"invalid_credentials\"}")).isEqualTo(1);
            assertThat(ServeIT.metricValue(scrape, "cairn_auth_attempts_total{protocol=\"pop3\",result=\"success\"}")).isEqualTo(1);
            assertThat(ServeIT.metricValue(scrape, "cairn_commands_seconds_count{command=\"LOGIN\",protocol=\"imap\"}")).isEqualTo(2);
            assertThat(ServeIT.metricValue(scrape, "cairn_commands_seconds_count{command=\"SELECT\",protocol=\"imap\"}")).isEqualTo(1);
            assertThat(ServeIT.metricValue(scrape, "cairn_commands_seconds_count{command=\"STAT\",protocol=\"pop3\"}")).isEqualTo(1);
            // An invented verb does not get a label of its own.
            assertThat(scrape).doesNotContain("XNOSUCH");
            assertThat(ServeIT.metricValue(scrape, "cairn_commands_seconds_count{command=\"other\",protocol=\"imap\"}")).isEqualTo(1);
            assertThat(ServeIT.metricValue(scrape, "cairn_lmtp_deliveries_total{outcome=\"delivered\"}")).isEqualTo(1);
            assertThat(ServeIT.metricValue(scrape, "cairn_lmtp_deliveries_total{outcome=\"rejected\"}")).isEqualTo(1);
            assertThat(ServeIT.metricValue(scrape, "cairn_lmtp_deliveries_total{outcome=\"tempfailed\"}")).isZero();
            // Every meter of ours explains itself.
            assertThat(scrape.lines().filter(l -> l.startsWith("# HELP cairn_")))
                    .allSatisfy(l -> assertThat(l.split(" ", 4)).hasSize(4));

            assumeTrue(promtoolInstalled() || "true".equals(System.getenv("CI")),
                    "promtool is not installed here (Debian package prometheus; CI installs it): not checking the format");
            String[] verdict = promtool(scrape);
            assertThat(verdict[0]).as(verdict[1]).isEqualTo("0");
        }
    }

    @Test void healthIsLivenessAndReadyTellsTheRole() throws Exception {
        try (Node node = start(cluster("single"), "single")) {
            assertThat(get(node, "/health").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = get(node, "/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("single\n");
        }
    }

    @Test void aReplicaIsAliveButNotReadyUntilPromoted() throws Exception {
        TestCluster cluster = cluster("n1", "n2");
        try (Node n2 = start(cluster, "n2"); Node n1 = start(cluster, "n1")) {
            assertThat(get(n1, "/health").statusCode()).isEqualTo(200);
            assertThat(get(n2, "/health").statusCode()).isEqualTo(200);
            assertThat(get(n1, "/ready")).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("master\n");
            });
            assertThat(get(n2, "/ready")).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.body()).isEqualTo("replica\n");
            });

            // The master's replication series are in the scrape and pass promtool too.
            eventually(Duration.ofSeconds(30), () -> assertThat(n1.replication().status().getFirst().channels())
                    .as("channels connected").allMatch(Replication.ChannelStatus::connected));
            assertThat(ServeIT.deliverOverLmtp(n1.address("lmtp"), "alice@example.org", "Subject: hi\r\n\r\nhello\r\n").getLast())
                    .startsWith("250");
            String scrape = get(n1, "/metrics").body();
            assertThat(scrape).contains("cairn_replication_lag_seconds{store=\"s1\"}").doesNotContain("lag_ms")
                    .contains("cairn_replication_delay_seconds_bucket{");
            // Per replica: connected, since when, lag in changes and seconds, last Ack.
            assertThat(scrape).contains("cairn_replication_replica_connected{replica=\"n2\",store=\"s1\"} 1.0")
                    .contains("cairn_replication_replica_state_change_timestamp_seconds{replica=\"n2\",store=\"s1\"}")
                    .contains("cairn_replication_replica_lag_changes{replica=\"n2\",store=\"s1\"}")
                    .contains("cairn_replication_replica_lag_seconds{replica=\"n2\",store=\"s1\"}")
                    .contains("cairn_replication_replica_last_ack_timestamp_seconds{replica=\"n2\",store=\"s1\"}");
            // Bounded: the delay histogram has 15 buckets and +Inf per replica, not ~90.
            assertThat(scrape.lines().filter(l -> l.startsWith("cairn_replication_delay_seconds_bucket{"))).hasSize(16);
            if (promtoolInstalled()) {
                String[] verdict = promtool(scrape);
                assertThat(verdict[0]).as(verdict[1]).isEqualTo("0");
            }

            eventually(Duration.ofSeconds(30), () -> assertThat(n2.replication().status().getFirst().inSync().get("n2"))
                    .as("n2 told it is in sync").startsWith("in sync"));
            n2.replication().promote("s1");
            eventually(Duration.ofSeconds(30), () -> assertThat(n1.role()).as("n1 learns of the newer epoch").isEqualTo(NodeRole.REPLICA));
            assertThat(get(n2, "/ready")).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("master\n");
            });
            assertThat(get(n1, "/ready")).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.body()).isEqualTo("replica\n");
            });
            assertThat(get(n1, "/health").statusCode()).isEqualTo(200);
        }
    }
}
