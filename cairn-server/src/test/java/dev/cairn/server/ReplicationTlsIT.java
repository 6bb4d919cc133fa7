// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.replication.Replication;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.NewMessage;
import dev.cairn.store.SlotStore;
import dev.cairn.testkit.TestCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import dev.cairn.server.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `[replication] tls = true` from the config file to a replica that converges, with PEM files as an operator has them. */
class ReplicationTlsIT {
    @TempDir Path dir;

    /** A node's certificate and PKCS#8 key as PEM files in its data directory (tls/cert.pem, tls/key.pem); returns the certificate's PEM. */
    private static String pemFiles(Path data) throws Exception {
        Path made = data.resolve("made");
        SelfSignedCertificate generated = SelfSignedCertificate.loadOrCreate(made);
        char[] password = Files.readString(made.resolve(SelfSignedCertificate.PASSWORD_FILE)).strip().toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(generated.keystore())) {
            ks.load(in, password);
        }
        Base64.Encoder mime = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        String cert = "-----BEGIN CERTIFICATE-----\n" + mime.encodeToString(((X509Certificate) ks.getCertificate("cairn")).getEncoded())
                + "\n-----END CERTIFICATE-----\n";
        Files.createDirectories(data.resolve("tls"));
        Files.writeString(data.resolve("tls/cert.pem"), cert);
        Files.writeString(data.resolve("tls/key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + mime.encodeToString(((PrivateKey) ks.getKey("cairn", password)).getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        return cert;
    }

    /** n1 masters store s1 in sync mode, n2 replicates it, only admin listens; {@code tls1}, {@code tls2}: each node's TLS lines in [replication]. */
    private TestCluster cluster(String tls1, String tls2) throws IOException {
        return TestCluster.of(dir, "n1", "n2").store("sync = false").disable("imap", "pop3", "lmtp").listen("admin")
                .replicated("tls test cluster secret", "sync").lines("n1", "replication", tls1).lines("n2", "replication", tls2).build();
    }

    private static Node start(TestCluster cluster, String node) throws Exception {
        return cluster.start(node, config -> Node.start(ConfigLoader.load(config), Map.of()));
    }

    @Test void nodesConfiguredWithTlsReplicateAndConverge() throws Exception {
        Path d1 = dir.resolve("n1"), d2 = dir.resolve("n2");
        String trust = pemFiles(d1) + pemFiles(d2); // the cluster's trust: both nodes' own certificates
        Files.writeString(d1.resolve("tls/cluster.pem"), trust);
        Files.writeString(d2.resolve("tls/cluster.pem"), trust);
        String tls = "tls = true\ntrust = \"tls/cluster.pem\"";
        TestCluster cluster = cluster(tls, tls);
        NodeConfig c1 = ConfigLoader.load(cluster.config("n1"));
        assertThat(c1.replication().config().tls()).isNotNull();
        try (Node n2 = start(cluster, "n2"); Node n1 = start(cluster, "n1")) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            awaitConnected(n1);
            byte[] message = "Subject: over tls\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
            n1.store().openOrCreateUser("alice").append("INBOX", List.of(new NewMessage(dev.cairn.store.BodySource.of(message), dev.cairn.store.Flags.NONE, Instant.now())));
            SlotStore master = n1.store(), replica = n2.store();
            while (replica.replication().seq("alice") != master.replication().seq("alice")) {
                assertThat(System.nanoTime()).as("replica caught up").isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(replica.user("alice").mailbox("INBOX").orElseThrow().messages()).isEqualTo(1);
            // `cairn replica status` says so.
            RunFile run = RunFile.read(c1.runFile()).orElseThrow();
            try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
                String status = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + run.admin() + "/replication/status"))
                        .header("Authorization", "Bearer " + run.token()).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                assertThat(status).contains("store s1 role=master").contains(" tls=on");
            }
        }
    }

    @Test void tlsWithoutTrustIsAConfigError() {
        assertThatThrownBy(() -> ConfigLoader.parse(cluster("tls = true", "").toml("n1"), "n1.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("replication.trust: is required with tls = true");
        assertThatThrownBy(() -> ConfigLoader.parse(cluster("trust = \"ca.pem\"", "").toml("n1"), "n1.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("replication.trust: only with tls = true");
        assertThatThrownBy(() -> ConfigLoader.parse(cluster("tls = true\ntrust = \"missing.pem\"", "").toml("n1"), "n1.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no such file");
    }

    /** What `cairn tls node` printed for the config, without its [replication] header (the test's config has one). */
    private static String tlsLinesOf(CliRun run) {
        assertThat(run.status()).as(run.err()).isZero();
        String printed = run.out().substring(run.out().indexOf("[replication]\n") + "[replication]\n".length());
        assertThat(printed).startsWith("tls = true\n").contains("certificate = ").contains("key = ").contains("trust = ");
        return printed;
    }

    private static void awaitConnected(Node master) throws Exception {
        eventually(Duration.ofSeconds(60), () -> assertThat(master.replication().status().getFirst().channels())
                .as("channels connected").allMatch(Replication.ChannelStatus::connected));
    }

    @Test @Timeout(180)
    void certificatesFromTheTlsCommandCarryReplicationAndAnotherCasNodeIsRefused() throws Exception {
        Path ca = dir.resolve("ca"), d1 = dir.resolve("n1"), d2 = dir.resolve("n2");
        assertThat(CliRun.run("", "tls", "ca", "--out", ca.toString()).status()).isZero();
        String tls1 = tlsLinesOf(CliRun.run("", "tls", "node", "n1", "--ca", ca.toString(), "--out", d1.resolve("tls").toString(), "--host", "127.0.0.1"));
        String tls2 = tlsLinesOf(CliRun.run("", "tls", "node", "n2", "--ca", ca.toString(), "--out", d2.resolve("tls").toString()));
        // A second CA (another cluster, or an attacker's) and a node certificate from it.
        Path otherCa = dir.resolve("other-ca"), impostor = dir.resolve("impostor");
        assertThat(CliRun.run("", "tls", "ca", "--out", otherCa.toString()).status()).isZero();
        assertThat(CliRun.run("", "tls", "node", "n1", "--ca", otherCa.toString(), "--out", impostor.toString()).status()).isZero();

        TestCluster cluster = cluster(tls1, tls2);
        try (Node n2 = start(cluster, "n2"); Node n1 = start(cluster, "n1")) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            awaitConnected(n1);
            byte[] message = "Subject: made by cairn tls\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
            n1.store().openOrCreateUser("alice").append("INBOX", List.of(new NewMessage(dev.cairn.store.BodySource.of(message), dev.cairn.store.Flags.NONE, Instant.now())));
            SlotStore master = n1.store(), replica = n2.store();
            while (replica.replication().seq("alice") != master.replication().seq("alice")) {
                assertThat(System.nanoTime()).as("replica caught up").isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(replica.user("alice").mailbox("INBOX").orElseThrow().messages()).isEqualTo(1);

            // The impostor holds a certificate named n1 and trusts our CA, but its CA is not ours: n2 refuses it.
            javax.net.ssl.SSLContext theirs = dev.cairn.protocol.tls.TlsContexts.mutualFromPem(impostor.resolve("n1.pem"), impostor.resolve("n1-key.pem"),
                    dev.cairn.protocol.tls.TlsContexts.readCertificates(ca.resolve("ca.pem")));
            assertThatThrownBy(() -> {
                try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) theirs.getSocketFactory().createSocket("127.0.0.1", n2.replication().address().getPort())) {
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    s.getOutputStream().write(new byte[] {0, 0, 0, 1, 1});
                    s.getOutputStream().flush();
                    s.getInputStream().read(); // TLS 1.3: the refusal of the client certificate arrives here
                }
            }).isInstanceOf(IOException.class);
        }
    }

    @Test @Timeout(120)
    void aReplicaWithACertificateFromAnotherCaGetsNoMail() throws Exception {
        Path ca = dir.resolve("ca"), otherCa = dir.resolve("other-ca"), d1 = dir.resolve("n1"), d2 = dir.resolve("n2");
        assertThat(CliRun.run("", "tls", "ca", "--out", ca.toString()).status()).isZero();
        assertThat(CliRun.run("", "tls", "ca", "--out", otherCa.toString()).status()).isZero();
        String tls1 = tlsLinesOf(CliRun.run("", "tls", "node", "n1", "--ca", ca.toString(), "--out", d1.resolve("tls").toString()));
        // n2's certificate comes from the other CA; n2 itself trusts ours (so only n1's check can stop it).
        tlsLinesOf(CliRun.run("", "tls", "node", "n2", "--ca", otherCa.toString(), "--out", d2.resolve("tls").toString()));
        String tls2 = "tls = true\ncertificate = \"tls/n2.pem\"\nkey = \"tls/n2-key.pem\"\ntrust = \"" + ca.resolve("ca.pem").toString().replace("\\", "/") + "\"";
        TestCluster cluster = cluster(tls1, tls2);
        try (Node n2 = start(cluster, "n2"); Node n1 = start(cluster, "n1")) {
            byte[] message = "Subject: secret\r\n\r\nnot for n2\r\n".getBytes(StandardCharsets.US_ASCII);
            // No replica n1 trusts: it takes the mail degraded (on its own disk only) rather than ship it to a stranger.
            n1.store().openOrCreateUser("alice").append("INBOX",
                    List.of(new NewMessage(dev.cairn.store.BodySource.of(message), dev.cairn.store.Flags.NONE, Instant.now())));
            assertThat(n1.replication().status().getFirst().degraded()).startsWith("degraded since ");
            assertThat(n1.replication().status().getFirst().channels()).noneMatch(Replication.ChannelStatus::connected);
            assertThat(n2.store().hasUser("alice")).isFalse();
        }
    }

    /** A two-node config whose peer n2 is at {@code n2Address}, with {@code tlsLines} in [replication]. */
    private static String offLoopback(Path data, String n2Address, String tlsLines) {
        return """
                data = "%s"
                [imap]
                enabled = false
                [pop3]
                enabled = false
                [lmtp]
                enabled = false
                [admin]
                listen = "127.0.0.1:0"
                [replication]
                node = "n1"
                listen = "127.0.0.1:0"
                secret = "tls test cluster secret"
                %s
                [replication.peers]
                n1 = "127.0.0.1:7101"
                n2 = "%s"
                [[replication.stores]]
                name = "s1"
                master = "n1/s0"
                replicas = ["n2/s0"]
                """.formatted(data.toString().replace("\\", "/"), tlsLines, n2Address);
    }

    @Test @Timeout(60)
    void aPeerOffLoopbackWithoutTlsRefusesToStartWithOneLineThatSaysWhatToDo() throws Exception {
        Path file = dir.resolve("n1.toml");
        Files.writeString(file, offLoopback(dir.resolve("data"), "192.0.2.10:7101", ""));
        assertThatThrownBy(() -> ConfigLoader.load(file)).isInstanceOf(ConfigException.class);
        CliRun run = CliRun.run("", "serve", "--config", file.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err().strip()).doesNotContain("\n")
                .startsWith("cairn: " + file + ": replication.tls: peer n2 (192.0.2.10:7101) is not on loopback, so replication must be encrypted")
                .contains("cairn tls ca --out ca").contains("cairn tls node n1 --ca ca --out tls").contains("tls = true")
                .contains("tls = false and insecure = true");
        assertThat(dir.resolve("data")).doesNotExist(); // refused before anything was opened

        // tls = false alone is not enough, nor is insecure = true alone ...
        assertThatThrownBy(() -> ConfigLoader.parse(offLoopback(dir, "192.0.2.10:7101", "tls = false"), "n1.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("is not on loopback");
        assertThatThrownBy(() -> ConfigLoader.parse(offLoopback(dir, "192.0.2.10:7101", "insecure = true"), "n1.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("replication.insecure: only with tls = false");
        // ... both together are the operator's explicit choice; and peers on loopback need neither.
        assertThat(ConfigLoader.parse(offLoopback(dir, "192.0.2.10:7101", "tls = false\ninsecure = true"), "n1.toml").replication().config().tls()).isNull();
        assertThat(ConfigLoader.parse(offLoopback(dir, "127.0.0.1:7102", ""), "n1.toml").replication().config().tls()).isNull();
    }
}
