// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.replication.Frame.*;
import dev.cairn.replication.ReplicationConfig.Mode;
import java.time.Duration;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replica's listener against a hand-driven master: wrong secret, old epoch, garbage, TLS peers it must refuse. */
class HandshakeIT {
    @TempDir Path dir;
    @TempDir static Path certificates;
    /** The cluster's two nodes, and an impostor whose certificate neither trusts (it does hold the secret). */
    static TestCertificates certA, certB, foreign;

    @BeforeAll static void makeCertificates() throws Exception {
        certA = TestCertificates.generate(certificates.resolve("a"));
        certB = TestCertificates.generate(certificates.resolve("b"));
        foreign = TestCertificates.generate(certificates.resolve("mallory"));
    }

    /** Both nodes with TLS, each trusting both cluster certificates. */
    private TwoNodes tlsNodes() throws Exception {
        TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast(), false, List.of("a", "b"), Map.of(
                "a", certA.trusting(certA.certificate(), certB.certificate()),
                "b", certB.trusting(certA.certificate(), certB.certificate())));
        t.awaitConnected("a");
        return t;
    }

    /**
     * The master has tried to connect (and failed): with no replica it takes mail degraded (on its
     * own disk only), and none of it reaches the peer.
     */
    private static void assertNothingShipped(TwoNodes t) throws InterruptedException {
        Thread.sleep(1000);
        assertThat(t.nodes.get("a").status().getFirst().channels()).noneMatch(Replication.ChannelStatus::connected);
        t.user("a", "alice").append("INBOX", List.of(ReplicationIT.message("secret", "mail")));
        assertThat(t.nodes.get("a").status().getFirst().degraded()).startsWith("degraded since ");
        assertThat(t.slot("b").hasUser("alice")).isFalse();
    }

    private static InetSocketAddress address(TwoNodes t, String node) {
        return new InetSocketAddress("127.0.0.1", t.nodes.get(node).address().getPort());
    }

    /** The frames in what a peer sent, none when it is not a frame at all. */
    private static List<Frame> frames(byte[] bytes) {
        try {
            return new FrameCodec.Decoder(1 << 20).feed(bytes, 0, bytes.length);
        } catch (FrameCodec.BadFrame e) {
            return new ArrayList<>();
        }
    }

    private FrameConnection connect(TwoNodes t) throws Exception {
        return new FrameConnection(new Socket("127.0.0.1", t.nodes.get("b").address().getPort()), 1 << 20);
    }

    @Test void aMasterWithTheWrongSecretIsRefused() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast()); FrameConnection c = connect(t)) {
            byte[] nonce = Handshake.nonce();
            c.send(new Hello(FrameCodec.VERSION, "mallory", "s1", 0, 0, nonce));
            Challenge ch = (Challenge) c.read();
            // The replica proved itself with the real secret ...
            assertThat(Handshake.verify(Handshake.replicaProof(TwoNodes.SECRET, nonce, ch.nonce(), "s1", 0, 0), ch.mac())).isTrue();
            // ... and refuses a master proof made with another one.
            c.send(new Auth(Handshake.masterProof("guess".getBytes(StandardCharsets.UTF_8), nonce, ch.nonce(), "s1", 0, 0)));
            Frame answer = c.read();
            assertThat(answer).isInstanceOfSatisfying(Frame.Error.class, e -> assertThat(e.code()).isEqualTo(Frame.BAD_AUTH));
        }
    }

    @Test void aMasterFromAnOlderEpochIsFenced() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            // The master's channel is up and idle before the replica moves on: nothing is shipped after this.
            t.user("a", "alice").append("INBOX", List.of(ReplicationIT.message("before", "the move")));
            t.awaitCaughtUp("a", "b", "alice");
            t.slot("b").replication().raiseEpoch(5);
            try (FrameConnection c = connect(t)) {
                byte[] nonce = Handshake.nonce();
                c.send(new Hello(FrameCodec.VERSION, "a", "s1", 4, 0, nonce));
                Challenge ch = (Challenge) c.read();
                assertThat(ch.epoch()).isEqualTo(5);
                c.send(new Auth(Handshake.masterProof(TwoNodes.SECRET, nonce, ch.nonce(), "s1", 0, 4)));
                assertThat(c.read()).isInstanceOfSatisfying(Frame.Error.class, e -> {
                    assertThat(e.code()).isEqualTo(Frame.STALE_EPOCH);
                    assertThat(e.epoch()).isEqualTo(5);
                });
            }
            // The real master (epoch 0) learns it too, from its idle connection's heartbeat, and stops taking writes.
            eventually(Duration.ofSeconds(10), () -> assertThat(t.slot("a").replication().fenceReason()).contains("epoch 5"));
        }
    }

    @Test void garbageClosesTheChannelAndTheListenerKeepsServing() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast())) {
            try (Socket s = new Socket("127.0.0.1", t.nodes.get("b").address().getPort())) {
                s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                s.setSoTimeout(5000);
                // "GET " as a length is over the limit: the replica answers with an error or just closes.
                byte[] rest = s.getInputStream().readAllBytes();
                assertThat(rest.length).isLessThan(200);
            }
            t.user("a", "alice").append("INBOX", java.util.List.of(ReplicationIT.message("still", "works")));
            t.awaitCaughtUp("a", "b", "alice");
        }
    }

    @Test void replicationOverTlsConverges() throws Exception {
        try (TwoNodes t = tlsNodes()) {
            t.user("a", "alice").append("INBOX", List.of(ReplicationIT.message("over", "tls")));
            t.user("a", "alice").createMailbox("Projects", java.util.Set.of());
            t.awaitCaughtUp("a", "b", "alice");
            t.assertConverged("alice");
            // A trusted master reaches the HMAC handshake inside TLS 1.3, and it is the same handshake.
            try (SSLSocket s = (SSLSocket) FrameConnection.connect(address(t, "b"), certA.trusting(certB.certificate()), 5000);
                 FrameConnection c = new FrameConnection(s, 1 << 20)) {
                assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
                byte[] nonce = Handshake.nonce();
                c.send(new Hello(FrameCodec.VERSION, "a", "s1", t.slot("a").replication().epoch(), 0, nonce));
                Challenge ch = (Challenge) c.read();
                assertThat(Handshake.verify(Handshake.replicaProof(TwoNodes.SECRET, nonce, ch.nonce(), "s1", 0, ch.epoch()), ch.mac())).isTrue();
            }
        }
    }

    @Test void plaintextMasterToTlsReplicaIsRefused() throws Exception {
        try (TwoNodes t = tlsNodes(); Socket s = new Socket("127.0.0.1", address(t, "b").getPort())) {
            s.setSoTimeout(5000);
            byte[] nonce = Handshake.nonce();
            s.getOutputStream().write(FrameCodec.encode(new Hello(FrameCodec.VERSION, "a", "s1", 0, 0, nonce)));
            s.getOutputStream().flush();
            // The TLS handshake fails on a plaintext Hello: no Challenge (and no replica proof), the connection closes.
            byte[] answer = s.getInputStream().readAllBytes();
            assertThat(frames(answer)).noneMatch(f -> f instanceof Challenge);
            assertThat(answer.length).isLessThan(100);
        }
    }

    @Test void plaintextReplicaGetsNothingFromATlsMaster() throws Exception {
        // "a" ships over TLS only; "b" listens in plain TCP (a downgrade): nothing crosses.
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast(), false, List.of("a", "b"),
                Map.of("a", certA.trusting(certA.certificate(), certB.certificate())))) {
            assertNothingShipped(t);
        }
    }

    @Test void masterWithForeignCertificateIsRefused() throws Exception {
        try (TwoNodes t = tlsNodes()) {
            // The impostor knows the secret and trusts the replica; the replica does not trust it.
            assertThatThrownBy(() -> {
                try (FrameConnection c = new FrameConnection(FrameConnection.connect(address(t, "b"), foreign.trusting(certB.certificate()), 5000), 1 << 20)) {
                    byte[] nonce = Handshake.nonce();
                    c.send(new Hello(FrameCodec.VERSION, "a", "s1", 0, 0, nonce));
                    c.read(); // TLS 1.3: the replica's refusal of the client certificate arrives here
                }
            }).isInstanceOf(IOException.class);
            // The real master still ships.
            t.user("a", "alice").append("INBOX", List.of(ReplicationIT.message("still", "works")));
            t.awaitCaughtUp("a", "b", "alice");
        }
    }

    @Test void replicaWithForeignCertificateIsRefused() throws Exception {
        // An impostor answers on b's address with the secret but a certificate the master does not trust.
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast(), false, List.of("a", "b"), Map.of(
                "a", certA.trusting(certA.certificate(), certB.certificate()),
                "b", foreign.trusting(certA.certificate())))) {
            assertThatThrownBy(() -> FrameConnection.connect(address(t, "b"), certA.trusting(certA.certificate(), certB.certificate()), 5000).close())
                    .isInstanceOf(SSLHandshakeException.class);
            assertNothingShipped(t);
        }
    }

    /** Mixed versions: a replica of this build installs a protocol-1 master's whole image (Resync frames), as before. */
    @Test void aProtocolOneMastersWholeImageIsStillInstalled() throws Exception {
        try (TwoNodes t = new TwoNodes(dir, Mode.ASYNC, TwoNodes.fast());
             dev.cairn.store.SlotStore old = dev.cairn.store.rocks.RocksSlotStore.open(dev.cairn.store.SlotConfig.defaults(dir.resolve("old")))) {
            old.openOrCreateUser("carol").append("INBOX", List.of(ReplicationIT.message("from", "an older master")));
            byte[] image = UserImageCodec.encode(old.replication().exportUser("carol"));
            long seq = old.replication().seq("carol");
            int channel = t.slot("b").channelOf("carol");
            try (FrameConnection c = connect(t)) {
                byte[] nonce = Handshake.nonce();
                c.send(new Hello(1, "a", "s1", 0, channel, nonce));
                Challenge ch = (Challenge) c.read();
                c.send(new Auth(Handshake.masterProof(TwoNodes.SECRET, nonce, ch.nonce(), "s1", channel, 0)));
                assertThat(c.read()).isInstanceOf(Positions.class);
                int half = image.length / 2;
                c.send(new Resync("carol", seq, false, java.util.Arrays.copyOfRange(image, 0, half)));
                c.send(new Resync("carol", seq, true, java.util.Arrays.copyOfRange(image, half, image.length)));
                assertThat(c.read()).isInstanceOfSatisfying(Ack.class, a -> assertThat(a.applied()).containsExactly(new Applied("carol", seq)));
            }
            assertThat(t.slot("b").user("carol").mailbox("INBOX").orElseThrow().messages()).isEqualTo(1);
        }
    }

    /** Mixed versions: a master of this build facing a protocol-1 replica says what to do, not just that it failed. */
    @Test void aReplicaOfAnOlderProtocolIsRefusedWithAMessageThatSaysToUpgradeIt() throws Exception {
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread oldReplica = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept(); FrameConnection c = new FrameConnection(s, FrameCodec.HANDSHAKE_MAX_FRAME)) {
                    Hello h = (Hello) c.read();
                    c.send(new Frame.Error(Frame.VERSION, 0, "protocol version " + h.version() + " not supported (this node: 1)"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ChannelConfig config = new ChannelConfig("s1", "a", new ReplicationKeys(TwoNodes.SECRET, null), TwoNodes.fast(), "b",
                    new InetSocketAddress("127.0.0.1", server.getLocalPort()), 0);
            try (FrameConnection c = new FrameConnection(FrameConnection.connect(config.address(), null, 5000), FrameCodec.HANDSHAKE_MAX_FRAME)) {
                assertThatThrownBy(() -> MasterHandshake.run(c, config, 0, FrameCodec.SWITCHLESS_VERSION)).isInstanceOf(IOException.class)
                        .hasMessage("replica b runs an older Cairn (protocol version 2 not supported (this node: 1); this node speaks 2 to 3): "
                                + "upgrade it, replicas before masters");
            }
            oldReplica.join();
        }
    }
}
