// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.replication.Replication;
import dev.cairn.server.cli.CliRun;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.NewMessage;
import dev.cairn.testkit.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `cairn reload` on a running master: new replication certificates (from another CA) and a new
 * cluster secret are used by the connections it opens afterwards, without a restart, while the
 * established ones go on; a replica that still has the old secret is then refused; a file that
 * cannot be used is refused in one line and the node keeps what it had.
 */
class ReplicationReloadIT {
    private static final String OLD_SECRET = "the old secret of the cluster", NEW_SECRET = "the new secret of the cluster";

    @TempDir Path dir;

    private static Node start(TestCluster cluster, String node) throws Exception {
        return cluster.start(node, config -> Node.start(ConfigLoader.load(config), Map.of()));
    }

    private static void awaitConnected(Node master) throws Exception {
        eventually(Duration.ofSeconds(30), () -> assertThat(master.replication().status().getFirst().channels())
                .as("channels connected").isNotEmpty().allMatch(Replication.ChannelStatus::connected));
    }

    /** POST /reload on the node's admin endpoint, as `cairn reload` sends it (and SIGHUP does inside the node). */
    private static HttpResponse<String> postReload(TestCluster cluster, String node) throws Exception {
        RunFile run = RunFile.read(cluster.data(node).resolve("server.properties")).orElseThrow(); // not through the config: its key file is bad
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://" + run.admin() + "/reload")).header("Authorization", "Bearer " + run.token())
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** What `cairn replica status` prints for the node. */
    private static String status(Path config) {
        CliRun run = CliRun.run("", "replica", "status", "--config", config.toString());
        assertThat(run.status()).as(run.err()).isZero();
        return run.out();
    }

    private static void replicates(Node master, Node replica, String subject) throws Exception {
        byte[] message = ("Subject: " + subject + "\r\n\r\nhello\r\n").getBytes(StandardCharsets.US_ASCII);
        master.store().openOrCreateUser("alice").append("INBOX", List.of(new NewMessage(BodySource.of(message), Flags.NONE, Instant.now())));
        long seq = master.store().replication().seq("alice");
        eventually(Duration.ofSeconds(30), () -> assertThat(replica.store().replication().seq("alice")).as("replica caught up").isEqualTo(seq));
    }

    /** `cairn tls node NAME` from the CA in {@code ca} into {@code out}. */
    private static void issue(String node, Path ca, Path out) {
        CliRun run = CliRun.run("", "tls", "node", node, "--ca", ca.toString(), "--out", out.toString(), "--host", "127.0.0.1");
        assertThat(run.status()).as(run.err()).isZero();
    }

    /** Puts the files `cairn tls node` wrote into {@code from} where the node's config names them. */
    private static void install(String node, Path from, Path tls) throws Exception {
        for (String f : List.of(node + ".pem", node + "-key.pem", "ca.pem")) {
            Files.copy(from.resolve(f), tls.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String tlsLines(String node, Path tls, Path secret) {
        String abs = tls.toAbsolutePath().toString().replace("\\", "/");
        return "tls = true\ncertificate = \"" + abs + "/" + node + ".pem\"\nkey = \"" + abs + "/" + node + "-key.pem\"\ntrust = \"" + abs
                + "/ca.pem\"\nsecret_file = \"" + secret.toAbsolutePath().toString().replace("\\", "/") + "\"";
    }

    @Test @Timeout(240)
    void newCertificatesAndSecretAreUsedWithoutARestartAndABadFileChangesNothing() throws Exception {
        Path ca1 = dir.resolve("ca1"), ca2 = dir.resolve("ca2");
        assertThat(CliRun.run("", "tls", "ca", "--out", ca1.toString()).status()).isZero();
        assertThat(CliRun.run("", "tls", "ca", "--out", ca2.toString()).status()).isZero();
        Path tls1 = dir.resolve("n1-tls"), tls2 = dir.resolve("n2-tls");
        issue("n1", ca1, tls1);
        issue("n2", ca1, tls2);
        Path secret1 = dir.resolve("n1.secret"), secret2 = dir.resolve("n2.secret");
        Files.writeString(secret1, OLD_SECRET);
        Files.writeString(secret2, OLD_SECRET);
        // secret_file comes after the cluster's `secret` line and wins over it.
        TestCluster cluster = TestCluster.of(dir, "n1", "n2").store("sync = false").disable("imap", "pop3", "lmtp").listen("admin")
                .replicated("a secret nobody uses here", "async")
                .lines("n1", "replication", tlsLines("n1", tls1, secret1)).lines("n2", "replication", tlsLines("n2", tls2, secret2)).build();
        String n1Config = cluster.config("n1").toString();

        Node n2 = start(cluster, "n2");
        try (Node n1 = start(cluster, "n1")) {
            awaitConnected(n1);
            replicates(n1, n2, "before any reload");

            // A key file that is not a key: refused in one line, nothing replaced ...
            Path key = tls1.resolve("n1-key.pem");
            byte[] goodKey = Files.readAllBytes(key);
            Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
            CliRun bad = CliRun.run("", "reload", "--config", n1Config);
            assertThat(bad.status()).isEqualTo(1);
            assertThat(bad.err().strip()).doesNotContain("\n").startsWith("cairn: ").contains("replication.tls").contains(key.toString())
                    .contains("nothing reloaded");
            // The command read the config (and so the key) first; the node refuses it on its own too (as on SIGHUP).
            HttpResponse<String> refused = postReload(cluster, "n1");
            assertThat(refused.statusCode()).isEqualTo(409);
            assertThat(refused.body().strip()).doesNotContain("\n").contains("replication.tls").contains(key.toString()).endsWith("; nothing reloaded");
            // ... so a new connection (n2 restarted) is made with the key n1 had, the bad file still in place.
            n2.close();
            n2 = start(cluster, "n2");
            awaitConnected(n1);
            replicates(n1, n2, "after a refused reload");
            Files.write(key, goodKey);

            // The new material: certificates from another CA, a new secret, on both nodes; n1 reloads.
            issue("n1", ca2, dir.resolve("n1-tls-new"));
            issue("n2", ca2, dir.resolve("n2-tls-new"));
            install("n1", dir.resolve("n1-tls-new"), tls1);
            install("n2", dir.resolve("n2-tls-new"), tls2);
            Files.writeString(secret1, NEW_SECRET);
            Files.writeString(secret2, NEW_SECRET);
            CliRun reload = CliRun.run("", "reload", "--config", n1Config);
            assertThat(reload.status()).as(reload.err()).isZero();
            assertThat(reload.out()).contains("replication: secret " + secret1.toAbsolutePath()).contains("certificate ");
            // The established channels go on.
            assertThat(n1.replication().status().getFirst().channels()).allMatch(Replication.ChannelStatus::connected);
            replicates(n1, n2, "over the channels opened before the reload");

            // n2 restarts with the new files (it reads them at start): n1, not restarted, connects with its new material.
            n2.close();
            n2 = start(cluster, "n2");
            awaitConnected(n1);
            replicates(n1, n2, "after the reload");

            // A replica with the old secret (and a certificate n1 trusts) is refused now.
            Files.writeString(secret2, OLD_SECRET);
            n2.close();
            n2 = start(cluster, "n2");
            eventually(Duration.ofSeconds(30), () -> assertThat(status(cluster.config("n1"))).contains("  replica n2 unreachable since ")
                    .contains("last_failure=\"Refused: replica n2 failed authentication\""));
            assertThat(n1.replication().status().getFirst().channels()).noneMatch(Replication.ChannelStatus::connected);
        } finally {
            n2.close();
        }
    }
}
