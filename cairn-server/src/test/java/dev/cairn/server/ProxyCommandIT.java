// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.protocol.tls.TlsContexts;
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
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21: {@code cairn proxy --config} as a process of its own beside a two-node cluster (one
 * ZooKeeper ensemble, one PostgreSQL directory). It starts, registers as a front-end
 * ({@code cairn cluster status} lists it), greets IMAP clients and answers CAPABILITY as a node
 * does, refuses a wrong password as a node does, and relays a right one to the master of the user's
 * store; its LMTP forwards a delivery there, and the replica node relays the same user (unified mode).
 * A renewed certificate is presented after SIGHUP, with no restart, and after `cairn reload` with
 * the proxy's config, which says when a file cannot be used.
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

                int imap = Ports.free(), lmtp = Ports.free(), admin = Ports.free(), imaps = Ports.free();
                List<String> proxyConfig = new ArrayList<>(
                        ProxiedCluster.proxyConfig(dir, directory, zk.connectString(), SECRET, Duration.ofSeconds(1), imap, lmtp, admin));
                proxyConfig.addAll(List.of("[imaps]", "listen = \"127.0.0.1:" + imaps + "\""));
                Process proxy = ProxiedCluster.startProxy(dir, proxyConfig, admin);
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
                    aRenewedCertificateIsPresentedAfterSighupAndRelayedSessionsGoOn(proxy, imap, imaps);
                } finally {
                    proxy.destroy();
                    if (!proxy.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) proxy.destroyForcibly();
                }
                // its registration and its run file went with it
                assertThat(dir.resolve("proxy/server.properties")).doesNotExist();
                eventually(Duration.ofSeconds(15), () -> assertThat(CliRun.run("", "cluster", "status", "--config", c.config("n2").toString()).out())
                        .doesNotContain("proxy-1"));
            }
        }
    }

    /**
     * The proxy's certificate renewed in place (tls/cert.pem and key.pem under its data directory),
     * then SIGHUP: the next handshake presents the new one, without a restart that would end every
     * relayed session: one logged in before goes on.
     */
    private void aRenewedCertificateIsPresentedAfterSighupAndRelayedSessionsGoOn(Process proxy, int imap, int imaps) throws Exception {
        Path certificate = dir.resolve("proxy/tls/cert.pem"), key = dir.resolve("proxy/tls/key.pem");
        X509Certificate selfSigned = TlsContexts.readCertificates(certificate).getFirst();
        assertThat(presented(imaps, List.of(selfSigned))).isEqualTo(selfSigned);
        byte[] selfSignedPem = Files.readAllBytes(certificate), selfSignedKey = Files.readAllBytes(key);
        try (Socket s = new Socket("127.0.0.1", imap)) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            assertThat(in.readLine()).startsWith("* OK");
            assertThat(exchange(in, out, "a LOGIN alice \"" + NodeProcesses.PASSWORD + "\"").getLast()).startsWith("a OK");

            Path ca = dir.resolve("ca"), issued = dir.resolve("issued");
            assertThat(CliRun.run("", "tls", "ca", "--out", ca.toString()).status()).isZero();
            assertThat(CliRun.run("", "tls", "node", "mail", "--ca", ca.toString(), "--out", issued.toString(), "--host", "127.0.0.1").status()).isZero();
            Files.copy(issued.resolve("mail.pem"), certificate, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(issued.resolve("mail-key.pem"), key, StandardCopyOption.REPLACE_EXISTING);
            Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(proxy.pid())).redirectErrorStream(true).start();
            assertThat(hup.waitFor()).isZero();
            List<X509Certificate> trustTheCa = TlsContexts.readCertificates(ca.resolve("ca.pem"));
            X509Certificate fromTheCa = TlsContexts.readCertificates(issued.resolve("mail.pem")).getFirst();
            eventually(Duration.ofSeconds(15), () -> assertThat(presented(imaps, trustTheCa)).isEqualTo(fromTheCa));
            assertThat(Files.readString(dir.resolve("proxy.log"))).contains("reloaded: mail listeners: certificate " + certificate);

            // `cairn reload` with the proxy's config: the same, with an answer. A file that cannot be used is
            // said (exit 1) and the proxy keeps what it had; the self-signed pair back is presented again.
            Path config = dir.resolve("proxy.toml");
            Files.writeString(certificate, "not a certificate\n");
            CliRun refused = CliRun.run("", "reload", "--config", config.toString());
            assertThat(refused.status()).as(refused.out() + refused.err()).isEqualTo(1);
            assertThat(refused.err().strip()).doesNotContain("\n").startsWith("cairn: ").contains(certificate.toString());
            assertThat(presented(imaps, trustTheCa)).isEqualTo(fromTheCa);
            Files.write(certificate, selfSignedPem);
            Files.write(key, selfSignedKey);
            CliRun reload = CliRun.run("", "reload", "--config", config.toString());
            assertThat(reload.status()).as(reload.out() + reload.err()).isZero();
            assertThat(reload.out()).contains("mail listeners: certificate " + certificate);
            assertThat(presented(imaps, List.of(selfSigned))).isEqualTo(selfSigned);

            assertThat(proxy.isAlive()).isTrue();
            assertThat(exchange(in, out, "b SELECT INBOX").getLast()).as("the session relayed before the reloads").startsWith("b OK");
        }
    }

    /** The certificate the proxy's IMAPS listener presents to a client that trusts {@code trusted}. */
    private static X509Certificate presented(int port, List<X509Certificate> trusted) throws Exception {
        try (SSLSocket socket = (SSLSocket) TlsContexts.clientTrusting(trusted).getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.startHandshake();
            assertThat(new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine()).startsWith("* OK");
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
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
