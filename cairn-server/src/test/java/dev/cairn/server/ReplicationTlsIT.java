// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.protocol.tls.SelfSignedCertificate;
import dev.cairn.replication.Replication;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.NewMessage;
import dev.cairn.store.rocks.RocksSlotStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `[replication] tls = true` from the config file to a replica that converges, with PEM files as an operator has them. */
class ReplicationTlsIT {
    @TempDir Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

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

    private static String config(Path data, String node, int admin, Map<String, Integer> repl, String tlsLines) {
        return """
                data = "%s"
                [store]
                sync = false
                [imap]
                enabled = false
                [pop3]
                enabled = false
                [lmtp]
                enabled = false
                [admin]
                listen = "127.0.0.1:%d"
                [replication]
                node = "%s"
                listen = "127.0.0.1:%d"
                secret = "tls test cluster secret"
                %s
                [replication.peers]
                n1 = "127.0.0.1:%d"
                n2 = "127.0.0.1:%d"
                [[replication.stores]]
                name = "s1"
                mode = "sync"
                master = "n1/s0"
                replicas = ["n2/s0"]
                """.formatted(data.toString().replace("\\", "/"), admin, node, repl.get(node), tlsLines, repl.get("n1"), repl.get("n2"));
    }

    @Test void nodesConfiguredWithTlsReplicateAndConverge() throws Exception {
        Path d1 = dir.resolve("n1"), d2 = dir.resolve("n2");
        String trust = pemFiles(d1) + pemFiles(d2); // the cluster's trust: both nodes' own certificates
        Files.writeString(d1.resolve("tls/cluster.pem"), trust);
        Files.writeString(d2.resolve("tls/cluster.pem"), trust);
        Map<String, Integer> repl = Map.of("n1", freePort(), "n2", freePort());
        String tls = "tls = true\ntrust = \"tls/cluster.pem\"";
        NodeConfig c1 = ConfigLoader.parse(config(d1, "n1", freePort(), repl, tls), "n1.toml");
        NodeConfig c2 = ConfigLoader.parse(config(d2, "n2", freePort(), repl, tls), "n2.toml");
        assertThat(c1.replication().config().tls()).isNotNull();
        try (Node n2 = Node.start(c2, Map.of()); Node n1 = Node.start(c1, Map.of())) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!n1.replication().status().getFirst().channels().stream().allMatch(Replication.ChannelStatus::connected)) {
                assertThat(System.nanoTime()).as("channels connected").isLessThan(deadline);
                Thread.sleep(20);
            }
            byte[] message = "Subject: over tls\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
            n1.store().openOrCreateUser("alice").append("INBOX", List.of(new NewMessage(dev.cairn.store.BodySource.of(message), dev.cairn.store.Flags.NONE, Instant.now())));
            RocksSlotStore master = (RocksSlotStore) n1.store(), replica = (RocksSlotStore) n2.store();
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
        Map<String, Integer> repl = Map.of("n1", 7101, "n2", 7102);
        assertThatThrownBy(() -> ConfigLoader.parse(config(dir, "n1", 0, repl, "tls = true"), "n1.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("replication.trust: is required with tls = true");
        assertThatThrownBy(() -> ConfigLoader.parse(config(dir, "n1", 0, repl, "trust = \"ca.pem\""), "n1.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("replication.trust: only with tls = true");
        assertThatThrownBy(() -> ConfigLoader.parse(config(dir, "n1", 0, repl, "tls = true\ntrust = \"missing.pem\""), "n1.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no such file");
    }
}
