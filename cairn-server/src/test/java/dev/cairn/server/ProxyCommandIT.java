// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.Ports;
import dev.cairn.testkit.PostgresServer;
import dev.cairn.testkit.TestCluster;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21: {@code cairn proxy --config} as a process of its own beside a two-node cluster (one
 * ZooKeeper ensemble, one PostgreSQL directory). It starts, registers as a front-end
 * ({@code cairn cluster status} lists it), greets IMAP clients and answers CAPABILITY as a node
 * does, refuses a wrong password as a node does, and relays a right one to the master of the user's
 * store; its LMTP forwards a delivery there, and the replica node relays the same user (unified mode).
 */
@Timeout(240)
class ProxyCommandIT {
    private static final String SECRET = "proxy command test secret";

    @TempDir Path dir;

    @Test void aProxyProcessRegistersGreetsAndChecksLoginsAgainstTheClustersDirectory() throws Exception {
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
             PostgresServer postgres = PostgresServer.start()) {
            postgres.createDatabase("cairn");
            Path password = postgres.writePasswordFile(dir.resolve("directory.password"));
            String[] directory = {"url = \"" + postgres.url("cairn") + "\"", "user = \"" + PostgresServer.USER + "\"",
                    "password_file = \"" + password.toString().replace("\\", "/") + "\"", "pool_size = 2", "default_domain = \"example.org\""};
            TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false", "channels = 2").listen("imap", "lmtp", "admin")
                    .disable("pop3").cluster(SECRET, zk.connectString(), "session_timeout = \"4s\"")
                    .replication("sync_timeout = \"2s\"").directory(directory).build();
            try (NodeProcesses p = new NodeProcesses(c, dir)) {
                p.start("n1");
                p.start("n2");
                CliRun create = CliRun.run("", "store", "create", "s1", "--master", "n1/s0", "--replicas", "n2/s0", "--config", c.config("n1").toString());
                assertThat(create.status()).as(create.err()).isZero();
                eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=master"));
                p.addUsersOn("n1", "s1", "alice");

                int imap = Ports.free(), lmtp = Ports.free(), admin = Ports.free();
                Process proxy = ProxiedCluster.startProxy(dir,
                        ProxiedCluster.proxyConfig(dir, directory, zk.connectString(), SECRET, Duration.ofSeconds(1), imap, lmtp, admin), admin);
                try {
                    HttpClient http = HttpClient.newHttpClient();
                    assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString()).body()).contains("cairn_");

                    CliRun status = CliRun.run("", "cluster", "status", "--config", c.config("n2").toString());
                    assertThat(status.status()).as(status.err()).isZero();
                    assertThat(status.out()).contains("front-ends").containsPattern("proxy-1 +since .*admin 127\\.0\\.0\\.1:" + admin + "  imap 127\\.0\\.0\\.1:" + imap);

                    try (Socket s = new Socket("127.0.0.1", imap)) {
                        s.setSoTimeout(30_000);
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                        OutputStream out = s.getOutputStream();
                        assertThat(in.readLine()).startsWith("* OK");
                        assertThat(exchange(in, out, "a CAPABILITY")).anyMatch(l -> l.startsWith("* CAPABILITY IMAP4rev2") || l.contains(" IMAP4rev1"))
                                .last().asString().startsWith("a OK");
                        assertThat(exchange(in, out, "b LOGIN alice \"not the password\"").getLast()).startsWith("b NO [AUTHENTICATIONFAILED]");
                        // relayed to n1, the master of alice's store: the back-end's own answer, tag and all
                        assertThat(exchange(in, out, "c LOGIN alice \"" + NodeProcesses.PASSWORD + "\"").getLast()).startsWith("c OK [CAPABILITY");
                        assertThat(exchange(in, out, "d SELECT INBOX").getLast()).startsWith("d OK");
                    }
                    // the proxy's LMTP forwards to n1; the message is seen through the proxy and through n2 (unified mode)
                    try (Socket s = new Socket("127.0.0.1", lmtp)) {
                        s.setSoTimeout(30_000);
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                        OutputStream out = s.getOutputStream();
                        assertThat(in.readLine()).startsWith("220");
                        for (String step : List.of("LHLO test", "MAIL FROM:<bob@example.org>", "RCPT TO:<alice@example.org>", "DATA")) {
                            out.write((step + "\r\n").getBytes(StandardCharsets.UTF_8));
                            out.flush();
                            String reply = in.readLine();
                            while (reply.charAt(3) == '-') reply = in.readLine();
                            assertThat(reply).as(step).matches(step.equals("DATA") ? "354.*" : "250.*");
                        }
                        out.write("Subject: through the proxy\r\n\r\nhello\r\n.\r\n".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        assertThat(in.readLine()).startsWith("250 2.");
                    }
                    for (int port : new int[] {imap, c.port("n2", "imap")}) {
                        try (Socket s = new Socket("127.0.0.1", port)) {
                            s.setSoTimeout(30_000);
                            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                            OutputStream out = s.getOutputStream();
                            assertThat(in.readLine()).startsWith("* OK");
                            assertThat(exchange(in, out, "a LOGIN alice \"" + NodeProcesses.PASSWORD + "\"").getLast()).startsWith("a OK");
                            assertThat(exchange(in, out, "b SELECT INBOX")).contains("* 1 EXISTS");
                        }
                    }
                } finally {
                    proxy.destroy();
                    if (!proxy.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) proxy.destroyForcibly();
                }
                // its registration went with it
                eventually(Duration.ofSeconds(15), () -> assertThat(CliRun.run("", "cluster", "status", "--config", c.config("n2").toString()).out())
                        .doesNotContain("proxy-1"));
            }
        }
    }

    private static List<String> exchange(BufferedReader in, OutputStream out, String command) throws java.io.IOException {
        out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        String tag = command.substring(0, command.indexOf(' ') + 1);
        List<String> lines = new ArrayList<>();
        for (String l = in.readLine(); l != null; l = in.readLine()) {
            lines.add(l);
            if (l.startsWith(tag)) return lines;
        }
        throw new java.io.IOException("closed before the answer to " + command + ": " + lines);
    }
}
