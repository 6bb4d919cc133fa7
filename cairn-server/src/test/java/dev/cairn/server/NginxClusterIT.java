// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.proxy.AuthHttpEndpoint;
import dev.cairn.server.cli.CliRun;
import dev.cairn.testkit.NginxProcess;
import dev.cairn.testkit.Ports;
import dev.cairn.testkit.PostgresServer;
import dev.cairn.testkit.TestCluster;
import dev.cairn.testkit.ZooKeeperEnsemble;
import java.io.BufferedReader;
import java.io.IOException;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, must-show 4: Debian's nginx (its mail module) in front of a three-node cluster through
 * {@code auth_http}. Store s1 is mastered by n1 with a replica on n2; the endpoint runs on n3, which
 * masters nothing (so every answer it gives is the cluster's, not its own). A client logs in through
 * nginx and APPENDs (on n1); n1 is killed with SIGKILL; the next login through nginx lands on n2 and
 * sees the message, over IMAP and POP3. The time from the kill to the first login through nginx that
 * succeeds is printed.
 */
@Timeout(240)
class NginxClusterIT {
    private static final String SECRET = "nginx cluster test secret";
    private static final String KEY = "nginx-cluster-auth-http-key-0123";
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
    /** n3's [proxy] login_wait: how long auth_http waits for a store's next master. */
    private static final Duration LOGIN_WAIT = Duration.ofSeconds(15);

    @TempDir Path dir;

    @Test void aLoginThroughNginxAfterTheMasterIsKilledLandsOnTheNewMasterAndSeesTheMessage() throws Exception {
        assumeTrue(NginxProcess.installed() || NginxProcess.required(),
                "nginx with its mail module is not installed (apt-get install " + NginxProcess.PACKAGES + ")");
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir.resolve("zk"));
             PostgresServer postgres = PostgresServer.start();
             HttpClient http = HttpClient.newHttpClient()) {
            postgres.createDatabase("cairn");
            Path password = postgres.writePasswordFile(dir.resolve("directory.password"));
            int authPort = Ports.free();
            TestCluster c = TestCluster.of(dir, "n1", "n2", "n3").store("sync = false", "channels = 2")
                    .listen("imap", "pop3", "lmtp", "admin")
                    .cluster(SECRET, zk.connectString(), "session_timeout = \"" + SESSION_TIMEOUT.toSeconds() + "s\"",
                            "failover_damping = \"0s\"", "rejoin_grace = \"0s\"")
                    .replication("sync_timeout = \"2s\"")
                    .directory("url = \"" + postgres.url("cairn") + "\"", "user = \"" + PostgresServer.USER + "\"",
                            "password_file = \"" + password.toString().replace("\\", "/") + "\"", "pool_size = 2",
                            "default_domain = \"example.org\"")
                    .lines("n3", "proxy", "auth_http = \"127.0.0.1:" + authPort + "\"", "auth_http_key_file = \"auth_http.key\"",
                            "login_wait = \"" + LOGIN_WAIT.toSeconds() + "s\"")
                    .build();
            Files.createDirectories(c.data("n3"));
            Files.writeString(c.data("n3").resolve("auth_http.key"), KEY + "\n");
            URI auth = URI.create("http://127.0.0.1:" + authPort + AuthHttpEndpoint.PATH);
            try (NodeProcesses p = new NodeProcesses(c, dir)) {
                for (String n : c.nodes()) p.start(n);
                CliRun create = CliRun.run("", "store", "create", "s1", "--master", "n1/s0", "--replicas", "n2/s0",
                        "--config", c.config("n1").toString());
                assertThat(create.status()).as(create.err()).isZero();
                eventually(Duration.ofSeconds(30), () -> assertThat(p.status("n1")).contains("role=master"));
                p.awaitInSync("n2");
                p.addUsersOn("n1", "s1", "alice");
                // n3 names n1, the master of alice's store, once its picture of the cluster has it
                eventually(Duration.ofSeconds(30), () -> assertThat(ask(http, auth, "imap"))
                        .isEqualTo("OK 127.0.0.1:" + c.port("n1", "imap")));

                try (NginxProcess nginx = NginxProcess.mailProxy(auth, AuthHttpEndpoint.KEY_HEADER, KEY, List.of("imap", "pop3"))) {
                    double onN1 = imapLogins(p, "n1");
                    String message = "From: bob@example.org\r\nSubject: through nginx\r\n\r\nhello\r\n";
                    try (NodeProcesses.Imap imap = new NodeProcesses.Imap("127.0.0.1", nginx.port("imap"), "alice")) {
                        assertThat(imap.command("APPEND INBOX {" + message.length() + "+}\r\n" + message).getLast())
                                .startsWith("t2 OK");
                    }
                    assertThat(imapLogins(p, "n1")).as("nginx logged alice in on n1").isEqualTo(onN1 + 1);
                    // the replica has the message before its master goes
                    eventually(Duration.ofSeconds(10), () -> assertThat(p.status("n2")).contains("self=n2 in sync as of epoch"));

                    double onN2 = imapLogins(p, "n2");
                    long killed = System.nanoTime();
                    p.kill("n1");
                    List<String> failed = new ArrayList<>();
                    long firstLogin = 0, lastAttempt = 0;
                    List<String> inbox = null;
                    while (firstLogin == 0 && System.nanoTime() - killed < Duration.ofSeconds(60).toNanos()) {
                        lastAttempt = System.nanoTime();
                        try (NodeProcesses.Imap imap = new NodeProcesses.Imap("127.0.0.1", nginx.port("imap"), "alice")) {
                            firstLogin = System.nanoTime();
                            inbox = imap.command("SELECT INBOX");
                        } catch (IOException e) {
                            failed.add(Duration.ofNanos(System.nanoTime() - killed).toMillis() + " ms: " + e.getMessage());
                            Thread.sleep(100);
                        }
                    }
                    assertThat(firstLogin).as("a login through nginx within 60 s of the kill; failed: " + failed).isNotZero();
                    Duration toLogin = Duration.ofNanos(firstLogin - killed), lastWait = Duration.ofNanos(firstLogin - lastAttempt);
                    System.out.printf("nginx in front of the cluster: kill -9 of the master -> first login through nginx %d ms "
                                    + "(that login waited %d ms; %d failed before it: %s; session timeout %d ms, login wait %d ms)%n",
                            toLogin.toMillis(), lastWait.toMillis(), failed.size(), failed, SESSION_TIMEOUT.toMillis(), LOGIN_WAIT.toMillis());
                    assertThat(inbox).as("the message is on the new master").contains("* 1 EXISTS");
                    assertThat(imapLogins(p, "n2")).as("nginx logged alice in on n2").isEqualTo(onN2 + 1);
                    assertThat(ask(http, auth, "imap")).isEqualTo("OK 127.0.0.1:" + c.port("n2", "imap"));
                    // a login during the failover waits for the new master: it does not fail
                    assertThat(failed).as("logins through nginx that failed during the failover").isEmpty();
                    assertThat(toLogin).isLessThan(SESSION_TIMEOUT.plus(LOGIN_WAIT));

                    assertThat(pop3(nginx.port("pop3"))).as("POP3 through nginx on the new master").startsWith("+OK 1 ");
                }
            }
        }
    }

    /** What n3's auth_http answers for alice now: "OK host:port", or the status it gave. */
    private static String ask(HttpClient http, URI auth, String protocol) throws Exception {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(auth).timeout(Duration.ofSeconds(30)).headers(AuthHttpEndpoint.KEY_HEADER, KEY,
                        "Auth-Method", "plain", "Auth-User", "alice", "Auth-Pass", NodeProcesses.PASSWORD, "Auth-Protocol", protocol,
                        "Auth-Login-Attempt", "1", "Client-IP", "127.0.0.1").build(),
                HttpResponse.BodyHandlers.discarding());
        String status = r.headers().firstValue("Auth-Status").orElse("(none: HTTP " + r.statusCode() + ")");
        if (!status.equals("OK")) return status;
        return "OK " + r.headers().firstValue("Auth-Server").orElse("?") + ":" + r.headers().firstValue("Auth-Port").orElse("?");
    }

    private static final Pattern IMAP_LOGINS = Pattern.compile("^cairn_auth_attempts_total\\{[^}]*protocol=\"imap\"[^}]*result=\"success\"[^}]*} (\\S+)$",
            Pattern.MULTILINE);

    /** The IMAP logins the node has accepted, from its metrics. */
    private static double imapLogins(NodeProcesses p, String node) throws Exception {
        Matcher m = IMAP_LOGINS.matcher(p.admin(node, "GET", "/metrics"));
        assertThat(m.find()).as("the IMAP login counter of " + node).isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** USER/PASS then STAT through nginx's POP3 listener: the answer to STAT. */
    private static String pop3(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            assertThat(in.readLine()).startsWith("+OK");
            for (String command : List.of("USER alice", "PASS " + NodeProcesses.PASSWORD)) {
                out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertThat(in.readLine()).as(command).startsWith("+OK");
            }
            out.write("STAT\r\nQUIT\r\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            return in.readLine();
        }
    }
}
