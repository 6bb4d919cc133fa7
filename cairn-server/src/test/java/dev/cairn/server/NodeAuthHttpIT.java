// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.proxy.AuthHttpEndpoint;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.testkit.NginxProcess;
import dev.cairn.testkit.Ports;
import dev.cairn.testkit.TestCluster;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with {@code [proxy] auth_http} answers nginx's mail proxy with its own IMAP listener for
 * its users, and a real nginx in front of it logs a user in there (a node on its own: every user
 * is its own; a cluster's nodes name the user's master, NginxClusterIT; a static replica names no
 * one and answers "try again later").
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class NodeAuthHttpIT {
    static final String KEY = "node-auth-http-key-0123456789";

    @TempDir Path dir;

    @Test
    void nginxLogsAUserInAtTheNodeItsAuthHttpEndpointNames() throws Exception {
        int authPort = Ports.free();
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("auth_http.key"), KEY + "\n");
        Path file = dir.resolve("node.toml");
        Files.writeString(file, """
                data = "%s"
                [store]
                sync = false
                [imap]
                listen = "127.0.0.1:0"
                [pop3]
                listen = "127.0.0.1:0"
                [lmtp]
                enabled = false
                [admin]
                enabled = false
                [proxy]
                auth_http = "127.0.0.1:%d"
                auth_http_key_file = "auth_http.key"
                """.formatted(data.toString().replace("\\", "/"), authPort));
        assertThat(Main.run(new ByteArrayInputStream("pw-of-alice\n".getBytes(StandardCharsets.UTF_8)),
                "user", "add", "alice", "--password-stdin", "--config", file.toString())).isZero();
        URI auth = URI.create("http://127.0.0.1:" + authPort + AuthHttpEndpoint.PATH);
        try (Node node = Node.start(ConfigLoader.load(file), ProtocolListeners.builtIn());
             HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<Void> ok = http.send(HttpRequest.newBuilder(auth).headers(AuthHttpEndpoint.KEY_HEADER, KEY,
                    "Auth-Method", "plain", "Auth-User", "alice", "Auth-Pass", "pw-of-alice", "Auth-Protocol", "pop3",
                    "Auth-Login-Attempt", "1", "Client-IP", "192.0.2.7").build(), HttpResponse.BodyHandlers.discarding());
            assertThat(ok.headers().firstValue("Auth-Status")).hasValue("OK");
            assertThat(ok.headers().firstValue("Auth-Server")).hasValue("127.0.0.1");
            assertThat(ok.headers().firstValue("Auth-Port")).hasValue(Integer.toString(node.address("pop3").getPort()));
            HttpResponse<Void> foreign = http.send(HttpRequest.newBuilder(auth).headers(AuthHttpEndpoint.KEY_HEADER, "not-the-key",
                    "Auth-Method", "plain", "Auth-User", "alice", "Auth-Pass", "pw-of-alice", "Auth-Protocol", "imap").build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(foreign.statusCode()).isEqualTo(403);

            assumeTrue(NginxProcess.installed() || NginxProcess.required(),
                    "nginx with its mail module is not installed (apt-get install " + NginxProcess.PACKAGES + ")");
            try (NginxProcess nginx = NginxProcess.mailProxy(auth, AuthHttpEndpoint.KEY_HEADER, KEY, List.of("imap"))) {
                List<String> lines = ServeIT.imap(new java.net.InetSocketAddress("127.0.0.1", nginx.port("imap")),
                        "LOGIN alice pw-of-alice", "SELECT INBOX", "LOGOUT");
                assertThat(lines).as(String.join("\n", lines)).anyMatch(l -> l.startsWith("a1 OK"))
                        .anyMatch(l -> l.startsWith("a2 OK"));
            }
        }
    }

    /**
     * A static pair ([replication] stores, no cluster): the replica's endpoint does not name its own
     * listener, where every login is refused (NO [UNAVAILABLE]), but answers "try again later"; the
     * master's names its own.
     */
    @Test
    void aStaticReplicaNodesEndpointAnswersTryAgainLaterInsteadOfNamingItself() throws Exception {
        int n1Auth = Ports.free(), n2Auth = Ports.free();
        TestCluster c = TestCluster.of(dir, "n1", "n2").store("sync = false").listen("imap", "admin").disable("pop3", "lmtp")
                .replicated("node auth_http static pair secret", null)
                .lines("n1", "proxy", "auth_http = \"127.0.0.1:" + n1Auth + "\"", "auth_http_key_file = \"auth_http.key\"")
                .lines("n2", "proxy", "auth_http = \"127.0.0.1:" + n2Auth + "\"", "auth_http_key_file = \"auth_http.key\"")
                .build();
        for (String n : c.nodes()) {
            Files.createDirectories(c.data(n));
            Files.writeString(c.data(n).resolve("auth_http.key"), KEY + "\n");
        }
        try (NodeProcesses p = new NodeProcesses(c, dir); HttpClient http = HttpClient.newHttpClient()) {
            p.addUsers("alice");
            p.start("n1");
            p.start("n2");
            HttpResponse<Void> master = ask(http, n1Auth, "alice", NodeProcesses.PASSWORD);
            assertThat(master.headers().firstValue("Auth-Status")).hasValue("OK");
            assertThat(master.headers().firstValue("Auth-Port")).hasValue(Integer.toString(c.port("n1", "imap")));
            HttpResponse<Void> replica = ask(http, n2Auth, "alice", NodeProcesses.PASSWORD);
            assertThat(replica.headers().firstValue("Auth-Status")).hasValue("Temporary server problem, try again later");
            assertThat(replica.headers().firstValue("Auth-Wait")).isPresent();
            assertThat(replica.headers().firstValue("Auth-Port")).isEmpty();
            // the password is still checked first: a wrong one is not told apart by the replica's state
            assertThat(ask(http, n2Auth, "alice", "not the password").headers().firstValue("Auth-Status"))
                    .hasValue("Invalid login or password");
        }
    }

    private static HttpResponse<Void> ask(HttpClient http, int port, String user, String password) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + AuthHttpEndpoint.PATH))
                .timeout(java.time.Duration.ofSeconds(30)).headers(AuthHttpEndpoint.KEY_HEADER, KEY, "Auth-Method", "plain",
                        "Auth-User", user, "Auth-Pass", password, "Auth-Protocol", "imap", "Auth-Login-Attempt", "1",
                        "Client-IP", "192.0.2.7").build(), HttpResponse.BodyHandlers.discarding());
    }
}
