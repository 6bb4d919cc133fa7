// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.ClusterMember;
import dev.cairn.cluster.EmbeddedZooKeeper;
import dev.cairn.cluster.NodeRecord;
import dev.cairn.cluster.SlotRef;
import dev.cairn.cluster.StoreCreation;
import dev.cairn.cluster.StoreRecord;
import dev.cairn.replication.Replication;
import dev.cairn.server.cli.CliRun;
import dev.cairn.server.config.ConfigLoader;
import dev.cairn.store.NewMessage;
import dev.cairn.testkit.TestCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: replication peers a cluster node learns from the registrations on ZooKeeper (not from
 * its config) get the same checks as configured peers: with TLS on, a node whose certificate is not
 * from the cluster's CA registers, is learned, and its link is refused at the TLS handshake (no
 * mail reaches it); with TLS off, a peer registered off loopback is not used at all (mail would
 * cross the network in clear) while one on loopback is.
 */
class ClusterPeerTlsIT {
    private static final String SECRET = "cluster tls test secret";

    @TempDir Path dir;

    private static Node start(TestCluster cluster, String node) throws Exception {
        return cluster.start(node, config -> Node.start(ConfigLoader.load(config), Map.of()));
    }

    private static String tlsLinesOf(CliRun run) {
        assertThat(run.status()).as(run.err()).isZero();
        return run.out().substring(run.out().indexOf("[replication]\n") + "[replication]\n".length());
    }

    @Test @Timeout(180)
    void aRegisteredNodeWithACertificateFromAnotherCaIsLearnedButItsReplicationLinkIsRefused() throws Exception {
        Path ca = dir.resolve("ca"), otherCa = dir.resolve("other-ca"), d1 = dir.resolve("n1"), d2 = dir.resolve("n2");
        assertThat(CliRun.run("", "tls", "ca", "--out", ca.toString()).status()).isZero();
        assertThat(CliRun.run("", "tls", "ca", "--out", otherCa.toString()).status()).isZero();
        String tls1 = tlsLinesOf(CliRun.run("", "tls", "node", "n1", "--ca", ca.toString(), "--out", d1.resolve("tls").toString()));
        // n2's certificate is from another CA; n2 itself trusts the cluster's (so only n1's check can stop it).
        tlsLinesOf(CliRun.run("", "tls", "node", "n2", "--ca", otherCa.toString(), "--out", d2.resolve("tls").toString()));
        String tls2 = "tls = true\ncertificate = \"tls/n2.pem\"\nkey = \"tls/n2-key.pem\"\ntrust = \"" + ca.resolve("ca.pem").toString().replace("\\", "/") + "\"";
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir.resolve("zk"))) {
            TestCluster cluster = TestCluster.of(dir, "n1", "n2").store("sync = false").disable("imap", "pop3", "lmtp").listen("admin")
                    .cluster(SECRET, zk.connectString(), "session_timeout = \"4s\"", "connection_timeout = \"3s\"")
                    .lines("n1", "replication", tls1).lines("n2", "replication", tls2).build();
            StoreCreation.create(ClusterConfig.of(zk.connectString()), StoreCreation.record("s1", StoreRecord.Mode.SYNC,
                    StoreRecord.OnReplicaLoss.DEGRADE, new SlotRef("n1", "s0"), List.of(new SlotRef("n2", "s0")), System.currentTimeMillis()));
            try (Node n2 = start(cluster, "n2"); Node n1 = start(cluster, "n1")) {
                // n1 learned n2's address from its registration and masters s1 with n2 as its replica.
                eventually(Duration.ofSeconds(30), () -> {
                    assertThat(n1.replication().hasPeer("n2")).isTrue();
                    assertThat(n1.replication().status()).anySatisfy(s -> assertThat(s.role()).isEqualTo("master"));
                });
                byte[] message = "Subject: secret\r\n\r\nnot for n2\r\n".getBytes(StandardCharsets.US_ASCII);
                n1.store().openOrCreateUser("alice").append("INBOX",
                        List.of(new NewMessage(dev.cairn.store.BodySource.of(message), dev.cairn.store.Flags.NONE, Instant.now())));
                Replication.StoreStatus s1 = n1.replication().status().getFirst();
                assertThat(s1.degraded()).startsWith("degraded since ");
                assertThat(s1.channels()).noneMatch(Replication.ChannelStatus::connected);
                assertThat(n2.store().hasUser("alice")).isFalse();
            }
        }
    }

    @Test @Timeout(120)
    void withoutTlsAPeerRegisteredOffLoopbackIsNotUsedAndOneOnLoopbackIs() throws Exception {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir.resolve("zk"))) {
            TestCluster cluster = TestCluster.of(dir, "n1").store("sync = false").disable("imap", "pop3", "lmtp").listen("admin")
                    .cluster(SECRET, zk.connectString(), "session_timeout = \"4s\"", "connection_timeout = \"3s\"").build();
            ClusterConfig zkConfig = ClusterConfig.of(zk.connectString()).withSessionTimeout(Duration.ofSeconds(4));
            StoreMapListenerNone none = new StoreMapListenerNone();
            try (Node n1 = start(cluster, "n1");
                 ClusterMember far = new ClusterMember(zkConfig, registration("n9", "192.0.2.9:7000"), none);
                 ClusterMember near = new ClusterMember(zkConfig, registration("n8", "127.0.0.1:7000"), none)) {
                far.start();
                near.start();
                // n8 (on loopback) is learned: the registrations have been read, n9's among them.
                eventually(Duration.ofSeconds(30), () -> assertThat(n1.replication().hasPeer("n8")).isTrue());
                assertThat(n1.replication().hasPeer("n9")).as("a peer off loopback, replication in clear").isFalse();
            }
        }
    }

    private static NodeRecord registration(String node, String replication) {
        return new NodeRecord(node, Map.of("replication", replication), List.of("s0"), "test", 0, System.currentTimeMillis());
    }

    private static final class StoreMapListenerNone implements dev.cairn.cluster.StoreMapListener {
        @Override public void onStores(Map<String, StoreRecord> stores) { }
    }
}
